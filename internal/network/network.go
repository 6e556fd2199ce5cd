// Package network is an existing network checked before a deploy: the VPC and subnets
// a manifest names (network.vpc), read through the EC2 API, and refused with the reason
// and the ids when the service could not run there, before anything changes. It only
// reads: berth never changes a network it did not create.
//
// It must not import any package of the AWS path above it.
package network

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
	"github.com/berthdev/berth/internal/manifest"
)

// EC2 is the part of the EC2 API the check reads.
type EC2 interface {
	DescribeVpcs(context.Context, *ec2.DescribeVpcsInput, ...func(*ec2.Options)) (*ec2.DescribeVpcsOutput, error)
	DescribeVpcAttribute(context.Context, *ec2.DescribeVpcAttributeInput, ...func(*ec2.Options)) (*ec2.DescribeVpcAttributeOutput, error)
	DescribeSubnets(context.Context, *ec2.DescribeSubnetsInput, ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error)
	DescribeRouteTables(context.Context, *ec2.DescribeRouteTablesInput, ...func(*ec2.Options)) (*ec2.DescribeRouteTablesOutput, error)
	DescribeVpcEndpoints(context.Context, *ec2.DescribeVpcEndpointsInput, ...func(*ec2.Options)) (*ec2.DescribeVpcEndpointsOutput, error)
}

// Report is what a deploy should know of the network it goes into.
type Report struct {
	VPC   string   `json:"vpc"`
	Zones []string `json:"zones"`
	// Notes say what the check found: the zones, the way out, the addresses.
	Notes []string `json:"notes"`
	// Warnings are what will not work although the service deploys.
	Warnings []string `json:"warnings"`
}

// Refusal is every reason the service could not run in the network, each a manifest
// error on the key that names what is wrong (the CLI exits 2, as for a manifest it
// refuses). Nothing was changed.
type Refusal struct {
	VPC      string
	Problems []error
}

func (r *Refusal) Error() string {
	lines := make([]string, len(r.Problems))
	for i, p := range r.Problems {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap gives the problems, so that errors.As finds a *manifest.Error.
func (r *Refusal) Unwrap() []error { return r.Problems }

// Hint says what to do.
func (r *Refusal) Hint() string {
	return "nothing was changed, and berth changes nothing of a network it did not create: name other subnets in berth.yml, or have the owner of " + r.VPC + " fix it, then deploy again"
}

// Options are what the check needs besides the manifest.
type Options struct {
	Region string
	// Fresh says that nothing of the environment is deployed yet, so that no address
	// the check counts is already held by its instances or tasks.
	Fresh bool
}

// check is one run: what it read and what it found.
type check struct {
	api      EC2
	m        *manifest.Manifest
	o        Options
	subnets  map[string]types.Subnet
	tables   []types.RouteTable
	problems []error
	r        *Report
}

func (c *check) refuse(key, format string, args ...any) {
	c.problems = append(c.problems, &manifest.Error{File: c.m.File, Line: c.m.Line(key), Key: key, Msg: fmt.Sprintf(format, args...)})
}

// Check reads the VPC and the subnets m names and refuses, with the reason and the
// ids, a network the service could not run in: subnets that do not exist or are in
// another VPC; fewer than two Availability Zones on either side, or not the same zones;
// public subnets without a route to an internet gateway; private subnets without a way
// out (a NAT gateway or instance, or the VPC endpoints the tasks need instead: then a
// warning says what will not work); too few free addresses; a VPC without DNS support
// and hostnames.
func Check(ctx context.Context, api EC2, m *manifest.Manifest, o Options) (*Report, error) {
	c := &check{api: api, m: m, o: o, r: &Report{VPC: m.Network.VPC, Zones: []string{}, Notes: []string{}, Warnings: []string{}}}
	if err := c.vpc(ctx); err != nil || len(c.problems) > 0 {
		return nil, c.result(err)
	}
	if err := c.readSubnets(ctx); err != nil || len(c.problems) > 0 {
		return nil, c.result(err) // the rest is about these subnets
	}
	c.zones()
	if err := c.readRouteTables(ctx); err != nil {
		return nil, err
	}
	for _, id := range m.Network.PublicSubnets {
		c.public(id)
	}
	if !m.Network.Public() {
		if err := c.private(ctx); err != nil {
			return nil, err
		}
	}
	c.addresses()
	return c.r, c.result(nil)
}

func (c *check) result(err error) error {
	if err != nil {
		return err
	}
	if len(c.problems) > 0 {
		return &Refusal{VPC: c.m.Network.VPC, Problems: c.problems}
	}
	return nil
}

// vpc checks that the VPC exists, and resolves names: the private DNS names of VPC
// endpoints need both attributes on ("To use a private hosted zone, you must set the
// following VPC attributes to true: enableDnsHostnames and enableDnsSupport", EC2 API
// reference, CreateVpcEndpoint PrivateDnsEnabled), and the instances and tasks reach
// AWS by name.
func (c *check) vpc(ctx context.Context) error {
	id := c.m.Network.VPC
	if _, err := c.api.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{id}}); err != nil {
		if code(err) == "InvalidVpcID.NotFound" {
			c.refuse("network.vpc", "%s does not exist in %s (in this account)", id, c.o.Region)
			return nil
		}
		return fmt.Errorf("describe VPC %s: %w", id, err)
	}
	for _, a := range []types.VpcAttributeName{types.VpcAttributeNameEnableDnsSupport, types.VpcAttributeNameEnableDnsHostnames} {
		out, err := c.api.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: aws.String(id), Attribute: a})
		if err != nil {
			return fmt.Errorf("describe %s of VPC %s: %w", a, id, err)
		}
		v := out.EnableDnsSupport
		if a == types.VpcAttributeNameEnableDnsHostnames {
			v = out.EnableDnsHostnames
		}
		if v == nil || !aws.ToBool(v.Value) {
			c.refuse("network.vpc", "%s has %s off: the instances and tasks resolve AWS's endpoints through the VPC's DNS, and VPC endpoints' private names need both enableDnsSupport and enableDnsHostnames on", id, a)
		}
	}
	return nil
}

// readSubnets reads every subnet m names, and refuses those that do not exist or are
// in another VPC.
func (c *check) readSubnets(ctx context.Context) error {
	n := c.m.Network
	ids := append(slices.Clone(n.PublicSubnets), n.PrivateSubnets...)
	c.subnets = map[string]types.Subnet{}
	// a filter rather than SubnetIds: those fail as a whole when one does not exist
	p := ec2.NewDescribeSubnetsPaginator(c.api, &ec2.DescribeSubnetsInput{Filters: []types.Filter{{Name: aws.String("subnet-id"), Values: ids}}})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe subnets %s: %w", strings.Join(ids, ", "), err)
		}
		for _, s := range page.Subnets {
			c.subnets[aws.ToString(s.SubnetId)] = s
		}
	}
	for _, l := range c.lists() {
		for i, id := range l.ids {
			key := fmt.Sprintf("%s[%d]", l.key, i)
			s, ok := c.subnets[id]
			switch {
			case !ok:
				c.refuse(key, "%s does not exist in %s (in this account)", id, c.o.Region)
			case aws.ToString(s.VpcId) != n.VPC:
				c.refuse(key, "%s is in %s, not in network.vpc %s", id, aws.ToString(s.VpcId), n.VPC)
			}
		}
	}
	return nil
}

type list struct {
	key string
	ids []string
}

// lists are the subnets the service uses: the public ones, and the private ones with
// placement private.
func (c *check) lists() []list {
	out := []list{{"network.public_subnets", c.m.Network.PublicSubnets}}
	if !c.m.Network.Public() {
		out = append(out, list{"network.private_subnets", c.m.Network.PrivateSubnets})
	}
	return out
}

func (c *check) zoneOf(id string) string { return aws.ToString(c.subnets[id].AvailabilityZone) }

// zones checks that the load balancer has one subnet in each of at least two zones
// ("You must specify subnets from at least two Availability Zones", "You can specify
// only one subnet per Availability Zone": ELB API reference, CreateLoadBalancer
// Subnets), and that the tasks run in those zones and no others: "If you register
// targets in a zone but do not enable the zone, these registered targets do not
// receive traffic from the load balancer" (ELB user guide, Application Load Balancers,
// Subnets for your load balancer).
func (c *check) zones() {
	byZone := map[string][]string{}
	for _, id := range c.m.Network.PublicSubnets {
		byZone[c.zoneOf(id)] = append(byZone[c.zoneOf(id)], id)
	}
	public := slices.Sorted(maps.Keys(byZone))
	c.r.Zones = public
	for _, z := range public {
		if ids := byZone[z]; len(ids) > 1 {
			c.refuse("network.public_subnets", "%s are all in %s: a load balancer takes one subnet per Availability Zone", strings.Join(ids, " and "), z)
		}
	}
	if len(public) < 2 {
		c.refuse("network.public_subnets", "%s are all in %s: a load balancer needs subnets in at least two Availability Zones", strings.Join(c.m.Network.PublicSubnets, " and "), public[0])
	}
	if c.m.Network.Public() {
		c.r.Notes = append(c.r.Notes, fmt.Sprintf("zones %s: the load balancer and the tasks", strings.Join(public, ", ")))
		return
	}
	private := map[string]bool{}
	for _, id := range c.m.Network.PrivateSubnets {
		private[c.zoneOf(id)] = true
	}
	priv := slices.Sorted(maps.Keys(private))
	switch {
	case len(priv) < 2:
		c.refuse("network.private_subnets", "%s are all in %s: the tasks need at least two Availability Zones to stay up when one fails", strings.Join(c.m.Network.PrivateSubnets, " and "), priv[0])
	case !slices.Equal(priv, public):
		c.refuse("network.private_subnets", "the private subnets are in %s and the public ones in %s: the load balancer sends traffic only to tasks in its own zones, so both sides need the same zones",
			strings.Join(priv, ", "), strings.Join(public, ", "))
	default:
		c.r.Notes = append(c.r.Notes, fmt.Sprintf("zones %s: the load balancer in the public subnets, the tasks in the private ones", strings.Join(public, ", ")))
	}
}

func code(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return ""
}
