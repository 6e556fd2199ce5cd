package manifest

import (
	"fmt"
	"slices"
	"strings"

	"github.com/berthdev/berth/internal/lazyregexp"
	"github.com/berthdev/berth/internal/manifest/strict"
	"go.yaml.in/yaml/v3"
)

// An existing network (network.vpc): the VPC and subnets a company already has, which
// berth deploys into and never changes. What berth checks of them against AWS before a
// deploy (zones, routes, addresses) is internal/network's; here is what the manifest
// alone can tell.

var (
	vpcID    = lazyregexp.New(`^vpc-[0-9a-f]{8}([0-9a-f]{9})?$`)
	subnetID = lazyregexp.New(`^subnet-[0-9a-f]{8}([0-9a-f]{9})?$`)
)

// MaxTaskSubnets is how many subnets the tasks may be given: ECS takes at most 16 in a
// service's awsvpc configuration (AwsVpcConfiguration, Subnets).
const MaxTaskSubnets = 16

// OwnNetworkKeys are the network keys of the network berth creates, which an existing
// VPC has decided already: they are refused alongside network.vpc.
var OwnNetworkKeys = []string{"network.cidr", "network.azs", "network.nat", "network.flow_logs", "network.flow_logs_retention"}

// Imported reports whether the environment runs in an existing VPC (network.vpc), of
// which berth creates nothing: no network stack.
func (n Network) Imported() bool { return n.VPC != "" }

// TaskSubnets are the subnets the tasks and instances run in: the public ones with
// placement public, else the private ones. Only for an existing VPC.
func (n Network) TaskSubnets() []string {
	if n.Public() {
		return n.PublicSubnets
	}
	return n.PrivateSubnets
}

// Zones is how many Availability Zones the load balancer and the tasks spread over:
// network.azs, or for an existing VPC one per public subnet (a load balancer takes
// one subnet per zone).
func (n Network) Zones() int {
	if n.Imported() {
		return len(n.PublicSubnets)
	}
	return n.AZs
}

// subnets decodes a list of subnet ids.
func (d *decoder) subnets(dst *[]string) strict.Field {
	return func(n *yaml.Node, key string) error {
		if n.Kind != yaml.SequenceNode {
			return d.Fail(n, key, "must be a list of subnet ids like [subnet-0123456789abcdef0, subnet-...], got %s", strict.Kind(n))
		}
		*dst = nil
		for i, it := range n.Content {
			sub := fmt.Sprintf("%s[%d]", key, i)
			if it.Kind != yaml.ScalarNode || it.Tag != "!!str" || !subnetID.MatchString(it.Value) {
				return d.Fail(it, sub, "must be a subnet id like subnet-0123456789abcdef0, got %s", strict.Kind(it))
			}
			if slices.Contains(*dst, it.Value) {
				return d.Fail(it, sub, "%s is listed twice", it.Value)
			}
			d.m.lines[sub] = it.Line
			*dst = append(*dst, it.Value)
		}
		return nil
	}
}

// validateExisting checks network.vpc and its subnets, and refuses the keys of the
// network berth would have created.
func validateExisting(m *Manifest) error {
	n := m.Network
	if !vpcID.MatchString(n.VPC) {
		return m.errorf("network.vpc", "%q is not a VPC id (vpc-0123456789abcdef0)", n.VPC)
	}
	for _, k := range OwnNetworkKeys {
		if m.IsSet(k) {
			return m.errorf(k, "does not apply with network.vpc: the existing VPC has its own range, zones, NAT and flow logs, which are its owner's, and berth creates no network there (remove %s)", k)
		}
	}
	whose := "the load balancer's"
	if n.Public() {
		whose = "the load balancer's, and with placement public the tasks'"
	}
	switch {
	case len(n.PublicSubnets) < 2:
		return m.errorf("network.public_subnets", "required with network.vpc: at least two subnet ids, in two Availability Zones, routed to an internet gateway (%s)", whose)
	case n.Public() && m.IsSet("network.private_subnets"):
		return m.errorf("network.private_subnets", "applies to placement private only (with placement public the tasks and instances run in the public subnets)")
	case !n.Public() && len(n.PrivateSubnets) < 2:
		return m.errorf("network.private_subnets", "required with network.vpc and placement private: at least two subnet ids, in the zones of the public ones, with a way out (a NAT gateway), for the tasks and instances")
	case len(n.TaskSubnets()) > MaxTaskSubnets:
		return m.errorf(subnetsKey(n), "%d subnets: ECS takes at most %d for a service's tasks", len(n.TaskSubnets()), MaxTaskSubnets)
	}
	for i, s := range n.PrivateSubnets {
		if slices.Contains(n.PublicSubnets, s) {
			return m.errorf(fmt.Sprintf("network.private_subnets[%d]", i), "%s is also in network.public_subnets: a subnet is either routed to the internet gateway (public) or not (private)", s)
		}
	}
	return nil
}

func subnetsKey(n Network) string {
	if n.Public() {
		return "network.public_subnets"
	}
	return "network.private_subnets"
}

// listField is the list an environment key holds, if it holds one.
func (m *Manifest) listField(key string) *[]string {
	switch key {
	case "network.public_subnets":
		return &m.Network.PublicSubnets
	case "network.private_subnets":
		return &m.Network.PrivateSubnets
	}
	return nil
}

// listText is a list as an environment records it: sorted, so that the same subnets
// given in another order are the same setting, comma-separated.
func listText(l []string) string {
	return strings.Join(slices.Sorted(slices.Values(l)), ",")
}

// splitList is listText read back.
func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}
