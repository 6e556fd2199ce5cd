package main

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
)

// A delete that fails because something outside the stack uses one of its resources:
// here a load balancer that is not berth's serves the service's certificate (ACM:
// ResourceInUseException). berth says which resource and why, does not retry what does
// not pass by itself, and offers the next delete to leave the certificate; status says
// the state and the AWS CLI command; once the outside user is gone the next delete
// finishes, and only then does berth say that nothing remains.
//
// What the emulator cannot produce: it fails the DeleteStack call itself and writes no
// resource DELETE_FAILED event (AWS answers the call, then reports the resource's
// failure in events and resource statuses: covered on recorded answers in
// internal/stacks and internal/teardown); and it ignores RetainResources, so the delete
// offered to leave the certificate fails again here where AWS would finish, leaving it.
func TestDeleteFailedOnACertificateInUseIsReportedAndRecovered_EmulatorFailsTheCallAndIgnoresRetainResources(t *testing.T) {
	t.Parallel()
	env := awsEnv(t)
	c := clients(t, env)
	ctx := context.Background()
	zone := createZone(t, c, "held.example", false)
	dir := project(t, "port: 8080", "port: 8080\ndomain: api.held.example\nload_balancer:\n  dedicated: true")
	mustSucceed(t, berthWith(t, dir, env, "deploy", "--env", "e2e-held", "--yes"), "deploy")

	svc := "berth-e2e-held-svc-orders"
	res, err := c.CF.ListStackResources(ctx, &cloudformation.ListStackResourcesInput{StackName: aws.String(svc)})
	if err != nil {
		t.Fatal(err)
	}
	physical := map[string]string{}
	for _, r := range res.StackResourceSummaries {
		physical[aws.ToString(r.LogicalResourceId)] = aws.ToString(r.PhysicalResourceId)
	}
	cert, ownLB := physical["Certificate"], physical["LoadBalancer"]
	if !strings.HasPrefix(cert, "arn:aws:acm:") || ownLB == "" {
		t.Fatalf("resources %v", physical)
	}
	// someone else's load balancer serves the same certificate
	lbs, err := c.ELB.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{ownLB}})
	if err != nil {
		t.Fatal(err)
	}
	var subnets []string
	for _, az := range lbs.LoadBalancers[0].AvailabilityZones {
		subnets = append(subnets, aws.ToString(az.SubnetId))
	}
	other, err := c.ELB.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("someone-else"), Subnets: subnets})
	if err != nil {
		t.Fatal(err)
	}
	otherLB := aws.ToString(other.LoadBalancers[0].LoadBalancerArn)
	listener, err := c.ELB.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: aws.String(otherLB), Port: aws.Int32(443),
		Protocol: elbtypes.ProtocolEnumHttps, Certificates: []elbtypes.Certificate{{CertificateArn: aws.String(cert)}},
		DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumFixedResponse,
			FixedResponseConfig: &elbtypes.FixedResponseActionConfig{StatusCode: aws.String("200")}}}})
	if err != nil {
		t.Fatal(err)
	}

	r := berthWith(t, dir, env, "delete", "--env", "e2e-held", "--yes")
	if r.code != 1 {
		t.Fatalf("delete of a stack whose certificate another load balancer serves: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"berth: stack " + svc + " ended DELETE_FAILED: Certificate (AWS::CertificateManager::Certificate) could not be deleted: ",
		"is in use",
		"hint: \"berth delete\" again deletes it again, leaving Certificate (" + otherLB + ", not this stack's, serves it",
		"aws cloudformation delete-stack --stack-name " + svc + " --retain-resources Certificate --region us-east-1",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("delete's error lacks %q:\n%s", want, r.stderr)
		}
	}
	if strings.Contains(r.stdout, "deleting it again") || strings.Contains(r.stdout, "remains") {
		t.Errorf("retried what does not pass, or said nothing remains:\n%s", r.stdout)
	}

	r = berthWith(t, dir, env, "status", "--env", "e2e-held")
	for _, want := range []string{svc + " is DELETE_FAILED: Certificate (AWS::CertificateManager::Certificate) DELETE_FAILED: ",
		"hint: berth delete deletes it again; or: aws cloudformation delete-stack --stack-name " + svc + " --region us-east-1"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("status lacks %q: exit %d\n%s%s", want, r.code, r.stdout, r.stderr)
		}
	}

	// the next delete says, before it asks, that it leaves the certificate, and why
	r = berthWith(t, dir, env, "delete", "--env", "e2e-held", "--yes")
	if want := "leaves AWS::CertificateManager::Certificate " + cert + " (Certificate) in the account: " + otherLB + ", not this stack's, serves it"; !strings.Contains(r.stdout, want) {
		t.Errorf("the listing lacks %q:\n%s", want, r.stdout)
	}
	if r.code != 0 {
		if !strings.Contains(r.stderr, "is in use") {
			t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		t.Log("the emulator ignores RetainResources: the delete that leaves the certificate fails again (on AWS it finishes)")
	}

	// once the other load balancer no longer serves it, the delete finishes
	if _, err := c.ELB.DeleteListener(ctx, &elb.DeleteListenerInput{ListenerArn: listener.Listeners[0].ListenerArn}); err != nil {
		t.Fatal(err)
	}
	r = berthWith(t, dir, env, "delete", "--env", "e2e-held", "--yes")
	mustSucceed(t, r, "delete once the certificate is free")
	if !strings.Contains(r.stdout, svc+": deleted") || !strings.Contains(r.stdout, "nothing berth made for e2e-held remains") {
		t.Errorf("delete output:\n%s", r.stdout)
	}
	for _, s := range []string{svc, "berth-e2e-held-cluster", "berth-e2e-held-network"} {
		if stackExists(t, c, s) {
			t.Errorf("%s remains", s)
		}
	}
	rrs, _ := c.Route53.ListResourceRecordSets(ctx, &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String(zone)})
	for _, rr := range rrs.ResourceRecordSets {
		if rr.Type != r53types.RRTypeNs && rr.Type != r53types.RRTypeSoa {
			t.Errorf("record left in the zone: %s %s", aws.ToString(rr.Name), rr.Type)
		}
	}
}
