// Package manifest loads berth.yml: it decodes strictly, applies the reference defaults
// of the system berth deploys, and validates every value against what AWS accepts.
// Below it, strict is its YAML layer (one document, known keys, errors at their line)
// and policy the IAM policy text its permissions write.
//
// It must not import synth, check, or anything that calls AWS or Docker.
package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/berthdev/berth/internal/hint"
	"github.com/berthdev/berth/internal/lazyregexp"
	"github.com/berthdev/berth/internal/manifest/strict"
	"github.com/berthdev/berth/internal/rollout"
)

// DefaultFile is the manifest every command reads unless told otherwise.
const DefaultFile = "berth.yml"

// Manifest is one service and the infrastructure it runs on.
type Manifest struct {
	Name     string
	Image    Image
	Port     int
	CPU      int // ECS CPU units: 1024 is one vCPU
	Memory   int // MiB
	Count    Count
	Health   Health
	Capacity Capacity
	Network  Network
	Logs     Logs
	Env      map[string]string
	Secrets  map[string]Secret // by variable name
	// SecretsKMSKeys are the customer managed keys the secrets are encrypted with, if
	// any: the tasks may decrypt with them through SSM and Secrets Manager only.
	SecretsKMSKeys []string
	Permissions    Permissions
	// PermissionsAllowAdmin lets permissions grant what amounts to administrator access
	// (AdministratorAccess, IAM writes on every resource, ...), which is refused without it.
	PermissionsAllowAdmin bool
	Deployment            Deployment
	LoadBalancer          LoadBalancer
	Domain                Domain
	// Exec allows "berth exec" into the service's tasks through ECS Exec: the service
	// gets EnableExecuteCommand and its task role the Session Manager channels. Off by
	// default, since anyone allowed ecs:ExecuteCommand then runs commands as the app.
	Exec bool
	// Alarms are the CloudWatch alarms that watch the service and whom they notify.
	Alarms Alarms
	// Edge is what stands in front of the load balancer: EdgeNone (the load balancer
	// faces the internet) or EdgeCloudFront (a CloudFront distribution, the load balancer
	// internal and reached only through it).
	Edge string

	// Dir is the directory of the manifest file; image.build is relative to it.
	Dir string
	// File is the name errors refer to.
	File string

	lines map[string]int // dotted key -> line, for errors found after decoding
}

// Image says where the container image comes from: exactly one of the two is set.
type Image struct {
	Location string // an image reference, pulled as is
	Build    string // a directory: a Go main package, or a Dockerfile context
}

// Count is the number of tasks: fixed (Min == Max, no scaling) or a range kept by
// target-tracking auto scaling.
type Count struct {
	Min, Max int
	CPU      int // target average CPU percent; 0 when not scaling on CPU
	Requests int // target requests per task per minute; 0 when not scaling on requests
}

// Scales reports whether the service gets target-tracking auto scaling.
func (c Count) Scales() bool { return c.Max > c.Min }

// Health is the load balancer's health check, which the local load balancer mirrors.
type Health struct {
	Path               string
	Interval           int // seconds
	Timeout            int // seconds
	HealthyThreshold   int
	UnhealthyThreshold int
	GracePeriod        int // seconds ECS ignores failing health checks after a task starts
}

// Capacity is what the tasks run on: EC2 instances behind an ECS capacity provider
// (the reference), or AWS Fargate.
type Capacity struct {
	Type         string // ec2, fargate or fargate-spot
	InstanceType string // ec2
	Desired      int    // ec2
	Max          int    // ec2
	AMI          string // ec2: an SSM parameter path or an ami- id
	VolumeSize   int    // ec2: GiB, root volume
	CPUArch      string // capacity.arch: amd64 or arm64; on EC2 it follows the instance type
}

// Capacity types.
const (
	EC2         = "ec2"
	Fargate     = "fargate"
	FargateSpot = "fargate-spot"
)

// IsFargate reports whether the tasks run on Fargate (on demand or spot).
func (c Capacity) IsFargate() bool { return c.Type == Fargate || c.Type == FargateSpot }

// graviton matches the families of AWS Graviton (arm64) instances: a generation digit
// followed by "g" (m7g, c7gn, r6gd, t4g, g5g).
var graviton = lazyregexp.New(`^[a-z]+[0-9]+g[a-z]*\.`)

// Arch is the tasks' CPU architecture, "arm64" or "amd64": on Fargate capacity.arch
// (amd64 unless said), on EC2 the instance type's. Images built for the service, and
// the default AMI, follow it.
func (c Capacity) Arch() string {
	if c.IsFargate() {
		if c.CPUArch != "" {
			return c.CPUArch
		}
		return "amd64"
	}
	if graviton.MatchString(c.InstanceType) {
		return "arm64"
	}
	return "amd64"
}

// Network is the VPC of an environment: the one berth creates, or with VPC an existing
// one whose subnets the manifest names (network.vpc), of which berth creates nothing.
type Network struct {
	CIDR      string
	AZs       int
	NAT       string // "per-az" or "single"; private placement only
	Placement string // "private" (tasks behind NAT) or "public" (tasks in the public subnets)
	// FlowLogs is the traffic VPC flow logs record to CloudWatch Logs: "" (none),
	// "rejected" or "all"; kept FlowLogsRetention days.
	FlowLogs          string
	FlowLogsRetention int
	// VPC, PublicSubnets and PrivateSubnets name an existing network (network.vpc):
	// the load balancer goes into the public subnets, the tasks and instances into the
	// private ones (the public ones with placement public).
	VPC            string
	PublicSubnets  []string
	PrivateSubnets []string
}

// FlowLogs values: which traffic VPC flow logs record.
const (
	FlowLogsRejected = "rejected"
	FlowLogsAll      = "all"
)

// FlowLogsOn reports whether the VPC records flow logs.
func (n Network) FlowLogsOn() bool {
	return n.FlowLogs == FlowLogsRejected || n.FlowLogs == FlowLogsAll
}

// Public reports whether the tasks run in the public subnets, without NAT gateways.
func (n Network) Public() bool { return n.Placement == "public" }

// Logs configures the container log group.
type Logs struct {
	Retention int // days
}

// Deployment is how a release reaches the traffic: the bounds of a rolling update, as
// ECS takes them, and the rollout (strategy, steps, bake, and the rule that rolls a bad
// release back).
type Deployment struct {
	MaxPercent        int
	MinHealthyPercent int
	Rollout           rollout.Spec
}

// LoadBalancer holds the settings of the ALB and its target group.
type LoadBalancer struct {
	// Dedicated gives the service a load balancer of its own; otherwise it shares the
	// environment's, answering on Path and/or Host (Route). The keys that set the load
	// balancer itself (IngressKeys) are then the environment's.
	Dedicated           bool
	Path                string // load_balancer.path: /orders takes /orders and everything below it
	Host                string // load_balancer.host: only requests for this host name
	IdleTimeout         int    // seconds
	DeregistrationDelay int    // seconds
	// AccessLogs is how many days the load balancer's access logs are kept in an S3
	// bucket of the service's; 0: no access logs.
	AccessLogs int
	// WAF puts an AWS WAF web ACL in front of the load balancer: AWS managed rule
	// groups and a limit of RateLimit requests per client address in 5 minutes.
	WAF       bool
	RateLimit int
}

// Domain is the name the service answers on over HTTPS. Without a Name the service is
// plain HTTP on the load balancer's own DNS name.
type Domain struct {
	Name        string // api.example.com
	Zone        string // the Route 53 public hosted zone: a name (example.com) or an id (Z...); "" finds it
	Certificate string // an ACM certificate ARN; "" requests one, validated through the zone
	// HSTSSubdomains adds includeSubDomains to the Strict-Transport-Security header:
	// every name under the domain must then serve HTTPS, which only its owner can say.
	HSTSSubdomains bool
}

// HTTPS reports whether the service is served over HTTPS on its own domain.
func (m *Manifest) HTTPS() bool { return m.Domain.Name != "" }

// Edges: what stands in front of the load balancer.
const (
	EdgeNone       = "none"
	EdgeCloudFront = "cloudfront"
)

// CloudFront reports whether a CloudFront distribution serves the service over HTTPS,
// on its domain or on the distribution's own name, in front of an internal load
// balancer.
func (m *Manifest) CloudFront() bool { return m.Edge == EdgeCloudFront }

// EnvNames returns the environment variable names in a stable order.
func (m *Manifest) EnvNames() []string {
	names := make([]string, 0, len(m.Env))
	for k := range m.Env {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// BuildDir is image.build resolved against the manifest's directory.
func (m *Manifest) BuildDir() string {
	if m.Image.Build == "" || filepath.IsAbs(m.Image.Build) {
		return m.Image.Build
	}
	return filepath.Join(m.Dir, m.Image.Build)
}

// MaxSize bounds the manifest, and so the memory berth spends on it: a manifest is a
// few hundred bytes, one with an environment at MaxEnvSize under 64 KiB.
const MaxSize = 256 << 10

// Exists reports whether there is a file at path, for commands whose manifest is
// optional.
func Exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// Load reads, decodes, defaults and validates the manifest at path. It reads at most
// one byte past MaxSize, so that -f /dev/zero fails instead of eating the machine.
func Load(path string) (*Manifest, error) {
	return load(path)
}

// Open is Load for the command line (-f): a directory, or no file, is a mistake in how
// berth was called (a usage error), with what to do about it.
func Open(file string) (*Manifest, error) {
	if st, err := os.Stat(file); err == nil && st.IsDir() {
		return nil, hint.Usage(hint.Wrap(fmt.Errorf("%s is a directory, not a manifest", file), fmt.Sprintf("point -f at the manifest file, such as %s", filepath.Join(file, DefaultFile))))
	}
	m, err := Load(file)
	if errors.Is(err, os.ErrNotExist) {
		return nil, hint.Usage(hint.Wrap(fmt.Errorf("no manifest at %s", file), "run \"berth init\" to write a starter berth.yml, or point -f at yours"))
	}
	return m, err
}

func load(path string) (*Manifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	return Parse(data, path)
}

// Parse is Load on bytes already read; file names the manifest in errors and
// anchors relative paths.
func Parse(data []byte, file string) (*Manifest, error) {
	m := &Manifest{File: filepath.Base(file), Dir: filepath.Dir(file), lines: map[string]int{}}
	if len(data) > MaxSize {
		return nil, &Error{File: m.File, Line: 1, Msg: fmt.Sprintf("the manifest is larger than %d KiB", MaxSize>>10)}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &Error{File: m.File, Line: 1, Msg: "the manifest is empty (at least: name)"}
	}
	if err := refuseHidden(data, m.File); err != nil {
		return nil, err
	}
	if err := decode(data, m); err != nil {
		return nil, err
	}
	applyDefaults(m)
	if err := validate(m); err != nil {
		return nil, err
	}
	return m, nil
}

// Error is a problem with one key of the manifest: its file, line and key.
type Error = strict.Error

func (m *Manifest) errorf(key, format string, args ...any) error {
	line := m.lines[key]
	for k := key; line == 0 && k != ""; {
		// a defaulted key has no line of its own: point at its parent
		i := lastDot(k)
		if i < 0 {
			break
		}
		k = k[:i]
		line = m.lines[k]
	}
	if line == 0 {
		line = 1
	}
	return &Error{File: m.File, Line: line, Key: key, Msg: fmt.Sprintf(format, args...)}
}

func lastDot(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '.' {
			return i
		}
	}
	return -1
}
