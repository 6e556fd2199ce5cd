package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/session"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// importCertificate puts a self-signed certificate for names into the emulator's ACM,
// as a user brings their own: moto's CloudFormation has no
// AWS::CertificateManager::Certificate, so the certificate berth requests and validates
// is covered by the template tests (internal/synth testdata https*, cfn-lint).
func importCertificate(t *testing.T, c *session.Session, region string, names ...string) string {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: names[0]}, DNSNames: names,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(90 * 24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	api := c.ACM
	out, err := api.ImportCertificate(context.Background(), &acm.ImportCertificateInput{
		Certificate: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		PrivateKey:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
	}, func(o *acm.Options) { o.Region = region })
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.CertificateArn)
}

// ec2API reads the emulator's EC2 from the test, as configured by clients (which the
// test must have called).
func ec2API(t *testing.T) *ec2.Client {
	t.Helper()
	testAWS.Lock()
	defer testAWS.Unlock()
	if testAWS.cfg == nil {
		t.Fatal("ec2API before clients")
	}
	return ec2.NewFromConfig(*testAWS.cfg)
}

func createZone(t *testing.T, c *session.Session, name string, private bool) string {
	t.Helper()
	in := &route53.CreateHostedZoneInput{Name: aws.String(name), CallerReference: aws.String(fmt.Sprint(time.Now().UnixNano()))}
	if private {
		in.HostedZoneConfig = &r53types.HostedZoneConfig{PrivateZone: true}
		in.VPC = &r53types.VPC{VPCId: aws.String("vpc-12345678"), VPCRegion: r53types.VPCRegionUsEast1}
	}
	out, err := c.Route53.CreateHostedZone(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(aws.ToString(out.HostedZone.Id), "/hostedzone/")
}

func stackExists(t *testing.T, c *session.Session, name string) bool {
	out, err := c.CF.DescribeStacks(context.Background(), &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	return err == nil && len(out.Stacks) > 0 && out.Stacks[0].StackStatus != "DELETE_COMPLETE"
}

// Everything berth must find out about a domain before it changes anything: each way
// the zone or the certificate can be wrong stops the deploy with exit 2, the manifest
// line, and no stack made.
func TestDomainProblemsStopTheDeployBeforeAnyChange(t *testing.T) {
	t.Parallel()
	env := awsEnv(t)
	c := clients(t, env)
	createZone(t, c, "private.example", true)
	createZone(t, c, "twice.example", false)
	createZone(t, c, "twice.example", false)
	createZone(t, c, "mine.example", false)
	wrongName := importCertificate(t, c, "us-east-1", "other.example")
	otherRegion := importCertificate(t, c, "eu-west-1", "api.mine.example")
	for _, tc := range []struct {
		name, domain, want, hint string
	}{
		{"no zone", "domain: api.nowhere.example", `domain: no Route 53 public hosted zone for api.nowhere.example or any domain it is in in this account`, "aws route53 create-hosted-zone --name nowhere.example"},
		{"private zone only", "domain: api.private.example", `the only Route 53 hosted zone for api.private.example or any domain it is in is private`, "create a public hosted zone"},
		{"two public zones", "domain: api.twice.example", `2 public hosted zones are named twice.example (`, "set domain.zone to the id"},
		{"zone named", "domain:\n  name: api.mine.example\n  zone: nowhere.example", `domain.zone: "nowhere.example" is neither`, ""},
		{"certificate for another name", "domain:\n  name: api.mine.example\n  certificate: " + wrongName, `domain.certificate: the certificate is for other.example, which does not cover api.mine.example`, "or leave domain.certificate out"},
		{"certificate in another region", "domain:\n  name: api.mine.example\n  certificate: " + otherRegion, `the certificate is in eu-west-1 and the service deploys to us-east-1`, "request or import the certificate in us-east-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := project(t, "port: 8080", "port: 8080\n"+tc.domain)
			for _, cmd := range [][]string{{"deploy", "--yes"}, {"diff"}} {
				r := berthWith(t, dir, env, append(cmd, "--env", "e2e-dom")...)
				if r.code != 2 || !strings.HasPrefix(r.stderr, "berth: berth.yml:") || !strings.Contains(r.stderr, tc.want) || !strings.Contains(r.stderr, tc.hint) {
					t.Errorf("%s: exit %d\n%s", cmd, r.code, r.stderr)
				}
			}
			if stackExists(t, c, "berth-e2e-dom-network") {
				t.Error("a stack was made before the domain was checked")
			}
		})
	}
}

// A domain with a certificate of the user's (moto's CloudFormation cannot request one:
// see importCertificate) and every edge option moto can make, on a load balancer of the
// service's own: HTTPS on 443 with the TLS 1.3 policy, port 80 redirecting, the alias
// record in the zone berth found, the access log bucket, VPC flow logs. The WAF web ACL and the bucket policy are not made
// by moto's CloudFormation at all; the templates' tests cover them. delete leaves none
// of it.
func TestDeployHTTPSOnADomainAndDeleteIt(t *testing.T) {
	t.Parallel()
	env := awsEnv(t)
	c := clients(t, env)
	ctx := context.Background()
	zone := createZone(t, c, "shop.example", false)
	cert := importCertificate(t, c, "us-east-1", "api.shop.example")
	dir := project(t, "port: 8080", `port: 8080
domain:
  name: api.shop.example
  certificate: `+cert+`
load_balancer:
  dedicated: true
  access_logs: 7
  waf: true
network:
  flow_logs: rejected`)

	r := berthWith(t, dir, env, "diff", "--env", "e2e-tls")
	mustSucceed(t, r, "diff")
	if !strings.Contains(r.stdout, "https://api.shop.example: hosted zone shop.example ("+zone+")") || strings.Contains(r.stdout, "plain HTTP") {
		t.Errorf("diff does not name the zone it found:\n%s", r.stdout)
	}
	// public DNS knows nothing of the emulator's zones: the delegation is not looked up
	// (internal/preflight covers it on recorded answers)
	if !strings.Contains(r.stdout, "not checked: that public DNS delegates shop.example to hosted zone "+zone+" (the AWS endpoint is an emulator") {
		t.Errorf("diff does not say the delegation was not checked:\n%s", r.stdout)
	}
	r = berthWith(t, dir, env, "deploy", "--env", "e2e-tls", "--yes")
	mustSucceed(t, r, "deploy")
	if !strings.Contains(r.stdout, "https://api.shop.example") {
		t.Errorf("deploy does not end with the https URL:\n%s", r.stdout)
	}

	svc := "berth-e2e-tls-svc-orders"
	lb := ""
	res, err := c.CF.ListStackResources(ctx, &cloudformation.ListStackResourcesInput{StackName: aws.String(svc)})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res.StackResourceSummaries {
		if aws.ToString(r.LogicalResourceId) == "LoadBalancer" {
			lb = aws.ToString(r.PhysicalResourceId)
		}
	}
	api := c.ELB
	ls, err := api.DescribeListeners(ctx, &elb.DescribeListenersInput{LoadBalancerArn: aws.String(lb)})
	if err != nil {
		t.Fatal(err)
	}
	listeners := map[int32]string{}
	for _, l := range ls.Listeners {
		desc := string(l.Protocol) + " " + string(l.DefaultActions[0].Type)
		if l.SslPolicy != nil {
			desc += " " + aws.ToString(l.SslPolicy) + " " + aws.ToString(l.Certificates[0].CertificateArn)
		}
		if rc := l.DefaultActions[0].RedirectConfig; rc != nil {
			desc += " " + aws.ToString(rc.Protocol) + ":" + aws.ToString(rc.Port) + " " + string(rc.StatusCode)
		}
		listeners[aws.ToInt32(l.Port)] = desc
	}
	if listeners[443] != "HTTPS forward ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09 "+cert || listeners[80] != "HTTP redirect HTTPS:443 HTTP_301" {
		t.Errorf("listeners: %v", listeners)
	}
	lbs, _ := api.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{lb}})
	rrs, err := c.Route53.ListResourceRecordSets(ctx, &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String(zone)})
	if err != nil {
		t.Fatal(err)
	}
	alias := ""
	for _, rr := range rrs.ResourceRecordSets {
		if strings.TrimSuffix(aws.ToString(rr.Name), ".") == "api.shop.example" && rr.Type == r53types.RRTypeA && rr.AliasTarget != nil {
			alias = aws.ToString(rr.AliasTarget.DNSName)
		}
	}
	if alias == "" || alias != aws.ToString(lbs.LoadBalancers[0].DNSName) {
		t.Errorf("alias record %q, load balancer %q", alias, aws.ToString(lbs.LoadBalancers[0].DNSName))
	}
	sgs, _ := ec2API(t).DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: lbs.LoadBalancers[0].SecurityGroups})
	var open []string
	for _, p := range sgs.SecurityGroups[0].IpPermissions {
		for _, rng := range p.IpRanges {
			open = append(open, fmt.Sprintf("%d-%d from %s", aws.ToInt32(p.FromPort), aws.ToInt32(p.ToPort), aws.ToString(rng.CidrIp)))
		}
	}
	if strings.Join(open, ", ") != "80-80 from 0.0.0.0/0, 443-443 from 0.0.0.0/0" {
		t.Errorf("load balancer ingress: %v", open)
	}
	flows, _ := ec2API(t).DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{})
	rejected := 0
	for _, f := range flows.FlowLogs {
		if f.TrafficType == ec2types.TrafficTypeReject && strings.HasPrefix(aws.ToString(f.LogGroupName), "/berth/e2e-tls/") {
			rejected++
		}
	}
	if rejected != 1 {
		t.Errorf("%d flow logs of rejected traffic, want 1: %+v", rejected, flows.FlowLogs)
	}

	// the load balancer has written logs: delete must empty the bucket first
	st, err := c.CF.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(svc)})
	if err != nil {
		t.Fatal(err)
	}
	bucket := ""
	for _, o := range st.Stacks[0].Outputs {
		if aws.ToString(o.OutputKey) == "AccessLogBucket" {
			bucket = aws.ToString(o.OutputValue)
		}
	}
	if bucket == "" {
		t.Fatal("no access log bucket in the outputs")
	}
	s3api := c.S3
	writeAccessLogs(t, s3api, bucket)
	r = berthWith(t, dir, env, "status", "--env", "e2e-tls")
	if strings.Contains(r.stdout, "plain HTTP") || !strings.Contains(r.stdout, "https://api.shop.example") {
		t.Errorf("status of an HTTPS service:\n%s", r.stdout)
	}
	r = berthWith(t, dir, env, "verify", "--env", "e2e-tls", "--timeout", "5s")
	if !strings.Contains(r.stdout, "GET http://api.shop.example/ redirects to HTTPS") {
		t.Errorf("verify lacks the redirect check:\n%s", r.stdout)
	}

	// turning access logs off deletes the bucket with the update: emptied first
	manifest := mustRead(t, filepath.Join(dir, "berth.yml"))
	writeFile(t, filepath.Join(dir, "berth.yml"), strings.Replace(manifest, "access_logs: 7", "access_logs: false", 1))
	r = berthWith(t, dir, env, "deploy", "--env", "e2e-tls", "--yes")
	mustSucceed(t, r, "deploy without access logs")
	bucketEmptiedAndGone(ctx, t, s3api, r, bucket, "access_logs: false")
	writeFile(t, filepath.Join(dir, "berth.yml"), manifest)
	mustSucceed(t, berthWith(t, dir, env, "deploy", "--env", "e2e-tls", "--yes"), "deploy with access logs again")
	st, _ = c.CF.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(svc)})
	for _, o := range st.Stacks[0].Outputs {
		if aws.ToString(o.OutputKey) == "AccessLogBucket" {
			bucket = aws.ToString(o.OutputValue)
		}
	}
	writeAccessLogs(t, s3api, bucket)

	r = berthWith(t, dir, env, "delete", "--env", "e2e-tls", "--yes")
	mustSucceed(t, r, "delete")
	bucketEmptiedAndGone(ctx, t, s3api, r, bucket, "delete")
	rrs, _ = c.Route53.ListResourceRecordSets(ctx, &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String(zone)})
	for _, rr := range rrs.ResourceRecordSets {
		if rr.Type != r53types.RRTypeNs && rr.Type != r53types.RRTypeSoa {
			t.Errorf("record left in the zone: %s %s", aws.ToString(rr.Name), rr.Type)
		}
	}
	// moto's CloudFormation leaves the AWS::EC2::FlowLog record behind when it deletes
	// the stack (the VPC it watched is gone); AWS deletes it with the stack. What berth
	// owns is checked: the network stack and the flow logs' log group are gone.
	if stackExists(t, c, "berth-e2e-tls-network") {
		t.Error("the network stack is still there")
	}
	groups, err := c.Logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/berth/e2e-tls/")})
	if err != nil || len(groups.LogGroups) != 0 {
		t.Errorf("log groups left: %v %v", err, groups)
	}
}

// writeAccessLogs puts three objects in the bucket, as the load balancer would.
func writeAccessLogs(t *testing.T, api *s3.Client, bucket string) {
	t.Helper()
	for i := range 3 {
		key := fmt.Sprintf("AWSLogs/123456789012/elasticloadbalancing/log-%d.gz", i)
		if _, err := api.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader("log")}); err != nil {
			t.Fatal(err)
		}
	}
}

// Without a domain deploy and status say plainly that the service is plain HTTP.
func TestPlainHTTPIsSaid(t *testing.T) {
	t.Parallel()
	env := awsEnv(t)
	dir := project(t)
	r := berthWith(t, dir, env, "diff", "--env", "e2e-http")
	mustSucceed(t, r, "diff")
	if !strings.Contains(r.stdout, "warning: the service is served over plain HTTP") || !strings.Contains(r.stdout, "Add domain: api.example.com to berth.yml") {
		t.Errorf("diff without a domain:\n%s", r.stdout)
	}
}

// bucketEmptiedAndGone checks that what berth did (after) emptied the access log bucket
// of its three objects, said so, and that the bucket is gone.
func bucketEmptiedAndGone(ctx context.Context, t *testing.T, s3api *s3.Client, r result, bucket, after string) {
	t.Helper()
	if !strings.Contains(r.stdout, "emptied the access log bucket "+bucket+" (3 object(s))") {
		t.Errorf("%s did not empty the access log bucket:\n%s", after, r.stdout)
	}
	if _, err := s3api.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)}); err == nil {
		t.Errorf("the access log bucket %s outlived %s", bucket, after)
	}
}
