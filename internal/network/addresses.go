package network

import (
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/berthdev/berth/internal/manifest"
)

// BalancerAddresses are the free addresses an Application Load Balancer needs in each
// of its subnets: "To ensure that your load balancer can scale properly, verify that
// each subnet for your load balancer has a CIDR block with at least a /27 bitmask ...
// and has at least 8 free IP addresses" (ELB user guide, Application Load Balancers,
// Subnets for your load balancer).
const BalancerAddresses = 8

// Need is how many addresses of its subnets the service takes at most, and why.
type Need struct {
	Tasks     int    `json:"tasks"`
	Instances int    `json:"instances"`
	Why       string `json:"why"`
}

// Total is every address of the need.
func (n Need) Total() int { return n.Tasks + n.Instances }

// NeedOf is what m may take of its subnets at most:
//   - each task in awsvpc mode (every task but those of EC2 instances in public
//     subnets, which share their instance's interface) has its own network interface
//     and address: "The task is allocated its own elastic network interface (ENI) and a
//     primary private IPv4 address" (ECS developer guide, task networking options for
//     EC2; Fargate tasks are awsvpc only);
//   - at count.max, during a rollout max_percent of them run at once: "maximumPercent
//     ... represents an upper limit on the number of your service's tasks that are
//     allowed in the RUNNING or PENDING state during a deployment, as a percentage of
//     the desiredCount (rounded down to the nearest integer)" (ECS API reference,
//     DeploymentConfiguration);
//   - on EC2 capacity, the instances' own primary addresses, capacity.max of them.
func NeedOf(m *manifest.Manifest) Need {
	var n Need
	var why []string
	if m.Capacity.IsFargate() || !m.Network.Public() {
		n.Tasks = m.Count.Max * m.Deployment.MaxPercent / 100
		why = append(why, fmt.Sprintf("%d task(s), a network interface each (count.max %d at deployment.max_percent %d %% during a rollout)", n.Tasks, m.Count.Max, m.Deployment.MaxPercent))
	}
	if !m.Capacity.IsFargate() {
		n.Instances = m.Capacity.Max
		why = append(why, fmt.Sprintf("%d instance(s) (capacity.max)", n.Instances))
	}
	n.Why = strings.Join(why, " and ")
	return n
}

func (c *check) free(id string) int { return int(aws.ToInt32(c.subnets[id].AvailableIpAddressCount)) }

// addresses checks that the load balancer has room to scale in each public subnet, and
// that the task subnets have the addresses the service takes at most. A shortfall is a
// refusal before anything of the environment runs; after, what runs already holds some
// of the addresses counted, and it is a warning.
func (c *check) addresses() {
	n := c.m.Network
	for i, id := range n.PublicSubnets {
		if free := c.free(id); free < BalancerAddresses {
			c.refuse(fmt.Sprintf("network.public_subnets[%d]", i), "%s (%s) has %d free address(es): a load balancer needs at least %d in each of its subnets to scale", id, c.zoneOf(id), free, BalancerAddresses)
		}
	}
	need := NeedOf(c.m)
	side, key := "private", "network.private_subnets"
	free, reserved := 0, 0
	for _, id := range n.TaskSubnets() {
		free += c.free(id)
	}
	if n.Public() {
		side, key = "public", "network.public_subnets"
		reserved = BalancerAddresses * len(n.PublicSubnets) // the load balancer shares them
	}
	has := fmt.Sprintf("the %s subnets have %d free address(es)", side, free)
	if reserved > 0 {
		has += fmt.Sprintf(", %d of them kept for the load balancer", reserved)
	}
	switch {
	case free-reserved >= need.Total():
		c.r.Notes = append(c.r.Notes, fmt.Sprintf("addresses: %s; the service takes at most %d: %s", has, need.Total(), need.Why))
	case c.o.Fresh:
		c.refuse(key, "%s, and the service may take %d: %s (name larger subnets, or lower count.max or capacity.max)", has, need.Total(), need.Why)
	default:
		c.r.Warnings = append(c.r.Warnings, fmt.Sprintf("%s, and the service may take %d: %s; what already runs in the environment holds some of these, so it may still fit, but a rollout or scale-out may fail to find addresses", has, need.Total(), need.Why))
	}
}
