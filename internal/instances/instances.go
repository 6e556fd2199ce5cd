// Package instances knows what berth needs of EC2 instance types: their vCPUs, memory
// and network interfaces, and so how many awsvpc tasks one instance can hold.
//
// It makes no AWS call and must not import the AWS path.
package instances

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/berthdev/berth/internal/lazyregexp"
	"github.com/berthdev/berth/internal/manifest"
)

// Type is what an instance type offers ECS.
type Type struct {
	Name   string
	VCPUs  int
	Memory int // MiB
	ENIs   int // network interfaces, the instance's own included
}

// sizes of the current Nitro families (c5, m6i, r7g, ...): vCPUs and network interfaces
// by size, from the EC2 documentation's "Maximum IP addresses per network interface".
var sizes = map[string][2]int{
	"medium": {1, 2}, "large": {2, 3}, "xlarge": {4, 4}, "2xlarge": {8, 4}, "4xlarge": {16, 8}, "8xlarge": {32, 8},
	"9xlarge": {36, 8}, "12xlarge": {48, 8}, "16xlarge": {64, 15}, "18xlarge": {72, 15}, "24xlarge": {96, 15},
}

// burstable t3, t3a and t4g: vCPUs, GiB and network interfaces by size.
var burstable = map[string][3]int{
	"nano": {2, 0, 2}, "micro": {2, 1, 2}, "small": {2, 2, 3}, "medium": {2, 4, 3}, "large": {2, 8, 3}, "xlarge": {4, 16, 4}, "2xlarge": {8, 32, 4},
}

// memory per vCPU, in GiB, by family letter: compute, general purpose, memory optimized.
var gibPerVCPU = map[string]int{"c": 2, "m": 4, "r": 8}

var family = lazyregexp.New(`^([cmrt])([3-8])([a-z]*)\.([a-z0-9]+)$`)

// Lookup returns what berth knows of name; ok is false for types it has no figures for
// (older families, metal, network- or storage-optimized variants).
func Lookup(name string) (Type, bool) {
	f := family.FindStringSubmatch(name)
	if f == nil {
		return Type{}, false
	}
	kind, gen, variant, size := f[1], f[2], f[3], f[4]
	switch variant {
	case "", "a", "i", "g": // c5n, m5d, r7iz, c7gn...: other figures
	default:
		return Type{}, false
	}
	if kind == "t" {
		if !(gen == "3" && (variant == "" || variant == "a") || gen == "4" && variant == "g") {
			return Type{}, false
		}
		b, ok := burstable[size]
		if !ok {
			return Type{}, false
		}
		mem := b[1] * 1024
		if size == "nano" {
			mem = 512
		}
		return Type{Name: name, VCPUs: b[0], Memory: mem, ENIs: b[2]}, true
	}
	s, ok := sizes[size]
	if !ok || gen < "5" || size == "medium" && !strings.Contains(variant, "g") {
		return Type{}, false
	}
	return Type{Name: name, VCPUs: s[0], Memory: s[0] * gibPerVCPU[kind] * 1024, ENIs: s[1]}, true
}

// Fit is how many tasks of cpu units and memory MiB one instance holds, and what bounds it.
type Fit struct {
	Tasks int
	Bound string // "network interfaces", "CPU", "memory"
}

// agentReserve is memory the operating system and the ECS agent keep: ECS registers
// less than the instance's nominal memory.
const agentReserve = 512

// TasksPerInstance: in awsvpc mode every task takes a network interface of its own, so
// without ENI trunking an instance holds one task per interface but its primary one,
// whatever its CPU and memory would allow (3 on a c5.xlarge).
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/container-instance-eni.html
func (t Type) TasksPerInstance(cpu, memory int, awsvpc bool) Fit {
	fit := Fit{Tasks: math.MaxInt, Bound: "ports"}
	if awsvpc {
		fit = Fit{Tasks: t.ENIs - 1, Bound: "network interfaces"}
	}
	if n := t.VCPUs * 1024 / cpu; n < fit.Tasks {
		fit = Fit{n, "CPU"}
	}
	if n := (t.Memory - agentReserve) / memory; n < fit.Tasks {
		fit = Fit{n, "memory"}
	}
	return fit
}

// Describe says what bounds a fit, for messages.
func (t Type) Describe(f Fit) string {
	switch f.Bound {
	case "network interfaces":
		return fmt.Sprintf("%s holds %d awsvpc task(s): %d network interfaces, one of them the instance's", t.Name, f.Tasks, t.ENIs)
	case "CPU":
		return fmt.Sprintf("%s holds %d task(s) of that CPU: %d vCPU = %d units", t.Name, f.Tasks, t.VCPUs, t.VCPUs*1024)
	}
	return fmt.Sprintf("%s holds %d task(s) of that memory: about %s MiB of its %d MiB are free for tasks", t.Name, f.Tasks,
		strconv.Itoa(t.Memory-agentReserve), t.Memory)
}

// Room says, when the tasks cannot all be placed, why and what to do. tasks is the most
// the service runs at once: count (count.max when it scales) times max_percent during a
// rollout. It says nothing for instance types it has no figures for.
func Room(instanceType string, cpu, memory, count, maxPercent, maxInstances int, awsvpc bool) string {
	t, ok := Lookup(instanceType)
	if !ok {
		return ""
	}
	fit := t.TasksPerInstance(cpu, memory, awsvpc)
	tasks := (count*maxPercent + 99) / 100
	if fit.Tasks >= 1 && tasks <= fit.Tasks*maxInstances {
		return ""
	}
	if fit.Tasks < 1 {
		return fmt.Sprintf("capacity.instance_type: %s cannot hold one task of cpu %d and memory %d: %s; choose a larger instance type", instanceType, cpu, memory, t.Describe(fit))
	}
	w := fmt.Sprintf("a rollout runs up to %d task(s) (count %d at max_percent %d), but capacity.max %d instance(s) hold %d: %s; raise capacity.max, choose a larger instance type",
		tasks, count, maxPercent, maxInstances, fit.Tasks*maxInstances, t.Describe(fit))
	if fit.Bound == "network interfaces" {
		w += ", or turn on ENI trunking (aws ecs put-account-setting-default --name awsvpcTrunking --value enabled)"
	}
	return w
}

// RoomFor is Room for a manifest: nothing on Fargate, where AWS places the tasks, and
// no network-interface bound in bridge mode (EC2 with public placement), where the
// tasks share their instance's.
func RoomFor(m *manifest.Manifest) string {
	if m.Capacity.IsFargate() {
		return ""
	}
	c := m.Capacity
	return Room(c.InstanceType, m.CPU, m.Memory, m.Count.Max, m.Deployment.MaxPercent, c.Max, !m.Network.Public())
}
