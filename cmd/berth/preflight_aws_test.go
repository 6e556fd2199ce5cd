package main

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/berthdev/berth/internal/session"
)

// What must hold in the account before a deploy changes anything (internal/preflight),
// on the emulator. The emulated account has raised quotas in us-east-1 (raiseQuotas), so
// these tests use regions of their own, where AWS's defaults hold.

// inRegion is the berth environment and a session of the test's own, in region.
func inRegion(t *testing.T, region string) ([]string, *session.Session) {
	t.Helper()
	env := awsEnv(t)
	s := clientsIn(t, env, region)              // the test's own calls go to the emulator too
	return append(env, "AWS_REGION="+region), s // the last value of a variable is the one in force
}

func noStacks(t *testing.T, s *session.Session) {
	t.Helper()
	out, err := s.CF.DescribeStacks(context.Background(), &cloudformation.DescribeStacksInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range out.Stacks {
		t.Errorf("stack %s exists (%s)", aws.ToString(st.StackName), st.StackStatus)
	}
}

// The default quota of 5 Elastic IPs (the emulator's Service Quotas has no value for it:
// the documented default counts), 4 of them in use, and a network with a NAT gateway in
// each of two zones: refused with the numbers before any stack exists (docs/aws.md, "What
// deploy does", shows this output); with network.nat: single the deploy fits.
func TestTooFewElasticIPsAreRefusedBeforeAnyStack(t *testing.T) {
	const region = "eu-north-1"
	env, s := inRegion(t, region)
	ctx := context.Background()
	api := ec2API(t)
	for range 4 {
		out, err := api.AllocateAddress(ctx, &ec2.AllocateAddressInput{Domain: ec2types.DomainTypeVpc}, func(o *ec2.Options) { o.Region = region })
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			api.ReleaseAddress(context.Background(), &ec2.ReleaseAddressInput{AllocationId: out.AllocationId}, func(o *ec2.Options) { o.Region = region })
		})
	}
	dir := project(t)
	for _, cmd := range [][]string{{"deploy", "--env", "e2e-eip", "--yes"}, {"diff", "--env", "e2e-eip"}} {
		r := berthWith(t, dir, env, cmd...)
		if r.code != 1 || !strings.Contains(r.stderr, "berth: Elastic IPs in eu-north-1: 4 of 5 in use, this deploy needs 2 (a NAT gateway per zone): the account's quotas leave no room for this deploy, so nothing was changed\n") ||
			!strings.Contains(r.stderr, "\nhint: request an increase: aws service-quotas request-service-quota-increase --service-code ec2 --quota-code L-0263D0A3 --desired-value 6 --region eu-north-1; or set network.nat: single in berth.yml (one NAT gateway, and one Elastic IP, for every zone); or release the Elastic IPs nothing uses (aws ec2 describe-addresses --region eu-north-1)\n") {
			t.Errorf("berth %s: exit %d\n%s%s", cmd[0], r.code, r.stdout, r.stderr)
		}
	}
	noStacks(t, s)

	single := project(t, "capacity:", "network:\n  nat: single\ncapacity:")
	r := berthWith(t, single, env, "diff", "--env", "e2e-eip")
	mustSucceed(t, r, "diff with one NAT gateway")
}

// The emulator's offerings are AWS's published ones (moto's copy): in eu-west-1, c8i.large
// is offered in eu-west-1a but not in eu-west-1b, the environment's second zone.
func TestInstanceTypeNotOfferedInAZoneIsRefused(t *testing.T) {
	env, s := inRegion(t, "eu-west-1")
	dir := project(t, "instance_type: m7i.large", "instance_type: c8i.large")
	r := berthWith(t, dir, env, "deploy", "--env", "e2e-offer", "--yes")
	if r.code != 2 || !strings.Contains(r.stderr, "capacity.instance_type: c8i.large is not offered in eu-west-1b, one of the environment's zones (eu-west-1a, eu-west-1b): the Auto Scaling group could not launch instances there\n") ||
		!strings.Contains(r.stderr, "hint: every zone of the environment offers c8a.large, c8i-flex.large, c7a.large, c7i-flex.large, c7i.large: set capacity.instance_type to one of them") {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	noStacks(t, s)
}

// Service pf-web in environment e2e-ln and service pf in environment web-e2e-ln would
// both name their load balancer pf-web-e2e-ln: the second is refused before its network
// is made, naming who holds the name; the first keeps deploying under it.
func TestLoadBalancerNameHeldByAnotherServiceIsRefused(t *testing.T) {
	env := awsEnv(t)
	c := clients(t, env)
	// load balancers of their own: the environment's has a name CloudFormation makes up
	own := "\nload_balancer:\n  dedicated: true"
	first := project(t, "name: orders", "name: pf-web"+own)
	mustSucceed(t, berthWith(t, first, env, "deploy", "--env", "e2e-ln", "--yes"), "first service")

	second := project(t, "name: orders", "name: pf"+own)
	r := berthWith(t, second, env, "deploy", "--env", "web-e2e-ln", "--yes")
	if r.code != 1 || !strings.Contains(r.stderr, "berth: the load balancer name pf-web-e2e-ln, which service pf in environment web-e2e-ln needs, is taken by the load balancer of service pf-web in environment e2e-ln") ||
		!strings.Contains(r.stderr, "hint: deploy under another service name (name: in berth.yml) or to another environment (--env)") {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if _, err := c.CF.DescribeStacks(context.Background(), &cloudformation.DescribeStacksInput{StackName: aws.String("berth-web-e2e-ln-network")}); err == nil {
		t.Error("the second environment's network was made")
	}

	redeploy := project(t, "name: orders", "name: pf-web"+own, "count: 3", "count: 2")
	mustSucceed(t, berthWith(t, redeploy, env, "deploy", "--env", "e2e-ln", "--yes"), "the first service, again")
}
