package edge

import (
	"fmt"

	"github.com/berthdev/berth/internal/cfn"
	"github.com/berthdev/berth/internal/manifest"
)

// CloudFront in front of the load balancer (edge: cloudfront): a distribution that
// serves viewers HTTPS only, on the service's domain or on its own *.cloudfront.net
// name, and reaches an internal load balancer through a CloudFront VPC origin, so that
// nothing of the service can be reached from the internet but through it ("Restrict
// access with VPC origins", CloudFront Developer Guide).

const (
	// CachingDisabled is CloudFront's managed cache policy for dynamic content: TTLs of
	// 0, nothing in the cache key ("Use managed cache policies").
	CachingDisabled = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
	// AllViewerAndCloudFrontHeaders is the managed origin request policy
	// AllViewerAndCloudFrontHeaders-2022-06: every header, cookie and query string of
	// the viewer's request, Host included, and CloudFront's own headers (among them
	// CloudFront-Viewer-Address and CloudFront-Forwarded-Proto) ("Use managed origin
	// request policies"). AllViewerExceptHostHeader is for an origin that needs its own
	// Host (API Gateway, a Lambda URL, an HTTPS origin whose certificate names it); a
	// load balancer reached over HTTP through a VPC origin does not, and the app then
	// sees the name the viewer asked for, as it does without CloudFront.
	AllViewerAndCloudFrontHeaders = "33f36d7e-f396-46d9-90e0-52428a34d9dc"
	// SecurityHeadersPolicy is the managed response headers policy that adds
	// Strict-Transport-Security (one year), X-Content-Type-Options, X-Frame-Options,
	// Referrer-Policy and X-XSS-Protection ("Use managed response headers policies"):
	// what the HTTPS listener's HSTS attribute does without CloudFront.
	SecurityHeadersPolicy = "67f7725c-6f97-4210-82d7-5512b31e9d03"
	// CloudFrontTLSPolicy is the viewer security policy with a certificate of the
	// service's: TLS 1.2 and 1.3 only. With the default *.cloudfront.net certificate
	// CloudFront "automatically sets the security policy to TLSv1 regardless of the
	// value that you set" (CloudFront API Reference, ViewerCertificate), so berth writes
	// none there.
	CloudFrontTLSPolicy = "TLSv1.2_2021"
	// CloudFrontZone is the hosted zone of every CloudFront alias target ("Amazon
	// CloudFront endpoints and quotas", AWS General Reference).
	CloudFrontZone = "Z2FDTNDATAQYW2"
	// MaxOriginReadTimeout is the most CloudFront waits for the origin without a quota
	// increase ("Quotas": response timeout per origin, 1-60 seconds).
	MaxOriginReadTimeout = 60
	// EdgeRegion is where CloudFront's certificates and web ACLs live: an ACM
	// certificate for CloudFront is requested in us-east-1, and a web ACL of scope
	// CLOUDFRONT is created there (AWS::WAFv2::WebACL, Scope).
	EdgeRegion = manifest.CloudFrontCertificateRegion

	// ParamCloudFrontPrefixList is the id of the managed prefix list
	// com.amazonaws.global.cloudfront.origin-facing in the service's region, which
	// berth deploy looks up: the only source the load balancer admits.
	ParamCloudFrontPrefixList = "CloudFrontPrefixList"
	// CloudFrontPrefixListName is that list's name ("Use the CloudFront managed prefix
	// list", CloudFront Developer Guide).
	CloudFrontPrefixListName = "com.amazonaws.global.cloudfront.origin-facing"
	// OutCloudFrontCertificate and OutCloudFrontWebACL are the edge stack's outputs in
	// us-east-1, passed to the service stack under the same names.
	OutCloudFrontCertificate = "CloudFrontCertificateArn"
	OutCloudFrontWebACL      = "CloudFrontWebACLArn"
	// OutEdge says what stands in front of the load balancer (a service without it has
	// none); OutDistributionID names the distribution.
	OutEdge           = "Edge"
	OutDistributionID = "DistributionId"
)

// Origin is the load balancer a distribution reaches: the service's own, or the
// environment's (the ingress stack's, which its services share), each given as values
// the template can use (a Ref, a GetAtt, a parameter); Owner names what the
// distribution and VPC origin are of (berth-<env>-<owner>): the service, or ingress.
type Origin struct {
	ARN, DNSName any
	Owner        string
}

// AddCloudFront puts a distribution in front of the origin, through a VPC origin of
// its own, and with a domain the name's alias records; it returns the URL.
func AddCloudFront(t *cfn.Template, m *manifest.Manifest, o Origin) any {
	t.Resources.Set("VpcOrigin", vpcOrigin(o.Owner, o.ARN))
	t.Resources.Set("Distribution", distribution(m, o.Owner, cfn.GetAtt("VpcOrigin.Id"), o.DNSName))
	var url any = cfn.Sub("https://${Distribution.DomainName}")
	if m.HTTPS() {
		url = "https://" + m.Domain.Name
		t.Parameters.Set(ParamHostedZone, HostedZoneParameter(m))
		// the distribution answers over IPv4 and IPv6: an alias of each type ("Routing
		// traffic to an Amazon CloudFront distribution by using your domain name", Route
		// 53 Developer Guide)
		for _, rr := range []struct{ name, typ string }{{"DNSRecord", "A"}, {"DNSRecordIPv6", "AAAA"}} {
			t.Resources.Set(rr.name, cfn.Resource{Type: "AWS::Route53::RecordSet", Properties: map[string]any{
				"HostedZoneId": cfn.Ref(ParamHostedZone),
				"Name":         m.Domain.Name,
				"Type":         rr.typ,
				"AliasTarget": map[string]any{
					"DNSName": cfn.GetAtt("Distribution.DomainName"), "HostedZoneId": CloudFrontZone, "EvaluateTargetHealth": false,
				},
			}})
		}
		if m.Domain.Certificate == "" {
			t.Parameters.Set(OutCloudFrontCertificate, cfn.Parameter{Type: "String", AllowedPattern: "^arn:aws[a-z-]*:acm:us-east-1:[0-9]{12}:certificate/.+$",
				ConstraintDescription: "an ACM certificate ARN in us-east-1",
				Description:           fmt.Sprintf("Certificate of %s in us-east-1 (the edge stack's output; berth deploy passes it)", m.Domain.Name)})
		}
	}
	if m.LoadBalancer.WAF {
		t.Parameters.Set(OutCloudFrontWebACL, cfn.Parameter{Type: "String", AllowedPattern: "^arn:aws[a-z-]*:wafv2:us-east-1:[0-9]{12}:global/webacl/.+$",
			ConstraintDescription: "the ARN of a web ACL of scope CLOUDFRONT",
			Description:           "AWS WAF web ACL of the distribution, scope CLOUDFRONT, in us-east-1 (the edge stack's output; berth deploy passes it)"})
	}
	t.Outputs.Set(OutEdge, cfn.Output{Description: "What stands in front of the load balancer", Value: manifest.EdgeCloudFront})
	t.Outputs.Set(OutDistributionID, cfn.Output{Description: "The CloudFront distribution in front of the load balancer", Value: cfn.Ref("Distribution")})
	return url
}

// vpcOrigin is CloudFront's way into the VPC, to the load balancer at arn. CloudFront
// speaks plain HTTP to it, inside the VPC, as the load balancer does to the tasks: an
// HTTPS origin would need a certificate for a name the load balancer does not have.
func vpcOrigin(owner string, arn any) cfn.Resource {
	return cfn.Resource{Type: "AWS::CloudFront::VpcOrigin", Properties: map[string]any{
		"VpcOriginEndpointConfig": map[string]any{
			"Name":                 cfn.Sub(fmt.Sprintf("berth-${Env}-%s", owner)),
			"Arn":                  arn,
			"HTTPPort":             ListenerPort,
			"HTTPSPort":            HTTPSPort,
			"OriginProtocolPolicy": "http-only",
			"OriginSSLProtocols":   []any{"TLSv1.2"},
		},
		"Tags": cfn.Tags("Name", cfn.Sub(fmt.Sprintf("berth-${Env}-%s", owner))),
	}}
}

// distribution serves viewers HTTPS only (HTTP is redirected), caches nothing, and
// passes every request to the origin as the viewer sent it.
func distribution(m *manifest.Manifest, owner string, vpcOriginID, originDNS any) cfn.Resource {
	const origin = "load-balancer"
	config := map[string]any{
		"Enabled":     true,
		"Comment":     cfn.Sub(fmt.Sprintf("berth ${Env} %s", owner)),
		"HttpVersion": "http2and3",
		"IPV6Enabled": true,
		"Origins": []any{map[string]any{
			"Id":         origin,
			"DomainName": originDNS,
			"VpcOriginConfig": map[string]any{
				"VpcOriginId": vpcOriginID,
				// a request may take as long as the load balancer lets it, up to what
				// CloudFront waits without a quota increase
				"OriginReadTimeout": min(m.LoadBalancer.IdleTimeout, MaxOriginReadTimeout),
			},
		}},
		"DefaultCacheBehavior": map[string]any{
			"TargetOriginId":          origin,
			"ViewerProtocolPolicy":    "redirect-to-https",
			"AllowedMethods":          []any{"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"},
			"CachedMethods":           []any{"GET", "HEAD"},
			"CachePolicyId":           CachingDisabled,
			"OriginRequestPolicyId":   AllViewerAndCloudFrontHeaders,
			"ResponseHeadersPolicyId": SecurityHeadersPolicy,
		},
		"ViewerCertificate": map[string]any{"CloudFrontDefaultCertificate": true},
	}
	if m.HTTPS() {
		var cert any = m.Domain.Certificate
		if cert == "" {
			cert = cfn.Ref(OutCloudFrontCertificate)
		}
		config["Aliases"] = []any{m.Domain.Name}
		config["ViewerCertificate"] = map[string]any{
			"AcmCertificateArn": cert, "SslSupportMethod": "sni-only", "MinimumProtocolVersion": CloudFrontTLSPolicy,
		}
	}
	if m.LoadBalancer.WAF {
		config["WebACLId"] = cfn.Ref(OutCloudFrontWebACL)
	}
	return cfn.Resource{Type: "AWS::CloudFront::Distribution", Properties: map[string]any{
		"DistributionConfig": config,
		"Tags":               cfn.Tags("Name", cfn.Sub(fmt.Sprintf("berth-${Env}-%s", owner))),
	}}
}

// BehindCloudFront is what changes of the load balancer when CloudFront is in front of
// it: internal, in the tasks' (private) subnets, admitting only CloudFront's
// origin-facing servers on the listener port. The group admits the managed prefix list
// rather than the security group CloudFront makes for its VPC origins
// (CloudFront-VPCOrigins-Service-SG), which exists only once the VPC origin does and
// which no template can name; the load balancer has no public address, so the list
// reaches it through the VPC origin only. The list weighs 55 rules of a group's 60
// ("AWS-managed prefix list weight", Amazon VPC User Guide): the group holds that one
// rule. The load balancer loses its name: a change of scheme replaces it
// (AWS::ElasticLoadBalancingV2::LoadBalancer, Scheme), which CloudFormation refuses for
// a resource with a fixed name.
func BehindCloudFront(lb, group cfn.Resource, subnets any) {
	delete(lb.Properties, "Name")
	lb.Properties["Scheme"] = "internal"
	lb.Properties["Subnets"] = subnets
	group.Properties["GroupDescription"] = "berth load balancer: HTTP from the origin-facing servers of CloudFront only, through the VPC origin"
	group.Properties["SecurityGroupIngress"] = []any{map[string]any{
		"Description": "CloudFront, through the VPC origin", "IpProtocol": "tcp", "FromPort": ListenerPort, "ToPort": ListenerPort,
		"SourcePrefixListId": cfn.Ref(ParamCloudFrontPrefixList),
	}}
}

// NameAfterLoadBalancer names a target group after its load balancer's id, so that a
// new load balancer (edge none to cloudfront and back) gets new target groups: a target
// group cannot serve two load balancers, and CloudFormation makes the new load balancer
// and its listener before it deletes the old one ("The following target groups cannot
// be associated with more than one load balancer",
// aws-cloudformation/cloudformation-coverage-roadmap#780).
func NameAfterLoadBalancer(tg cfn.Resource, suffix string) {
	tg.Properties["Name"] = cfn.Join("-", []any{"berth", cfn.Select(3, cfn.Split("/", cfn.Ref("LoadBalancer"))), suffix})
}

// PrefixListParameter is the id berth deploy looks up (parent.yml users give it).
func PrefixListParameter() cfn.Parameter {
	return cfn.Parameter{Type: "String", AllowedPattern: "^pl-[0-9a-f]+$", ConstraintDescription: "a prefix list id, pl-...",
		Description: "Id of the managed prefix list " + CloudFrontPrefixListName + " in this region; berth deploy finds it"}
}
