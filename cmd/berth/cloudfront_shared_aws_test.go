package main

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// CloudFront in front of the environment's load balancer (edge: cloudfront with the
// shared load balancer, issues 23 and 24), on the emulator: the ingress stack's load
// balancer internal in the private subnets, admitting CloudFront's origin-facing prefix
// list only, one distribution and VPC origin for the environment, two services on their
// paths of its *.cloudfront.net name; the second leaves edge out and takes the
// environment's; a third asking for edge: none there is refused with nothing changed;
// status, status --env, verify and check say so; deleting the services leaves no
// distribution, VPC origin or load balancer. What the emulator cannot do: serve a
// request (no distribution answers, no TLS handshake, no redirect, no task runs), so
// verify's HTTPS and redirect checks are skipped, as for a distribution of a service's
// own (TestCloudFrontInFrontFromTheFirstDeploy_TheEmulatorServesNoRequest).
func TestCloudFrontInFrontOfTheEnvironmentsLoadBalancer_TheEmulatorServesNoRequest(t *testing.T) {
	t.Parallel()
	env := awsEnv(t)
	c := clients(t, env)
	ctx := context.Background()
	const e = "e2e-cfs"
	orders := serviceIn(t, "orders", "  path: /orders\nedge: cloudfront")
	users := serviceIn(t, "users", "  path: /users")
	r := berthWith(t, orders, env, "deploy", "--env", e, "--yes")
	mustSucceed(t, r, "deploy orders")
	if !strings.Contains(r.stdout, "edge: cloudfront, the environment's: its CloudFront distribution serves HTTPS on its *.cloudfront.net name (HTTP redirected to it), this service on /orders") ||
		strings.Contains(r.stdout, "plain HTTP") {
		t.Errorf("the plan does not say which edge:\n%s", r.stdout)
	}
	ing := stackOutputs(t, c.CF, "berth-"+e+"-ingress")
	domain, dist := ing["SharedDistributionDomain"], ing["SharedDistribution"]
	url := stackOutputs(t, c.CF, "berth-"+e+"-svc-orders")["URL"]
	if domain == "" || url != "https://"+domain+"/orders" || !strings.Contains(r.stdout, ": "+url+"\n") {
		t.Fatalf("orders answers on %q, the distribution is %q:\n%s", url, domain, r.stdout)
	}

	// the load balancer: internal, in the private subnets, CloudFront's prefix list only
	lbARN := stackResource(t, c, "berth-"+e+"-ingress", "LoadBalancer")
	lbs, err := c.ELB.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{lbARN}})
	if err != nil {
		t.Fatal(err)
	}
	lb := lbs.LoadBalancers[0]
	var subnets []string
	for _, az := range lb.AvailabilityZones {
		subnets = append(subnets, aws.ToString(az.SubnetId))
	}
	slices.Sort(subnets)
	want := strings.Split(stackOutputs(t, c.CF, "berth-"+e+"-network")["TaskSubnets"], ",")
	slices.Sort(want)
	if lb.Scheme != elbtypes.LoadBalancerSchemeEnumInternal || !slices.Equal(subnets, want) {
		t.Errorf("the environment's load balancer: %s in %v; want internal in the private subnets %v", lb.Scheme, subnets, want)
	}
	admitsOnlyCloudFront(t, ctx, lb)
	var d cfDistribution
	cloudFrontAPI(t, "distribution/"+dist, &d)
	origins := vpcOriginsOn(t, lbARN)
	if d.DomainName != domain || d.Config.Behavior.ViewerProtocolPolicy != "redirect-to-https" || d.Config.Behavior.CachePolicyID != "4135ea2d-6df8-44a3-9df3-4b5a84be39ad" ||
		len(d.Config.Origins) != 1 || len(origins) != 1 || d.Config.Origins[0].VpcOriginID != origins[0] || d.Config.Origins[0].DomainName != aws.ToString(lb.DNSName) {
		t.Errorf("distribution %+v; VPC origins of the load balancer %v", d, origins)
	}

	// the second service takes the environment's edge: the same distribution, its path
	r = berthWith(t, users, env, "deploy", "--env", e, "--yes")
	mustSucceed(t, r, "deploy users")
	if u := stackOutputs(t, c.CF, "berth-"+e+"-svc-users")["URL"]; u != "https://"+domain+"/users" {
		t.Errorf("users answers on %q, want https://%s/users", u, domain)
	}
	if got := rulesOf(t, c, e)[80]; len(got) != 2 || len(vpcOriginsOn(t, lbARN)) != 1 || loadBalancersOf(t, c, e) != 1 {
		t.Errorf("rules %v, VPC origins %v, load balancers %d: want two rules behind one of each", got, vpcOriginsOn(t, lbARN), loadBalancersOf(t, c, e))
	}

	// a service asking for another edge than the environment's is refused, nothing changed
	plain := serviceIn(t, "plain", "  path: /plain\nedge: none")
	r = berthWith(t, plain, env, "deploy", "--env", e, "--yes")
	if r.code == 0 || !strings.Contains(r.stderr, "edge: the load balancer of environment "+e+" has edge cloudfront and this manifest says none, and service(s) orders, users are on it") ||
		!strings.Contains(r.stderr, "load_balancer.dedicated: true") || stackExists(t, c, "berth-"+e+"-svc-plain") {
		t.Errorf("another edge on the environment's load balancer: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	r = berthWith(t, orders, env, "status", "--env", e)
	if !strings.Contains(r.stdout, "url: "+url+"\nedge: cloudfront, the environment's (distribution "+dist+", in front of the load balancer its services share") {
		t.Errorf("status:\n%s", r.stdout)
	}
	r = berthWith(t, t.TempDir(), env, "status", "--env", e)
	if !strings.Contains(r.stdout, "cloudfront  https://"+domain+"/users") || !strings.Contains(r.stdout, "edge: cloudfront (distribution "+dist+"; the environment's load balancer is internal, reached through it only)") {
		t.Errorf("status --env:\n%s", r.stdout)
	}
	r = berthWith(t, orders, env, "verify", "--env", e, "--timeout", "5s")
	if !strings.Contains(r.stdout, "GET "+url) || !strings.Contains(r.stdout, "GET http://"+domain+"/orders redirects to HTTPS") || strings.Contains(r.stdout, "fail") {
		t.Errorf("verify of a distribution the emulator does not serve: the HTTPS and redirect checks skipped:\n%s", r.stdout)
	}
	// check judges the manifest as written, without the environment: users, which takes
	// its edge from the environment, is judged with it written
	mustSucceed(t, berthWith(t, orders, env, "check"), "berth check without --ignore")
	writeFile(t, users+"/berth.yml", strings.Replace(mustRead(t, users+"/berth.yml"), "  path: /users", "  path: /users\nedge: cloudfront", 1))
	mustSucceed(t, berthWith(t, users, env, "check"), "berth check of users without --ignore")

	mustSucceed(t, berthWith(t, users, env, "delete", "--env", e, "--yes"), "delete users")
	mustSucceed(t, berthWith(t, orders, env, "delete", "--env", e, "--yes"), "delete orders")
	if ids := vpcOriginsOn(t, lbARN); len(ids) != 0 || stackExists(t, c, "berth-"+e+"-ingress") || loadBalancersOf(t, c, e) != 0 {
		t.Errorf("after delete: VPC origins %v, ingress stack %v, load balancers %d", ids, stackExists(t, c, "berth-"+e+"-ingress"), loadBalancersOf(t, c, e))
	}
}
