package synth

import (
	"fmt"
	"math/bits"
	"net/netip"
	"slices"
	"strings"

	"github.com/berthdev/berth/internal/cfn"
	"github.com/berthdev/berth/internal/manifest"
)

// network is the VPC of one environment: public subnets with an internet gateway and,
// with private placement (the reference), private subnets whose only way out is a NAT
// gateway. With public placement the tasks run in the public subnets and go out
// through the internet gateway: no NAT gateway bills per GB of their traffic.
func network(m *manifest.Manifest) *cfn.Template {
	what := fmt.Sprintf("public and private subnets over %d zones, internet gateway, NAT", m.Network.AZs)
	if m.Network.Public() {
		what = fmt.Sprintf("public subnets over %d zones, internet gateway", m.Network.AZs)
	}
	t := &cfn.Template{Description: "berth network: VPC, " + what + " (generated from berth.yml)"}
	t.Metadata.Set(MetadataKey, map[string]any{"settings": NetworkSettings(m)})
	t.Parameters.Set(ParamEnv, envParameter())

	public, private := SubnetCIDRs(m.Network.CIDR, m.Network.AZs)
	t.Resources.Set("VPC", vpc(m.Network.CIDR))
	t.Resources.Set("InternetGateway", cfn.Resource{Type: "AWS::EC2::InternetGateway", Properties: map[string]any{"Tags": cfn.Tags("Name", cfn.Sub("berth-${Env}"))}})
	t.Resources.Set("GatewayAttachment", cfn.Resource{Type: "AWS::EC2::VPCGatewayAttachment", Properties: map[string]any{
		"VpcId": cfn.Ref("VPC"), "InternetGatewayId": cfn.Ref("InternetGateway"),
	}})
	t.Resources.Set("PublicRouteTable", routeTable("public"))
	t.Resources.Set("PublicDefaultRoute", cfn.Resource{Type: "AWS::EC2::Route", DependsOn: []string{"GatewayAttachment"}, Properties: map[string]any{
		"RouteTableId": cfn.Ref("PublicRouteTable"), "DestinationCidrBlock": "0.0.0.0/0", "GatewayId": cfn.Ref("InternetGateway"),
	}})

	var publicIDs, privateIDs []any
	for az := range m.Network.AZs {
		n := az + 1
		pub, priv := fmt.Sprintf("PublicSubnet%d", n), fmt.Sprintf("PrivateSubnet%d", n)
		publicIDs = append(publicIDs, cfn.Ref(pub))
		t.Resources.Set(pub, subnet(az, public[az], "public"))
		t.Resources.Set(pub+"RouteTableAssociation", association(pub, "PublicRouteTable"))
		if m.Network.Public() {
			continue
		}
		privateIDs = append(privateIDs, cfn.Ref(priv))
		if m.Network.NAT == "per-az" || az == 0 {
			t.Resources.Set(fmt.Sprintf("NatEIP%d", n), natEIP(n))
			t.Resources.Set(fmt.Sprintf("NatGateway%d", n), natGateway(n, pub))
		}
		nat := fmt.Sprintf("NatGateway%d", n)
		if m.Network.NAT == "single" {
			nat = "NatGateway1"
		}
		rt := fmt.Sprintf("PrivateRouteTable%d", n)
		t.Resources.Set(priv, subnet(az, private[az], "private"))
		t.Resources.Set(rt, routeTable(fmt.Sprintf("private-%d", n)))
		t.Resources.Set(fmt.Sprintf("PrivateDefaultRoute%d", n), cfn.Resource{Type: "AWS::EC2::Route", Properties: map[string]any{
			"RouteTableId": cfn.Ref(rt), "DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": cfn.Ref(nat),
		}})
		t.Resources.Set(priv+"RouteTableAssociation", association(priv, rt))
	}

	if m.Network.FlowLogsOn() {
		addFlowLogs(t, m)
	}

	t.Outputs.Set(OutVpcID, output("VPC id", cfn.Ref("VPC")))
	t.Outputs.Set(OutPublicSubnets, output("Public subnet ids, comma-separated: the load balancer's", cfn.Join(",", publicIDs)))
	if m.Network.Public() {
		t.Outputs.Set(OutTaskSubnets, output("Subnet ids the tasks and instances run in, comma-separated: the public ones (placement public)", cfn.Join(",", publicIDs)))
	} else {
		t.Outputs.Set(OutTaskSubnets, output("Subnet ids the tasks and instances run in, comma-separated: the private ones", cfn.Join(",", privateIDs)))
	}
	return t
}

// networkParameter declares, in the cluster and service templates, one of the network's
// values (VpcId, PublicSubnets, TaskSubnets): an output of the network stack, or with an
// existing VPC (network.vpc) the manifest's ids, which are then its default, so that the
// template deploys by itself too.
func networkParameter(m *manifest.Manifest, name, what string) cfn.Parameter {
	p := cfn.Parameter{Type: "List<AWS::EC2::Subnet::Id>", Description: what + " (network stack output)"}
	if name == OutVpcID {
		p.Type = "AWS::EC2::VPC::Id"
	}
	if m.Network.Imported() {
		key := map[string]string{OutVpcID: "network.vpc", OutPublicSubnets: "network.public_subnets", OutTaskSubnets: "network.private_subnets"}[name]
		if name == OutTaskSubnets && m.Network.Public() {
			key = "network.public_subnets"
		}
		p.Description = what + " (" + key + ": an existing network, which berth does not change)"
		p.Default = NetworkValues(m)[name]
	}
	return p
}

// NetworkValues are, for an existing VPC, what the network stack's outputs would have
// been: the manifest's ids, the subnets sorted and comma-separated. berth deploy passes
// them as the cluster's and the service's parameters of the same names. Nil without
// network.vpc.
func NetworkValues(m *manifest.Manifest) map[string]string {
	if !m.Network.Imported() {
		return nil
	}
	return map[string]string{
		OutVpcID:         m.Network.VPC,
		OutPublicSubnets: strings.Join(slices.Sorted(slices.Values(m.Network.PublicSubnets)), ","),
		OutTaskSubnets:   strings.Join(slices.Sorted(slices.Values(m.Network.TaskSubnets())), ","),
	}
}

// addFlowLogs records the VPC's traffic (rejected, or all) in a log group of its own,
// through a role only the flow logs of this account can assume, that may write only
// to that group.
func addFlowLogs(t *cfn.Template, m *manifest.Manifest) {
	t.Resources.Set("FlowLogGroup", cfn.Resource{Type: "AWS::Logs::LogGroup", Properties: map[string]any{
		"LogGroupName":    cfn.Sub("/berth/${Env}/vpc-flow-logs"),
		"RetentionInDays": m.Network.FlowLogsRetention,
	}})
	t.Resources.Set("FlowLogRole", cfn.Resource{Type: "AWS::IAM::Role", Properties: map[string]any{
		"AssumeRolePolicyDocument": map[string]any{
			"Version": "2012-10-17",
			"Statement": []any{map[string]any{
				"Effect": "Allow", "Action": "sts:AssumeRole",
				"Principal": map[string]any{"Service": "vpc-flow-logs.amazonaws.com"},
				// the confused-deputy guard AWS documents for flow logs
				"Condition": map[string]any{
					"StringEquals": map[string]any{"aws:SourceAccount": cfn.Ref("AWS::AccountId")},
					"ArnLike":      map[string]any{"aws:SourceArn": cfn.Sub("arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:vpc-flow-log/*")},
				},
			}},
		},
		"Policies": []any{map[string]any{
			"PolicyName": "write-flow-logs",
			"PolicyDocument": map[string]any{
				"Version": "2012-10-17",
				"Statement": []any{map[string]any{
					"Effect":   "Allow",
					"Action":   []any{"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"},
					"Resource": []any{cfn.GetAtt("FlowLogGroup.Arn"), cfn.Sub("${FlowLogGroup.Arn}:*")},
				}},
			},
		}},
	}})
	traffic := "REJECT"
	if m.Network.FlowLogs == manifest.FlowLogsAll {
		traffic = "ALL"
	}
	t.Resources.Set("FlowLog", cfn.Resource{Type: "AWS::EC2::FlowLog", Properties: map[string]any{
		"ResourceId":               cfn.Ref("VPC"),
		"ResourceType":             "VPC",
		"TrafficType":              traffic,
		"LogDestinationType":       "cloud-watch-logs",
		"LogGroupName":             cfn.Ref("FlowLogGroup"),
		"DeliverLogsPermissionArn": cfn.GetAtt("FlowLogRole.Arn"),
		"Tags":                     cfn.Tags("Name", cfn.Sub("berth-${Env}")),
	}})
}

func vpc(cidr string) cfn.Resource {
	return cfn.Resource{Type: "AWS::EC2::VPC", Properties: map[string]any{
		"CidrBlock":          cidr,
		"EnableDnsSupport":   true,
		"EnableDnsHostnames": true,
		"Tags":               cfn.Tags("Name", cfn.Sub("berth-${Env}")),
	}}
}

// subnet is one subnet. No subnet gives a public address to whatever is launched in it:
// the load balancer and the NAT gateways have their own, and a public instance or task
// asks for one explicitly (its launch template, AssignPublicIp).
func subnet(az int, cidr, kind string) cfn.Resource {
	return cfn.Resource{Type: "AWS::EC2::Subnet", Properties: map[string]any{
		"VpcId":               cfn.Ref("VPC"),
		"CidrBlock":           cidr,
		"AvailabilityZone":    cfn.Select(az, cfn.GetAZs()),
		"MapPublicIpOnLaunch": false,
		"Tags":                cfn.Tags("Name", cfn.Sub(fmt.Sprintf("berth-${Env}-%s-%d", kind, az+1))),
	}}
}

func routeTable(name string) cfn.Resource {
	return cfn.Resource{Type: "AWS::EC2::RouteTable", Properties: map[string]any{
		"VpcId": cfn.Ref("VPC"),
		"Tags":  cfn.Tags("Name", cfn.Sub("berth-${Env}-"+name)),
	}}
}

func association(subnet, table string) cfn.Resource {
	return cfn.Resource{Type: "AWS::EC2::SubnetRouteTableAssociation", Properties: map[string]any{
		"SubnetId": cfn.Ref(subnet), "RouteTableId": cfn.Ref(table),
	}}
}

func natEIP(n int) cfn.Resource {
	return cfn.Resource{Type: "AWS::EC2::EIP", DependsOn: []string{"GatewayAttachment"}, Properties: map[string]any{
		"Domain": "vpc",
		"Tags":   cfn.Tags("Name", cfn.Sub(fmt.Sprintf("berth-${Env}-nat-%d", n))),
	}}
}

func natGateway(n int, publicSubnet string) cfn.Resource {
	return cfn.Resource{Type: "AWS::EC2::NatGateway", Properties: map[string]any{
		"AllocationId": cfn.GetAtt(fmt.Sprintf("NatEIP%d.AllocationId", n)),
		"SubnetId":     cfn.Ref(publicSubnet),
		"Tags":         cfn.Tags("Name", cfn.Sub(fmt.Sprintf("berth-${Env}-nat-%d", n))),
	}}
}

// SubnetCIDRs splits the VPC range into equal blocks: the public subnets first, then the
// private ones. With two zones in 10.0.0.0/16 that is the reference layout, four /18s.
func SubnetCIDRs(vpc string, azs int) (public, private []string) {
	p := netip.MustParsePrefix(vpc)
	extra := bits.Len(uint(2*azs - 1)) // bits needed to number 2*azs blocks
	size := p.Bits() + extra
	base := p.Addr().As4()
	start := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3])
	block := func(i int) string {
		v := start + uint32(i)<<(32-size)
		a := netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
		return netip.PrefixFrom(a, size).String()
	}
	for i := range azs {
		public = append(public, block(i))
		private = append(private, block(azs+i))
	}
	return public, private
}
