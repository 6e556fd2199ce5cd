package network

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
	"github.com/berthdev/berth/internal/manifest"
)

// fakeEC2 answers as EC2 does (the answers recorded from the emulator, whose EC2 is
// moto's: subnet-id and vpc-id filters, AvailableIpAddressCount, associations with
// Main), from a VPC the test describes.
type fakeEC2 struct {
	vpcs      []string
	noDNS     map[types.VpcAttributeName]bool
	subnets   []types.Subnet
	tables    []types.RouteTable
	endpoints []types.VpcEndpoint
	calls     []string
}

func (f *fakeEC2) DescribeVpcs(_ context.Context, in *ec2.DescribeVpcsInput, _ ...func(*ec2.Options)) (*ec2.DescribeVpcsOutput, error) {
	f.calls = append(f.calls, "DescribeVpcs")
	for _, id := range in.VpcIds {
		if !slices.Contains(f.vpcs, id) {
			return nil, &smithy.GenericAPIError{Code: "InvalidVpcID.NotFound", Message: "VpcID {'" + id + "'} does not exist."}
		}
	}
	return &ec2.DescribeVpcsOutput{Vpcs: []types.Vpc{{VpcId: aws.String(in.VpcIds[0])}}}, nil
}

func (f *fakeEC2) DescribeVpcAttribute(_ context.Context, in *ec2.DescribeVpcAttributeInput, _ ...func(*ec2.Options)) (*ec2.DescribeVpcAttributeOutput, error) {
	f.calls = append(f.calls, "DescribeVpcAttribute")
	v := &types.AttributeBooleanValue{Value: aws.Bool(!f.noDNS[in.Attribute])}
	out := &ec2.DescribeVpcAttributeOutput{VpcId: in.VpcId}
	if in.Attribute == types.VpcAttributeNameEnableDnsSupport {
		out.EnableDnsSupport = v
	} else {
		out.EnableDnsHostnames = v
	}
	return out, nil
}

func values(fs []types.Filter, name string) []string {
	for _, f := range fs {
		if aws.ToString(f.Name) == name {
			return f.Values
		}
	}
	return nil
}

func (f *fakeEC2) DescribeSubnets(_ context.Context, in *ec2.DescribeSubnetsInput, _ ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error) {
	f.calls = append(f.calls, "DescribeSubnets")
	out := &ec2.DescribeSubnetsOutput{}
	for _, s := range f.subnets {
		if slices.Contains(values(in.Filters, "subnet-id"), aws.ToString(s.SubnetId)) {
			out.Subnets = append(out.Subnets, s)
		}
	}
	return out, nil
}

func (f *fakeEC2) DescribeRouteTables(_ context.Context, in *ec2.DescribeRouteTablesInput, _ ...func(*ec2.Options)) (*ec2.DescribeRouteTablesOutput, error) {
	f.calls = append(f.calls, "DescribeRouteTables")
	out := &ec2.DescribeRouteTablesOutput{}
	for _, t := range f.tables {
		if slices.Contains(values(in.Filters, "vpc-id"), aws.ToString(t.VpcId)) {
			out.RouteTables = append(out.RouteTables, t)
		}
	}
	return out, nil
}

func (f *fakeEC2) DescribeVpcEndpoints(_ context.Context, in *ec2.DescribeVpcEndpointsInput, _ ...func(*ec2.Options)) (*ec2.DescribeVpcEndpointsOutput, error) {
	f.calls = append(f.calls, "DescribeVpcEndpoints")
	out := &ec2.DescribeVpcEndpointsOutput{}
	for _, e := range f.endpoints {
		if slices.Contains(values(in.Filters, "vpc-id"), aws.ToString(e.VpcId)) {
			out.VpcEndpoints = append(out.VpcEndpoints, e)
		}
	}
	return out, nil
}

const vpc = "vpc-0a1b2c3d4e5f60718"

func subnet(id, az string, free int32) types.Subnet {
	return types.Subnet{SubnetId: aws.String(id), VpcId: aws.String(vpc), AvailabilityZone: aws.String(az), AvailableIpAddressCount: aws.Int32(free)}
}

// table is a route table of the VPC, associated with subnets (main: the VPC's main
// table), with a local route and, unless to is "", 0.0.0.0/0 to the target to.
func table(id, to string, main bool, subnets ...string) types.RouteTable {
	t := types.RouteTable{RouteTableId: aws.String(id), VpcId: aws.String(vpc),
		Routes: []types.Route{{DestinationCidrBlock: aws.String("10.1.0.0/16"), GatewayId: aws.String("local"), State: types.RouteStateActive}}}
	if main {
		t.Associations = append(t.Associations, types.RouteTableAssociation{Main: aws.Bool(true), RouteTableId: aws.String(id)})
	}
	for _, s := range subnets {
		t.Associations = append(t.Associations, types.RouteTableAssociation{Main: aws.Bool(false), RouteTableId: aws.String(id), SubnetId: aws.String(s)})
	}
	r := types.Route{DestinationCidrBlock: aws.String("0.0.0.0/0"), State: types.RouteStateActive}
	switch {
	case to == "":
		return t
	case strings.HasPrefix(to, "nat-"):
		r.NatGatewayId = aws.String(to)
	case strings.HasPrefix(to, "tgw-"):
		r.TransitGatewayId = aws.String(to)
	default:
		r.GatewayId = aws.String(to)
	}
	t.Routes = append(t.Routes, r)
	return t
}

// good is the network of the issue: public subnets routed to an internet gateway,
// private ones to a NAT gateway each, in two zones; the main table routes nowhere.
func good() *fakeEC2 {
	return &fakeEC2{
		vpcs: []string{vpc, "vpc-0ffffffffffffffff"},
		subnets: []types.Subnet{
			subnet("subnet-0aaa1111aaaa1111a", "us-east-1a", 251), subnet("subnet-0bbb2222bbbb2222b", "us-east-1b", 251),
			subnet("subnet-0ccc3333cccc3333c", "us-east-1a", 4091), subnet("subnet-0ddd4444dddd4444d", "us-east-1b", 4091),
		},
		tables: []types.RouteTable{
			table("rtb-main", "", true),
			table("rtb-public", "igw-0123", false, "subnet-0aaa1111aaaa1111a", "subnet-0bbb2222bbbb2222b"),
			table("rtb-private-a", "nat-0aaa", false, "subnet-0ccc3333cccc3333c"),
			table("rtb-private-b", "nat-0bbb", false, "subnet-0ddd4444dddd4444d"),
		},
	}
}

func existing(t *testing.T, extra string) *manifest.Manifest {
	t.Helper()
	m, err := manifest.Parse([]byte(`name: orders
count: {min: 2, max: 10}
capacity:
  max: 20
network:
  vpc: `+vpc+`
  public_subnets: [subnet-0aaa1111aaaa1111a, subnet-0bbb2222bbbb2222b]
  private_subnets: [subnet-0ccc3333cccc3333c, subnet-0ddd4444dddd4444d]
`+extra), "berth.yml")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

var fresh = Options{Region: "us-east-1", Fresh: true}

func TestAGoodNetworkPassesAndSaysWhatItFound(t *testing.T) {
	api := good()
	r, err := Check(context.Background(), api, existing(t, ""), fresh)
	if err != nil {
		t.Fatal(err)
	}
	notes := strings.Join(r.Notes, "\n")
	for _, want := range []string{
		"zones us-east-1a, us-east-1b: the load balancer in the public subnets, the tasks in the private ones",
		"out: subnet-0ccc3333cccc3333c through nat-0aaa, subnet-0ddd4444dddd4444d through nat-0bbb",
		// 10 × 200 % = 20 tasks, and 20 instances
		"addresses: the private subnets have 8182 free address(es); the service takes at most 40: 20 task(s), a network interface each (count.max 10 at deployment.max_percent 200 % during a rollout) and 20 instance(s) (capacity.max)",
	} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
	if len(r.Warnings) != 0 || !slices.Equal(r.Zones, []string{"us-east-1a", "us-east-1b"}) {
		t.Errorf("warnings %v, zones %v", r.Warnings, r.Zones)
	}
	if slices.Contains(api.calls, "DescribeVpcEndpoints") {
		t.Error("the endpoints were read although the private subnets have NAT")
	}
}

// refused runs the check and returns its refusal's text, failing unless it is a
// refusal whose every problem is a manifest error (exit code 2).
func refused(t *testing.T, api EC2, m *manifest.Manifest, o Options) string {
	t.Helper()
	_, err := Check(context.Background(), api, m, o)
	var r *Refusal
	if !errors.As(err, &r) {
		t.Fatalf("err %v, want a refusal", err)
	}
	var me *manifest.Error
	if !errors.As(err, &me) || !manifest.IsManifestError(err) || !strings.Contains(r.Hint(), "nothing was changed") {
		t.Errorf("%v is not a manifest error with a hint", err)
	}
	return err.Error()
}

func TestAnUnfitNetworkIsRefusedWithTheReasonAndTheIDs(t *testing.T) {
	for _, c := range []struct {
		name  string
		edit  func(f *fakeEC2)
		extra string
		want  []string
	}{
		{"no such VPC", func(f *fakeEC2) { f.vpcs = nil }, "",
			[]string{"berth.yml:6: network.vpc: " + vpc + " does not exist in us-east-1"}},
		{"DNS hostnames off", func(f *fakeEC2) {
			f.noDNS = map[types.VpcAttributeName]bool{types.VpcAttributeNameEnableDnsHostnames: true}
		}, "",
			[]string{"network.vpc: " + vpc + " has enableDnsHostnames off"}},
		{"a subnet of another VPC", func(f *fakeEC2) { f.subnets[1].VpcId = aws.String("vpc-0ffffffffffffffff") }, "",
			[]string{"berth.yml:7: network.public_subnets[1]: subnet-0bbb2222bbbb2222b is in vpc-0ffffffffffffffff, not in network.vpc " + vpc}},
		{"a subnet that does not exist", func(f *fakeEC2) { f.subnets = f.subnets[:3] }, "",
			[]string{"network.private_subnets[1]: subnet-0ddd4444dddd4444d does not exist in us-east-1"}},
		{"one zone", func(f *fakeEC2) {
			for i := range f.subnets {
				f.subnets[i].AvailabilityZone = aws.String("us-east-1a")
			}
		}, "", []string{
			"network.public_subnets: subnet-0aaa1111aaaa1111a and subnet-0bbb2222bbbb2222b are all in us-east-1a: a load balancer takes one subnet per Availability Zone",
			"network.public_subnets: subnet-0aaa1111aaaa1111a and subnet-0bbb2222bbbb2222b are all in us-east-1a: a load balancer needs subnets in at least two Availability Zones",
			"network.private_subnets: subnet-0ccc3333cccc3333c and subnet-0ddd4444dddd4444d are all in us-east-1a: the tasks need at least two"}},
		{"other zones", func(f *fakeEC2) { f.subnets[3].AvailabilityZone = aws.String("us-east-1c") }, "",
			[]string{"network.private_subnets: the private subnets are in us-east-1a, us-east-1c and the public ones in us-east-1a, us-east-1b"}},
		{"a public subnet routed to NAT", func(f *fakeEC2) {
			f.tables[1] = table("rtb-public", "nat-0aaa", false, "subnet-0aaa1111aaaa1111a", "subnet-0bbb2222bbbb2222b")
		}, "",
			[]string{"network.public_subnets[0]: subnet-0aaa1111aaaa1111a (us-east-1a) is not public: its route table rtb-public sends 0.0.0.0/0 to nat-0aaa, not to an internet gateway"}},
		{"a public subnet on the main table", func(f *fakeEC2) { f.tables[1] = table("rtb-public", "igw-0123", false, "subnet-0aaa1111aaaa1111a") }, "",
			[]string{"network.public_subnets[1]: subnet-0bbb2222bbbb2222b (us-east-1b) is not public: the VPC's main route table rtb-main (it has none of its own) has no route for 0.0.0.0/0"}},
		{"a private subnet routed to the internet gateway", func(f *fakeEC2) { f.tables[3] = table("rtb-private-b", "igw-0123", false, "subnet-0ddd4444dddd4444d") }, "",
			[]string{"network.private_subnets[1]: subnet-0ddd4444dddd4444d (us-east-1b) is not private: its route table rtb-private-b sends 0.0.0.0/0 to the internet gateway igw-0123"}},
		{"no way out", func(f *fakeEC2) {
			f.tables[2], f.tables[3] = table("rtb-private-a", "", false, "subnet-0ccc3333cccc3333c"), table("rtb-private-b", "", false, "subnet-0ddd4444dddd4444d")
		}, "",
			[]string{"network.private_subnets: subnet-0ccc3333cccc3333c, subnet-0ddd4444dddd4444d: no way out", "com.amazonaws.us-east-1.ecr.dkr", "com.amazonaws.us-east-1.ecs-agent"}},
		{"a load balancer without room", func(f *fakeEC2) { f.subnets[0].AvailableIpAddressCount = aws.Int32(5) }, "",
			[]string{"network.public_subnets[0]: subnet-0aaa1111aaaa1111a (us-east-1a) has 5 free address(es): a load balancer needs at least 8"}},
		{"too few addresses", func(f *fakeEC2) {
			f.subnets[2].AvailableIpAddressCount, f.subnets[3].AvailableIpAddressCount = aws.Int32(11), aws.Int32(11)
		}, "", []string{"network.private_subnets: the private subnets have 22 free address(es), and the service may take 40: 20 task(s)"}},
		{"too few addresses with placement public", func(f *fakeEC2) {
			f.subnets[0].AvailableIpAddressCount, f.subnets[1].AvailableIpAddressCount = aws.Int32(17), aws.Int32(17)
		}, "", []string{"network.public_subnets: the public subnets have 34 free address(es), 16 of them kept for the load balancer, and the service may take 20: 20 task(s), a network interface each (count.max 10 at deployment.max_percent 200 % during a rollout) (name larger subnets"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			api := good()
			c.edit(api)
			m := existing(t, "")
			if strings.Contains(c.name, "placement public") {
				m = publicPlacement(t)
			}
			got := refused(t, api, m, fresh)
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("refusal lacks %q:\n%s", w, got)
				}
			}
		})
	}
}

func publicPlacement(t *testing.T) *manifest.Manifest {
	m, err := manifest.Parse([]byte("name: edge\ncount: {min: 2, max: 10}\ncapacity:\n  type: fargate\nnetwork:\n  placement: public\n  vpc: "+vpc+
		"\n  public_subnets: [subnet-0aaa1111aaaa1111a, subnet-0bbb2222bbbb2222b]\n"), "berth.yml")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// With placement public on Fargate each task has an interface of its own in the public
// subnets; on EC2 the tasks share their instance's.
func TestNeedFollowsPlacementAndCapacity(t *testing.T) {
	if n := NeedOf(publicPlacement(t)); n.Tasks != 20 || n.Instances != 0 {
		t.Errorf("Fargate, public: %+v", n)
	}
	m := existing(t, "deployment:\n  max_percent: 150\n")
	if n := NeedOf(m); n.Tasks != 15 || n.Instances != 20 {
		t.Errorf("EC2, private, 150 %%: %+v", n)
	}
	m.Network.Placement = "public"
	if n := NeedOf(m); n.Tasks != 0 || n.Instances != 20 {
		t.Errorf("EC2, public (bridge mode): %+v", n)
	}
}

// Once the environment runs, what it runs holds addresses the count includes: a
// shortfall is then a warning, not a refusal.
func TestTooFewAddressesIsAWarningOnceTheEnvironmentRuns(t *testing.T) {
	api := good()
	api.subnets[2].AvailableIpAddressCount, api.subnets[3].AvailableIpAddressCount = aws.Int32(11), aws.Int32(11)
	r, err := Check(context.Background(), api, existing(t, ""), Options{Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "22 free address(es), and the service may take 40") {
		t.Errorf("warnings %q", r.Warnings)
	}
}

// Private subnets with no route out work with the VPC endpoints the tasks need, and a
// warning says what will not; an image from outside ECR cannot be pulled there.
func TestEndpointsOnlyIsAWarning(t *testing.T) {
	api := good()
	api.tables[2], api.tables[3] = table("rtb-private-a", "", false, "subnet-0ccc3333cccc3333c"), table("rtb-private-b", "", false, "subnet-0ddd4444dddd4444d")
	for _, svc := range []string{"ecr.api", "ecr.dkr", "logs", "ssm"} {
		api.endpoints = append(api.endpoints, types.VpcEndpoint{VpcId: aws.String(vpc), ServiceName: aws.String("com.amazonaws.us-east-1." + svc),
			VpcEndpointType: types.VpcEndpointTypeInterface, State: "available", PrivateDnsEnabled: aws.Bool(true)})
	}
	api.endpoints = append(api.endpoints, types.VpcEndpoint{VpcId: aws.String(vpc), ServiceName: aws.String("com.amazonaws.us-east-1.s3"),
		VpcEndpointType: types.VpcEndpointTypeGateway, State: "available", RouteTableIds: []string{"rtb-private-a", "rtb-private-b"}})
	const fargate = "image:\n  location: 123456789012.dkr.ecr.us-east-1.amazonaws.com/orders:1\ncapacity:\n  type: fargate\nsecrets:\n  DB: ssm:/orders/db\n"
	mf := existingFargate(t, fargate)
	r, err := Check(context.Background(), api, mf, fresh)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "have no way out (no NAT gateway or instance): the tasks reach only what VPC endpoints serve (ecr.api, ecr.dkr, s3, logs, ssm) and nothing on the internet") {
		t.Errorf("warnings %q", r.Warnings)
	}

	// the gateway endpoint of S3 must be in the subnets' route tables
	api.endpoints[len(api.endpoints)-1].RouteTableIds = []string{"rtb-private-a"}
	if got := refused(t, api, mf, fresh); !strings.Contains(got, "lacks the VPC endpoints the tasks would need instead: com.amazonaws.us-east-1.s3 ") {
		t.Errorf("refusal %s", got)
	}
	api.endpoints[len(api.endpoints)-1].RouteTableIds = []string{"rtb-private-a", "rtb-private-b"}

	// an image from a public registry cannot be pulled without a way out
	if got := refused(t, api, existingFargate(t, "capacity:\n  type: fargate\n"), fresh); !strings.Contains(got, "image.location: public.ecr.aws/nginx/nginx:latest is pulled from outside AWS's private ECR") {
		t.Errorf("refusal %s", got)
	}
}

func existingFargate(t *testing.T, extra string) *manifest.Manifest {
	t.Helper()
	m, err := manifest.Parse([]byte("name: orders\n"+extra+"network:\n  vpc: "+vpc+
		"\n  public_subnets: [subnet-0aaa1111aaaa1111a, subnet-0bbb2222bbbb2222b]\n  private_subnets: [subnet-0ccc3333cccc3333c, subnet-0ddd4444dddd4444d]\n"), "berth.yml")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// A transit gateway (a company's central egress) is a way out berth cannot see past.
func TestATransitGatewayIsAWayOutWithAWarning(t *testing.T) {
	api := good()
	api.tables[2] = table("rtb-private-a", "tgw-0abc", false, "subnet-0ccc3333cccc3333c")
	r, err := Check(context.Background(), api, existing(t, ""), fresh)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "subnet-0ccc3333cccc3333c goes out through tgw-0abc, past which berth cannot see") {
		t.Errorf("warnings %q", r.Warnings)
	}
}
