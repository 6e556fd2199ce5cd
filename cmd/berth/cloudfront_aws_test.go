package main

import (
	"context"
	"encoding/xml"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/berthdev/berth/internal/session"
)

// CloudFront in front (edge: cloudfront), on the emulator: the distribution and its VPC
// origin are made and read back through the CloudFront API, but nothing is served (no
// request reaches a distribution, no TLS handshake, no redirect), so verify's HTTPS and
// redirect checks are skipped there; internal/ops covers them on recorded answers.

// cloudFrontAPI reads the emulator's CloudFront (the REST API, as the AWS CLI calls it).
func cloudFrontAPI(t *testing.T, path string, v any) {
	t.Helper()
	req, _ := http.NewRequest("GET", moto.endpoint+"/2020-05-31/"+path, nil)
	// the emulator tells the service from the credential scope of the signature
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/cloudfront/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s", path, resp.Status)
	}
	if err := xml.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

type cfDistribution struct {
	DomainName string `xml:"DomainName"`
	Config     struct {
		Aliases  []string `xml:"Aliases>Items>CNAME"`
		WebACLID string   `xml:"WebACLId"`
		Origins  []struct {
			DomainName  string `xml:"DomainName"`
			VpcOriginID string `xml:"VpcOriginConfig>VpcOriginId"`
			ReadTimeout int    `xml:"VpcOriginConfig>OriginReadTimeout"`
		} `xml:"Origins>Items>Origin"`
		Behavior struct {
			ViewerProtocolPolicy string `xml:"ViewerProtocolPolicy"`
			CachePolicyID        string `xml:"CachePolicyId"`
			OriginRequestPolicy  string `xml:"OriginRequestPolicyId"`
			ResponseHeaders      string `xml:"ResponseHeadersPolicyId"`
		} `xml:"DefaultCacheBehavior"`
		Certificate struct {
			ACM             string `xml:"ACMCertificateArn"`
			MinimumProtocol string `xml:"MinimumProtocolVersion"`
		} `xml:"ViewerCertificate"`
	} `xml:"DistributionConfig"`
}

type cfVpcOrigins struct {
	Items []struct {
		ID          string `xml:"Id"`
		EndpointARN string `xml:"OriginEndpointArn"`
	} `xml:"Items>VpcOriginSummary"`
}

// vpcOriginsOn lists the VPC origins of a load balancer.
func vpcOriginsOn(t *testing.T, lb string) []string {
	var list cfVpcOrigins
	cloudFrontAPI(t, "vpc-origin", &list)
	var ids []string
	for _, o := range list.Items {
		if o.EndpointARN == lb {
			ids = append(ids, o.ID)
		}
	}
	return ids
}

func stackOutputs(t *testing.T, api *cloudformation.Client, stack string, opts ...func(*cloudformation.Options)) map[string]string {
	t.Helper()
	out, err := api.DescribeStacks(context.Background(), &cloudformation.DescribeStacksInput{StackName: aws.String(stack)}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{}
	for _, o := range out.Stacks[0].Outputs {
		outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	return outputs
}

// serviceBalancer is the service's load balancer, by its stack's resource.
func serviceBalancer(t *testing.T, c *session.Session, stack string) elbtypes.LoadBalancer {
	t.Helper()
	ctx := context.Background()
	res, err := c.CF.DescribeStackResource(ctx, &cloudformation.DescribeStackResourceInput{StackName: aws.String(stack), LogicalResourceId: aws.String("LoadBalancer")})
	if err != nil {
		t.Fatal(err)
	}
	lbs, err := c.ELB.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{aws.ToString(res.StackResourceDetail.PhysicalResourceId)}})
	if err != nil {
		t.Fatal(err)
	}
	return lbs.LoadBalancers[0]
}

// From the first deploy without a domain: a distribution on its *.cloudfront.net name,
// HTTPS only, caching nothing, in front of an internal load balancer in the private
// subnets that admits CloudFront's origin-facing prefix list only, through a VPC origin;
// status, status --env and check say so. Moving to edge: none and back is a planned
// change that says the URL changes, and replaces the load balancer and its target groups
// (the emulator refuses, as AWS does, a target group on two load balancers). delete
// leaves no distribution and no VPC origin.
func TestCloudFrontInFrontFromTheFirstDeploy_TheEmulatorServesNoRequest(t *testing.T) {
	t.Parallel()
	env := awsEnv(t)
	c := clients(t, env)
	ctx := context.Background()
	dir := project(t, "port: 8080", "port: 8080\nedge: cloudfront")
	r := berthWith(t, dir, env, "diff", "--env", "e2e-cf")
	mustSucceed(t, r, "diff")
	if !strings.Contains(r.stdout, "edge: cloudfront: a CloudFront distribution serves HTTPS on its own *.cloudfront.net name (HTTP redirected to it)") || strings.Contains(r.stdout, "plain HTTP") {
		t.Errorf("diff does not say which edge:\n%s", r.stdout)
	}
	r = berthWith(t, dir, env, "deploy", "--env", "e2e-cf", "--yes")
	mustSucceed(t, r, "deploy")
	svc := "berth-e2e-cf-svc-orders"
	out := stackOutputs(t, c.CF, svc)
	url := out["URL"]
	if !strings.HasPrefix(url, "https://d") || !strings.HasSuffix(url, ".cloudfront.net") || !strings.Contains(r.stdout, "deployed orders to e2e-cf in ") || !strings.Contains(r.stdout, ": "+url+"\n") {
		t.Fatalf("deploy does not end with the distribution's URL (%q):\n%s", url, r.stdout)
	}

	lb := serviceBalancer(t, c, svc)
	private := stackOutputs(t, c.CF, "berth-e2e-cf-network")["TaskSubnets"]
	var subnets []string
	for _, az := range lb.AvailabilityZones {
		subnets = append(subnets, aws.ToString(az.SubnetId))
	}
	slices.Sort(subnets)
	want := strings.Split(private, ",")
	slices.Sort(want)
	if lb.Scheme != elbtypes.LoadBalancerSchemeEnumInternal || aws.ToString(lb.LoadBalancerName) == "orders-e2e-cf" || !slices.Equal(subnets, want) {
		t.Errorf("load balancer %s, %s, in %v; want internal, unnamed, in the private subnets %v", aws.ToString(lb.LoadBalancerName), lb.Scheme, subnets, want)
	}
	admitsOnlyCloudFront(t, ctx, lb)

	var d cfDistribution
	cloudFrontAPI(t, "distribution/"+out["DistributionId"], &d)
	b := d.Config.Behavior
	if "https://"+d.DomainName != url || b.ViewerProtocolPolicy != "redirect-to-https" || b.CachePolicyID != "4135ea2d-6df8-44a3-9df3-4b5a84be39ad" ||
		b.OriginRequestPolicy != "33f36d7e-f396-46d9-90e0-52428a34d9dc" || b.ResponseHeaders != "67f7725c-6f97-4210-82d7-5512b31e9d03" || d.Config.Certificate.ACM != "" {
		t.Errorf("distribution: %+v", d)
	}
	origins := vpcOriginsOn(t, aws.ToString(lb.LoadBalancerArn))
	if len(d.Config.Origins) != 1 || d.Config.Origins[0].DomainName != aws.ToString(lb.DNSName) || len(origins) != 1 || d.Config.Origins[0].VpcOriginID != origins[0] ||
		d.Config.Origins[0].ReadTimeout != 30 {
		t.Errorf("the distribution's origin %+v; the load balancer's VPC origins %v", d.Config.Origins, origins)
	}

	r = berthWith(t, dir, env, "status", "--env", "e2e-cf")
	if !strings.Contains(r.stdout, "url: "+url+"\nedge: cloudfront (distribution "+out["DistributionId"]+"; the load balancer is internal, reached through it only)") || strings.Contains(r.stdout, "plain HTTP") {
		t.Errorf("status:\n%s", r.stdout)
	}
	r = berthWith(t, t.TempDir(), env, "status", "--env", "e2e-cf")
	if !strings.Contains(r.stdout, "EDGE") || !strings.Contains(r.stdout, "cloudfront  "+url) {
		t.Errorf("status --env:\n%s", r.stdout)
	}
	r = berthWith(t, dir, env, "verify", "--env", "e2e-cf", "--timeout", "5s")
	host := strings.TrimPrefix(url, "https://")
	if !strings.Contains(r.stdout, "GET "+url) || !strings.Contains(r.stdout, "GET http://"+host+"/ redirects to HTTPS") || strings.Contains(r.stdout, "fail") {
		t.Errorf("verify of a distribution the emulator does not serve: the HTTPS and redirect checks skipped:\n%s", r.stdout)
	}
	mustSucceed(t, berthWith(t, dir, env, "check"), "berth check without --ignore")

	// to edge: none and back: the plan says the URL changes; new load balancers, new
	// target groups
	writeFile(t, dir+"/berth.yml", strings.Replace(mustRead(t, dir+"/berth.yml"), "edge: cloudfront", "edge: none", 1))
	r = berthWith(t, dir, env, "diff", "--env", "e2e-cf")
	if !strings.Contains(r.stdout, "warning: edge cloudfront → none: the service's URL changes from "+url+" to the new load balancer's http://… name (known once it is made); the load balancer is replaced by an internet-facing one, and its target groups with it") {
		t.Errorf("diff to edge: none:\n%s", r.stdout)
	}
	r = berthWith(t, dir, env, "deploy", "--env", "e2e-cf", "--yes")
	mustSucceed(t, r, "deploy edge: none")
	plain := serviceBalancer(t, c, svc)
	if plain.Scheme != elbtypes.LoadBalancerSchemeEnumInternetFacing || aws.ToString(plain.LoadBalancerName) != "orders-e2e-cf" ||
		stackOutputs(t, c.CF, svc)["URL"] != "http://"+aws.ToString(plain.DNSName) {
		t.Errorf("after edge: none: %s %s, URL %s", aws.ToString(plain.LoadBalancerName), plain.Scheme, stackOutputs(t, c.CF, svc)["URL"])
	}
	if ids := vpcOriginsOn(t, aws.ToString(lb.LoadBalancerArn)); len(ids) != 0 {
		t.Errorf("VPC origins left on the old load balancer: %v", ids)
	}
	writeFile(t, dir+"/berth.yml", strings.Replace(mustRead(t, dir+"/berth.yml"), "edge: none", "edge: cloudfront", 1))
	r = berthWith(t, dir, env, "deploy", "--env", "e2e-cf", "--yes")
	mustSucceed(t, r, "deploy edge: cloudfront again")
	if !strings.Contains(r.stdout, "warning: edge none → cloudfront: the service's URL changes from http://"+aws.ToString(plain.DNSName)+" to the distribution's https://….cloudfront.net name") {
		t.Errorf("deploy back to cloudfront:\n%s", r.stdout)
	}
	again := serviceBalancer(t, c, svc)

	r = berthWith(t, dir, env, "delete", "--env", "e2e-cf", "--yes")
	mustSucceed(t, r, "delete")
	if ids := vpcOriginsOn(t, aws.ToString(again.LoadBalancerArn)); len(ids) != 0 || stackExists(t, c, svc) {
		t.Errorf("after delete: VPC origins %v, stack %v", ids, stackExists(t, c, svc))
	}
}

// With a domain and WAF, from another region than us-east-1: the certificate (requested
// and DNS-validated through the zone) and the web ACL of scope CLOUDFRONT are made in
// us-east-1, in the service's edge stack, before the service stack, which names them on
// its distribution with TLS 1.2; the name's A and AAAA aliases point at the
// distribution. Moving to edge: none deletes the edge stack once nothing uses it (the
// validation record stays: the new regional certificate renews with it); delete leaves
// nothing, in either region.
func TestCloudFrontOnADomainWithWAFHasItsEdgeInUSEast1_TheEmulatorServesNoRequest(t *testing.T) {
	const region = "ca-central-1"
	env, s := inRegion(t, region)
	c := clients(t, env)
	ctx := context.Background()
	zone := createZone(t, c, "cf.example", false)
	dir := project(t, "port: 8080", "port: 8080\nedge: cloudfront\ndomain: api.cf.example\nload_balancer:\n  waf: true")
	r := berthWith(t, dir, env, "deploy", "--env", "e2e-cfd", "--yes")
	mustSucceed(t, r, "deploy")
	edgeStack := "berth-e2e-cfd-svc-orders-cloudfront-us-east-1"
	if !strings.Contains(r.stdout, edgeStack+": CREATE_COMPLETE") || !strings.Contains(r.stdout, ": https://api.cf.example\n") {
		t.Fatalf("deploy:\n%s", r.stdout)
	}
	us := stackOutputs(t, c.CF, edgeStack) // the test's own session is in us-east-1
	cert, err := c.ACM.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(us["CloudFrontCertificateArn"])})
	if err != nil || cert.Certificate.Status != "ISSUED" || aws.ToString(cert.Certificate.DomainName) != "api.cf.example" {
		t.Fatalf("the certificate in us-east-1: %v %+v", err, cert)
	}
	if !strings.Contains(us["CloudFrontWebACLArn"], ":wafv2:us-east-1:") || !strings.Contains(us["CloudFrontWebACLArn"], ":global/webacl/") {
		t.Errorf("web ACL %q: want scope CLOUDFRONT, in us-east-1", us["CloudFrontWebACLArn"])
	}
	svc := stackOutputs(t, s.CF, "berth-e2e-cfd-svc-orders")
	var d cfDistribution
	cloudFrontAPI(t, "distribution/"+svc["DistributionId"], &d)
	if !slices.Equal(d.Config.Aliases, []string{"api.cf.example"}) || d.Config.Certificate.ACM != us["CloudFrontCertificateArn"] ||
		d.Config.Certificate.MinimumProtocol != "TLSv1.2_2021" || d.Config.WebACLID != us["CloudFrontWebACLArn"] {
		t.Errorf("distribution: %+v", d.Config)
	}
	rrs, err := c.Route53.ListResourceRecordSets(ctx, &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String(zone)})
	if err != nil {
		t.Fatal(err)
	}
	aliases := map[string]string{}
	for _, rr := range rrs.ResourceRecordSets {
		if rr.AliasTarget != nil {
			aliases[string(rr.Type)] = aws.ToString(rr.AliasTarget.DNSName) + " " + aws.ToString(rr.AliasTarget.HostedZoneId)
		}
	}
	if a := d.DomainName + " Z2FDTNDATAQYW2"; aliases["A"] != a || aliases["AAAA"] != a {
		t.Errorf("alias records %v, want A and AAAA to %s", aliases, a)
	}
	r = berthWith(t, dir, env, "status", "--env", "e2e-cfd")
	if !strings.Contains(r.stdout, edgeStack+" (us-east-1)") || !strings.Contains(r.stdout, "edge: cloudfront (distribution "+svc["DistributionId"]) {
		t.Errorf("status:\n%s", r.stdout)
	}
	mustSucceed(t, berthWith(t, dir, env, "check"), "berth check without --ignore")

	writeFile(t, dir+"/berth.yml", strings.Replace(mustRead(t, dir+"/berth.yml"), "edge: cloudfront", "edge: none", 1))
	r = berthWith(t, dir, env, "deploy", "--env", "e2e-cfd", "--yes")
	mustSucceed(t, r, "deploy edge: none")
	if !strings.Contains(r.stdout, "warning: edge cloudfront → none: the service's URL stays https://api.cf.example, whose alias records move to the new load balancer") ||
		!strings.Contains(r.stdout, edgeStack+": delete, 2 change(s)") || !strings.Contains(r.stdout, edgeStack+": deleted") ||
		!strings.Contains(r.stdout, "kept the validation record of api.cf.example: another certificate of the account ("+region+": ") {
		t.Errorf("deploy edge: none:\n%s", r.stdout)
	}
	if stackExists(t, c, edgeStack) {
		t.Error("the edge stack outlived the distribution")
	}
	mustSucceed(t, berthWith(t, dir, env, "delete", "--env", "e2e-cfd", "--yes"), "delete")
	rrs, _ = c.Route53.ListResourceRecordSets(ctx, &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String(zone)})
	for _, rr := range rrs.ResourceRecordSets {
		if rr.Type != "NS" && rr.Type != "SOA" {
			t.Errorf("record left in the zone: %s %s", aws.ToString(rr.Name), rr.Type)
		}
	}
	if _, err := c.ACM.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(us["CloudFrontCertificateArn"])}); err == nil {
		t.Error("the certificate in us-east-1 is still there")
	}
	if list, _ := s.ACM.ListCertificates(ctx, &acm.ListCertificatesInput{}); len(list.CertificateSummaryList) != 0 {
		t.Errorf("certificates left in %s: %+v", region, list.CertificateSummaryList)
	}
}

// admitsOnlyCloudFront fails t unless the load balancer's security group admits
// CloudFront's origin-facing prefix list and nothing else: no address range, no group.
func admitsOnlyCloudFront(t *testing.T, ctx context.Context, lb elbtypes.LoadBalancer) {
	t.Helper()
	pls, err := ec2API(t).DescribeManagedPrefixLists(ctx, &ec2.DescribeManagedPrefixListsInput{Filters: []ec2types.Filter{
		{Name: aws.String("prefix-list-name"), Values: []string{"com.amazonaws.global.cloudfront.origin-facing"}}}})
	if err != nil || len(pls.PrefixLists) != 1 {
		t.Fatalf("the origin-facing prefix list: %v %v", err, pls)
	}
	sgs, _ := ec2API(t).DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: lb.SecurityGroups})
	var sources []string
	for _, p := range sgs.SecurityGroups[0].IpPermissions {
		for _, rng := range p.IpRanges {
			sources = append(sources, aws.ToString(rng.CidrIp))
		}
		for _, pl := range p.PrefixListIds {
			sources = append(sources, aws.ToString(p.IpProtocol)+" "+aws.ToString(pl.PrefixListId))
		}
		for _, g := range p.UserIdGroupPairs {
			sources = append(sources, aws.ToString(g.GroupId))
		}
	}
	if strings.Join(sources, ", ") != "tcp "+aws.ToString(pls.PrefixLists[0].PrefixListId) {
		t.Errorf("the load balancer admits %v; want CloudFront's origin-facing prefix list only", sources)
	}
}
