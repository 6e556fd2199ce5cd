package network

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/berthdev/berth/internal/lazyregexp"
	"github.com/berthdev/berth/internal/manifest"
)

// readRouteTables reads every route table of the VPC: a subnet's own, or the main one.
func (c *check) readRouteTables(ctx context.Context) error {
	p := ec2.NewDescribeRouteTablesPaginator(c.api, &ec2.DescribeRouteTablesInput{
		Filters: []types.Filter{{Name: aws.String("vpc-id"), Values: []string{c.m.Network.VPC}}},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe the route tables of %s: %w", c.m.Network.VPC, err)
		}
		c.tables = append(c.tables, page.RouteTables...)
	}
	return nil
}

// tableOf is the route table that routes subnet: the one explicitly associated with
// it, else the VPC's main route table ("Each subnet in your VPC must be associated
// with a route table. If a subnet is not explicitly associated with any route table,
// it is implicitly associated with the main route table": EC2 API reference,
// DescribeRouteTables; VPC user guide, Subnet route tables). how says which.
func (c *check) tableOf(subnet string) (t *types.RouteTable, how string) {
	var main *types.RouteTable
	for i := range c.tables {
		for _, a := range c.tables[i].Associations {
			if aws.ToString(a.SubnetId) == subnet {
				return &c.tables[i], "its route table " + aws.ToString(c.tables[i].RouteTableId)
			}
			if aws.ToBool(a.Main) {
				main = &c.tables[i]
			}
		}
	}
	if main == nil {
		return nil, "no route table (neither its own nor a main one)"
	}
	return main, "the VPC's main route table " + aws.ToString(main.RouteTableId) + " (it has none of its own)"
}

// defaultRoute is the table's route for 0.0.0.0/0, if any.
func defaultRoute(t *types.RouteTable) *types.Route {
	if t == nil {
		return nil
	}
	for i, r := range t.Routes {
		if aws.ToString(r.DestinationCidrBlock) == "0.0.0.0/0" {
			return &t.Routes[i]
		}
	}
	return nil
}

// target names where a route goes.
func target(r *types.Route) string {
	for _, id := range []*string{r.NatGatewayId, r.InstanceId, r.NetworkInterfaceId, r.TransitGatewayId, r.VpcPeeringConnectionId, r.CoreNetworkArn, r.GatewayId, r.LocalGatewayId, r.CarrierGatewayId} {
		if v := aws.ToString(id); v != "" {
			return v
		}
	}
	return "nowhere"
}

// public checks that a public subnet routes 0.0.0.0/0 to an internet gateway: the
// internet-facing load balancer (and, with placement public, the tasks) are reached
// and go out through it.
func (c *check) public(id string) {
	key := fmt.Sprintf("network.public_subnets[%d]", slices.Index(c.m.Network.PublicSubnets, id))
	t, how := c.tableOf(id)
	r := defaultRoute(t)
	switch {
	case r == nil:
		c.refuse(key, "%s (%s) is not public: %s has no route for 0.0.0.0/0, so the internet cannot reach a load balancer there (a public subnet routes 0.0.0.0/0 to an internet gateway)", id, c.zoneOf(id), how)
	case r.State == types.RouteStateBlackhole:
		c.refuse(key, "%s (%s) is not public: %s sends 0.0.0.0/0 to %s, which is gone (blackhole)", id, c.zoneOf(id), how, target(r))
	case !strings.HasPrefix(aws.ToString(r.GatewayId), "igw-"):
		c.refuse(key, "%s (%s) is not public: %s sends 0.0.0.0/0 to %s, not to an internet gateway, so the internet cannot reach a load balancer there", id, c.zoneOf(id), how, target(r))
	}
}

// private checks that each private subnet has a way out: a route for 0.0.0.0/0 through
// a NAT gateway or a NAT instance (or a transit gateway, a virtual private gateway or a
// Cloud WAN core network, to an egress the account's network provides: noted, since
// berth cannot see past it); or, with no route out, the VPC endpoints that the tasks
// need instead, with a warning of what will not work.
func (c *check) private(ctx context.Context) error {
	var closed []string // subnets with no way out
	var via []string
	for i, id := range c.m.Network.PrivateSubnets {
		key := fmt.Sprintf("network.private_subnets[%d]", i)
		t, how := c.tableOf(id)
		r := defaultRoute(t)
		switch {
		case r == nil || r.State == types.RouteStateBlackhole:
			closed = append(closed, id)
		case strings.HasPrefix(aws.ToString(r.GatewayId), "igw-"):
			c.refuse(key, "%s (%s) is not private: %s sends 0.0.0.0/0 to the internet gateway %s, through which tasks without a public address cannot go out (name subnets behind a NAT gateway, or use network.placement: public)",
				id, c.zoneOf(id), how, target(r))
		case r.NatGatewayId != nil || r.InstanceId != nil || r.NetworkInterfaceId != nil:
			via = append(via, id+" through "+target(r))
		case r.TransitGatewayId != nil || r.CoreNetworkArn != nil || strings.HasPrefix(aws.ToString(r.GatewayId), "vgw-"):
			via = append(via, id+" through "+target(r))
			c.r.Warnings = append(c.r.Warnings, fmt.Sprintf("%s goes out through %s, past which berth cannot see: it must reach ECR, CloudWatch Logs and ECS, or the tasks will not start", id, target(r)))
		default:
			closed = append(closed, id)
		}
	}
	if len(via) > 0 {
		c.r.Notes = append(c.r.Notes, "out: "+strings.Join(via, ", "))
	}
	if len(closed) == 0 {
		return nil
	}
	return c.endpointsOnly(ctx, closed)
}

// ecrImage is an image of a private ECR repository, which the ECR endpoints serve.
var ecrImage = lazyregexp.New(`^[0-9]{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/`)

// endpointsOnly checks the private subnets that have no way out: the tasks then reach
// AWS through VPC endpoints only, and need those of ECR (the image: ecr.api, ecr.dkr,
// and S3, where the layers are), CloudWatch Logs (their logs), on EC2 capacity ECS's
// own (the instances' agent), and SSM or Secrets Manager for their secrets: "Amazon
// ECR interface VPC endpoints (AWS PrivateLink)" (ECR user guide) and "Amazon ECS
// interface VPC endpoints (AWS PrivateLink)" (ECS developer guide).
func (c *check) endpointsOnly(ctx context.Context, closed []string) error {
	need := []string{"ecr.api", "ecr.dkr", "s3", "logs"}
	if !c.m.Capacity.IsFargate() {
		need = append(need, "ecs", "ecs-agent", "ecs-telemetry")
	}
	for _, s := range c.m.Secrets {
		svc := "ssm"
		if s.Source == manifest.SecretsManager {
			svc = "secretsmanager"
		}
		if !slices.Contains(need, svc) {
			need = append(need, svc)
		}
	}
	have := map[string]bool{}
	p := ec2.NewDescribeVpcEndpointsPaginator(c.api, &ec2.DescribeVpcEndpointsInput{
		Filters: []types.Filter{{Name: aws.String("vpc-id"), Values: []string{c.m.Network.VPC}}},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe the VPC endpoints of %s: %w", c.m.Network.VPC, err)
		}
		for _, e := range page.VpcEndpoints {
			if !strings.EqualFold(string(e.State), "available") {
				continue
			}
			svc, ok := strings.CutPrefix(aws.ToString(e.ServiceName), "com.amazonaws."+c.o.Region+".")
			if !ok {
				continue
			}
			switch e.VpcEndpointType {
			case types.VpcEndpointTypeGateway:
				// a gateway endpoint serves the subnets whose route tables it is in
				have[svc] = have[svc] || c.routesAll(closed, e.RouteTableIds)
			case types.VpcEndpointTypeInterface:
				// without private DNS the service's usual name does not lead to it
				have[svc] = have[svc] || aws.ToBool(e.PrivateDnsEnabled)
			}
		}
	}
	var missing []string
	for _, svc := range need {
		if !have[svc] {
			missing = append(missing, "com.amazonaws."+c.o.Region+"."+svc)
		}
	}
	ids := strings.Join(closed, ", ")
	if len(missing) > 0 {
		c.refuse("network.private_subnets", "%s: no way out, neither a NAT gateway nor a NAT instance (no route for 0.0.0.0/0), and %s lacks the VPC endpoints the tasks would need instead: %s (the tasks could not pull their image, send their logs or, on EC2, join the cluster)",
			ids, c.m.Network.VPC, strings.Join(missing, ", "))
		return nil
	}
	if c.m.Image.Location != "" && !ecrImage.MatchString(c.m.Image.Location) {
		c.refuse("image.location", "%s is pulled from outside AWS's private ECR, which the tasks in %s cannot reach: they have no way out but VPC endpoints (build the image with image.build, which berth pushes to ECR, or name an image in your ECR)", c.m.Image.Location, ids)
		return nil
	}
	c.r.Warnings = append(c.r.Warnings, fmt.Sprintf("%s have no way out (no NAT gateway or instance): the tasks reach only what VPC endpoints serve (%s) and nothing on the internet, not another registry, not any other AWS API or outside service the app calls",
		ids, strings.Join(need, ", ")))
	return nil
}

// routesAll reports whether every subnet's route table is among tables.
func (c *check) routesAll(subnets, tables []string) bool {
	for _, id := range subnets {
		t, _ := c.tableOf(id)
		if t == nil || !slices.Contains(tables, aws.ToString(t.RouteTableId)) {
			return false
		}
	}
	return true
}
