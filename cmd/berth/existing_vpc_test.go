package main

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
)

// companyVPC is a network the company has, built in the test as its network team
// would: public subnets routed to an internet gateway, private ones to a NAT gateway
// in their zone, DNS support and hostnames on.
type companyVPC struct {
	id               string
	public, private  []string // us-east-1a, us-east-1b
	publicA2, lonely string   // a second public subnet in us-east-1a; a subnet on the main route table
}

func buildVPC(t *testing.T, api *ec2.Client, cidr string) companyVPC {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	v, err := api.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String(cidr)})
	must(err)
	n := companyVPC{id: aws.ToString(v.Vpc.VpcId)}
	_, err = api.ModifyVpcAttribute(ctx, &ec2.ModifyVpcAttributeInput{VpcId: v.Vpc.VpcId, EnableDnsHostnames: &ec2types.AttributeBooleanValue{Value: aws.Bool(true)}})
	must(err)
	prefix := strings.TrimSuffix(cidr, "0.0/16")
	subnet := func(i int, az string) string {
		s, err := api.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: v.Vpc.VpcId, CidrBlock: aws.String(fmt.Sprintf("%s%d.0/24", prefix, i)), AvailabilityZone: aws.String(az)})
		must(err)
		return aws.ToString(s.Subnet.SubnetId)
	}
	table := func(subnets ...string) *string {
		rt, err := api.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: v.Vpc.VpcId})
		must(err)
		for _, s := range subnets {
			_, err := api.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: rt.RouteTable.RouteTableId, SubnetId: aws.String(s)})
			must(err)
		}
		return rt.RouteTable.RouteTableId
	}
	igw, err := api.CreateInternetGateway(ctx, &ec2.CreateInternetGatewayInput{})
	must(err)
	_, err = api.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{VpcId: v.Vpc.VpcId, InternetGatewayId: igw.InternetGateway.InternetGatewayId})
	must(err)
	n.public = []string{subnet(0, "us-east-1a"), subnet(1, "us-east-1b")}
	n.publicA2 = subnet(2, "us-east-1a")
	public := table(append(slices.Clone(n.public), n.publicA2)...)
	_, err = api.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: public, DestinationCidrBlock: aws.String("0.0.0.0/0"), GatewayId: igw.InternetGateway.InternetGatewayId})
	must(err)
	for i, az := range []string{"us-east-1a", "us-east-1b"} {
		eip, err := api.AllocateAddress(ctx, &ec2.AllocateAddressInput{Domain: ec2types.DomainTypeVpc})
		must(err)
		nat, err := api.CreateNatGateway(ctx, &ec2.CreateNatGatewayInput{SubnetId: aws.String(n.public[i]), AllocationId: eip.AllocationId})
		must(err)
		s := subnet(10+i, az)
		n.private = append(n.private, s)
		_, err = api.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: table(s), DestinationCidrBlock: aws.String("0.0.0.0/0"), NatGatewayId: nat.NatGateway.NatGatewayId})
		must(err)
	}
	n.lonely = subnet(20, "us-east-1b") // no table of its own: the VPC's main one, which routes nowhere
	return n
}

// snapshot is what the test compares before and after: every subnet of the VPC with
// its tags, and every route table with its routes and associations.
func snapshot(t *testing.T, api *ec2.Client, vpc string) string {
	t.Helper()
	ctx := context.Background()
	filter := []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpc}}}
	vpcs, err := api.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{vpc}})
	if err != nil {
		t.Fatalf("the VPC %s: %v", vpc, err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "vpc %s tags %v\n", vpc, tagsOf(vpcs.Vpcs[0].Tags))
	subnets, _ := api.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: filter})
	for _, s := range subnets.Subnets {
		fmt.Fprintf(&b, "subnet %s %s tags %v\n", aws.ToString(s.SubnetId), aws.ToString(s.CidrBlock), tagsOf(s.Tags))
	}
	tables, _ := api.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: filter})
	for _, rt := range tables.RouteTables {
		fmt.Fprintf(&b, "table %s tags %v\n", aws.ToString(rt.RouteTableId), tagsOf(rt.Tags))
		for _, r := range rt.Routes {
			fmt.Fprintf(&b, "  route %s %s%s%s\n", aws.ToString(r.DestinationCidrBlock), aws.ToString(r.GatewayId), aws.ToString(r.NatGatewayId), r.State)
		}
		for _, a := range rt.Associations {
			fmt.Fprintf(&b, "  association %s main %v\n", aws.ToString(a.SubnetId), aws.ToBool(a.Main))
		}
	}
	lines := strings.Split(b.String(), "\n")
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

func tagsOf(tags []ec2types.Tag) []string {
	var out []string
	for _, t := range tags {
		out = append(out, aws.ToString(t.Key)+"="+aws.ToString(t.Value))
	}
	return out
}

// berthStacks lists the stacks of environment e that exist, over every page.
func berthStacks(t *testing.T, cf *cloudformation.Client, e string) []string {
	t.Helper()
	var names []string
	p := cloudformation.NewDescribeStacksPaginator(cf, &cloudformation.DescribeStacksInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range page.Stacks {
			if strings.HasPrefix(aws.ToString(s.StackName), "berth-"+e+"-") {
				names = append(names, aws.ToString(s.StackName))
			}
		}
	}
	return names
}

// Issue 27: a deploy into the VPC a company already has. The emulator's EC2 answers
// every call the check makes (DescribeVpcAttribute, AvailableIpAddressCount, route
// table associations, main route tables), so nothing of it is left to recorded answers
// here; internal/network covers what this VPC does not show (endpoints only, transit
// gateways, too few addresses).
func TestDeployIntoAnExistingVPC(t *testing.T) {
	t.Parallel()
	env := awsEnv(t)
	c := clients(t, env)
	ctx := context.Background()
	api := ec2API(t)
	const e = "e2e-vpc"
	n := buildVPC(t, api, "10.30.0.0/16")
	other := buildVPC(t, api, "10.31.0.0/16")
	manifest := func(public, private []string) string {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "berth.yml"), fmt.Sprintf(`name: ledger
image:
  location: public.ecr.aws/docker/library/nginx:latest
count: 2
capacity:
  max: 4
network:
  vpc: %s
  public_subnets: [%s]
  private_subnets: [%s]
`, n.id, strings.Join(public, ", "), strings.Join(private, ", ")))
		return dir
	}
	before := snapshot(t, api, n.id)

	// refused before any stack changes, with the reason and the ids
	for _, tc := range []struct {
		name            string
		public, private []string
		want            string
	}{
		{"a subnet of another VPC", []string{n.public[0], other.public[1]}, n.private,
			fmt.Sprintf("berth.yml:9: network.public_subnets[1]: %s is in %s, not in network.vpc %s", other.public[1], other.id, n.id)},
		{"one zone", []string{n.public[0], n.publicA2}, n.private,
			fmt.Sprintf("berth.yml:9: network.public_subnets: %s and %s are all in us-east-1a: a load balancer needs subnets in at least two Availability Zones", n.public[0], n.publicA2)},
		{"a public subnet without a route to the internet gateway", []string{n.public[0], n.lonely}, n.private,
			fmt.Sprintf("berth.yml:9: network.public_subnets[1]: %s (us-east-1b) is not public: the VPC's main route table rtb-", n.lonely) +
				" (it has none of its own) has no route for 0.0.0.0/0, so the internet cannot reach a load balancer there (a public subnet routes 0.0.0.0/0 to an internet gateway)\n" +
				"hint: nothing was changed, and berth changes nothing of a network it did not create: name other subnets in berth.yml, or have the owner of " + n.id + " fix it, then deploy again\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := manifest(tc.public, tc.private)
			for _, cmd := range [][]string{{"deploy", "--yes"}, {"diff"}} {
				r := berthWith(t, dir, env, append(cmd, "--env", e)...)
				if r.code != 2 || !matches(r.stderr, tc.want) || !strings.Contains(r.stderr, "hint: nothing was changed") {
					t.Errorf("%s: exit %d, want 2 and %q\n%s%s", cmd[0], r.code, tc.want, r.stdout, r.stderr)
				}
			}
			if s := berthStacks(t, c.CF, e); len(s) > 0 {
				t.Errorf("stacks exist after the refusal: %v", s)
			}
		})
	}

	dir := manifest(n.public, n.private)
	r := berthWith(t, dir, env, "deploy", "--env", e, "--yes")
	mustSucceed(t, r, "deploy into the existing VPC")
	for _, want := range []string{
		"network: the existing VPC " + n.id + ", checked; berth creates no network stack and changes nothing of the VPC",
		"network: zones us-east-1a, us-east-1b: the load balancer in the public subnets, the tasks in the private ones",
		"network: out: " + n.private[0] + " through nat-",
		// two /24s (251 free each, one taken by each NAT gateway), 2 × 200 % tasks and 4 instances
		"network: addresses: the private subnets have 502 free address(es); the service takes at most 8: 4 task(s)",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the plan lacks %q:\n%s", want, r.stdout)
		}
	}
	if got := sorted(berthStacks(t, c.CF, e)); !slices.Equal(got, []string{"berth-e2e-vpc-cluster", "berth-e2e-vpc-ingress", "berth-e2e-vpc-svc-ledger"}) {
		t.Errorf("stacks %v, want the cluster, the environment's load balancer and the service, and no network", got)
	}

	// the load balancer (the environment's) in the given public subnets, the tasks and
	// instances in the given private ones
	lbs, err := c.ELB.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{stackResource(t, c, "berth-"+e+"-ingress", "LoadBalancer")}})
	if err != nil || len(lbs.LoadBalancers) != 1 {
		t.Fatalf("the load balancer of %s: %v", e, err)
	}
	var lbSubnets []string
	for _, z := range lbs.LoadBalancers[0].AvailabilityZones {
		lbSubnets = append(lbSubnets, aws.ToString(z.SubnetId))
	}
	if slices.Sort(lbSubnets); !slices.Equal(lbSubnets, sorted(n.public)) || aws.ToString(lbs.LoadBalancers[0].VpcId) != n.id {
		t.Errorf("load balancer in %v of %s, want %v of %s", lbSubnets, aws.ToString(lbs.LoadBalancers[0].VpcId), n.public, n.id)
	}
	svcs, err := c.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("berth-" + e), Services: []string{"ledger"}})
	if err != nil || len(svcs.Services) != 1 || svcs.Services[0].NetworkConfiguration == nil {
		t.Fatalf("service: %v %+v", err, svcs)
	}
	tasks := slices.Clone(svcs.Services[0].NetworkConfiguration.AwsvpcConfiguration.Subnets)
	if slices.Sort(tasks); !slices.Equal(tasks, sorted(n.private)) {
		t.Errorf("the tasks' network configuration names %v, want %v", tasks, n.private)
	}
	groups, _ := c.ASG.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{})
	for _, g := range groups.AutoScalingGroups {
		if strings.HasPrefix(aws.ToString(g.AutoScalingGroupName), "berth-"+e+"-") {
			zone := strings.Split(aws.ToString(g.VPCZoneIdentifier), ",")
			if slices.Sort(zone); !slices.Equal(zone, sorted(n.private)) {
				t.Errorf("the instances' group is in %v, want %v", zone, n.private)
			}
		}
	}

	// the environment knows its network: status shows it, a second deploy is the same,
	// and a service naming another VPC is refused
	st := berthWith(t, t.TempDir(), env, "status", "--env", e)
	mustSucceed(t, st, "status --env")
	if !strings.Contains(st.stdout, "network: the existing VPC "+n.id+", public subnets ") || strings.Contains(st.stdout, "berth-e2e-vpc-network") {
		t.Errorf("status does not show the existing network:\n%s", st.stdout)
	}
	svc := berthWith(t, dir, env, "status", "--env", e)
	mustSucceed(t, svc, "status")
	if !strings.Contains(svc.stdout, "network: the existing VPC "+n.id) || strings.Contains(svc.stdout, "berth-e2e-vpc-network") {
		t.Errorf("the service's status does not show the existing network:\n%s", svc.stdout)
	}
	again := berthWith(t, dir, env, "deploy", "--env", e, "--yes")
	mustSucceed(t, again, "second deploy")
	if !strings.Contains(again.stdout, "berth-e2e-vpc-cluster: no changes") {
		t.Errorf("the second deploy changed the cluster:\n%s", again.stdout)
	}
	stranger := t.TempDir()
	writeFile(t, filepath.Join(stranger, "berth.yml"), fmt.Sprintf("name: other\nnetwork:\n  vpc: %s\n  public_subnets: [%s]\n  private_subnets: [%s]\n",
		other.id, strings.Join(other.public, ", "), strings.Join(other.private, ", ")))
	if r := berthWith(t, stranger, env, "deploy", "--env", e, "--yes"); r.code != 2 || !strings.Contains(r.stderr, "berth.yml:3: network.vpc: the environment e2e-vpc runs in the existing VPC "+n.id+" and this manifest names "+other.id) {
		t.Errorf("a service in another VPC: exit %d\n%s", r.code, r.stderr)
	}
	cost := berthWith(t, dir, env, "cost", "--region", "us-east-1")
	if !strings.Contains(cost.stdout, "the existing network "+n.id+"  not berth's") || strings.Contains(cost.stdout, "NAT gateways  ") {
		t.Errorf("cost:\n%s", cost.stdout)
	}

	// deleting the environment leaves the VPC and every subnet, and says so
	del := berthWith(t, t.TempDir(), env, "delete", "--env", e, "--environment", "--force", "--yes")
	mustSucceed(t, del, "delete --environment")
	keeps := fmt.Sprintf("the existing VPC %s and its subnets %s stay as they are: berth did not create them", n.id, strings.Join(append(sorted(n.public), sorted(n.private)...), ", "))
	if strings.Count(del.stdout, keeps) != 2 || strings.Contains(del.stdout, "berth-e2e-vpc-network") {
		t.Errorf("delete should list no network stack and say twice (in the list, and when done) %q:\n%s", keeps, del.stdout)
	}
	if s := berthStacks(t, c.CF, e); len(s) > 0 {
		t.Errorf("stacks remain: %v", s)
	}
	if after := snapshot(t, api, n.id); after != before {
		t.Errorf("the VPC changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

func sorted(l []string) []string { return slices.Sorted(slices.Values(l)) }

// matches reports whether text holds want, where "rtb-" in want stands for any route
// table id (the emulator makes them up).
func matches(text, want string) bool {
	before, after, ok := strings.Cut(want, "rtb-")
	if !ok {
		return strings.Contains(text, want)
	}
	i := strings.Index(text, before)
	if i < 0 {
		return false
	}
	rest := strings.TrimLeft(strings.TrimPrefix(text[i+len(before):], "rtb-"), "0123456789abcdef")
	return strings.HasPrefix(rest, after)
}

// berth up runs a manifest that names an existing VPC as it runs any other: locally
// there is no VPC, and the network keys are AWS's.
func TestUpRunsAManifestInAnExistingVPC(t *testing.T) {
	t.Parallel()
	dir := testApp(t, "ledger", "network:\n  vpc: vpc-0abc1234def567890\n  public_subnets: [subnet-0aaa1111, subnet-0bbb2222]\n  private_subnets: [subnet-0ccc3333, subnet-0ddd4444]\n")
	p := launchUp(t, dir, "e2e-upvpc")
	p.waitFor("ready: ", 3*time.Minute)
	p.waitFor("ledger-2 is healthy", 30*time.Second)
	bodies := map[string]bool{}
	for deadline := time.Now().Add(10 * time.Second); len(bodies) < 2 && time.Now().Before(deadline); {
		if b, code, _ := getBody(p.url + "/"); code == 200 {
			bodies[b] = true
		}
	}
	if len(bodies) != 2 {
		t.Errorf("answers %v, want both replicas", bodies)
	}
}
