// Package edge writes what stands in front of a service in its templates: HTTPS on its
// own domain (the certificate, the HTTPS listener, the alias record, the redirect of
// HTTP), the load balancer's access logs and AWS WAF web ACL, and CloudFront in front of
// it all. The AWS side of the same things (the hosted zone, the validation records, the
// prefix list's id) is internal/edge's.
//
// It is a part of synth's pure function: it makes no AWS call, and it must not import
// synth (which imports it), the AWS path or local.
package edge

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/berthdev/berth/internal/cfn"
	"github.com/berthdev/berth/internal/manifest"
)

const (
	// ListenerPort is the load balancer's HTTP listener: it forwards to the tasks, or
	// with a domain redirects to HTTPS.
	ListenerPort = 80
	// HTTPSPort is the listener of a service with a domain; ListenerPort then redirects.
	HTTPSPort = 443
	// ParamHostedZone is the Route 53 public hosted zone of domain.name, which berth
	// deploy looks up before it changes anything.
	ParamHostedZone = "HostedZoneId"
	// TLSPolicy is the HTTPS listener's security policy: TLS 1.3 and 1.2 with the
	// restricted cipher list and hybrid post-quantum key exchange, which AWS recommends
	// and the console uses by default; CloudFormation's own default is still
	// ELBSecurityPolicy-2016-08, which accepts TLS 1.0 ("Security policies for your
	// Application Load Balancer", Elastic Load Balancing user guide).
	TLSPolicy = "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09"
	// HSTS is the Strict-Transport-Security header the HTTPS listener adds to every
	// response (listener attribute routing.http.response.strict_transport_security.header_value,
	// "HTTP header modification for your Application Load Balancer"): a year, without
	// includeSubDomains and preload, which bind every name under the domain to HTTPS
	// and are decisions for the domain's owner (RFC 6797 6.1.2); domain.hsts_subdomains
	// adds includeSubDomains.
	HSTS = "max-age=31536000"
	// OutCertificateArn is the certificate of the HTTPS listener.
	OutCertificateArn = "CertificateArn"
	// OutAccessLogBucket is the bucket of the load balancer's access logs.
	OutAccessLogBucket = "AccessLogBucket"
)

// AddDomain serves the service over HTTPS on domain.name: a certificate (requested and
// validated through the hosted zone, or the one given), a 443 listener, a redirect of
// port 80 to it, and the alias record of the name (record: not while the service
// moves to the environment's load balancer, whose record it is then).
func AddDomain(t *cfn.Template, m *manifest.Manifest, record bool) {
	cert := Certificate(t, m)
	t.Resources.Set("HTTPSListener", cfn.Resource{Type: "AWS::ElasticLoadBalancingV2::Listener", Properties: map[string]any{
		"LoadBalancerArn": cfn.Ref("LoadBalancer"),
		"Port":            HTTPSPort,
		"Protocol":        "HTTPS",
		"SslPolicy":       TLSPolicy,
		"Certificates":    []any{map[string]any{"CertificateArn": cert}},
		"DefaultActions":  []any{map[string]any{"Type": "forward", "TargetGroupArn": cfn.Ref("TargetGroup")}},
		"ListenerAttributes": []any{map[string]any{
			"Key": "routing.http.response.strict_transport_security.header_value", "Value": hsts(m.Domain),
		}},
	}})
	if record {
		t.Resources.Set("DNSRecord", AliasRecord(m, cfn.GetAtt("LoadBalancer.DNSName"), cfn.GetAtt("LoadBalancer.CanonicalHostedZoneID")))
		t.Outputs.Set(OutCertificateArn, cfn.Output{Description: "Certificate of the HTTPS listener", Value: cert})
	}
}

// AddEnvironmentHTTPSListener is the HTTPS listener of the environment's load balancer,
// made once (condition) a service of it has a domain, on a certificate of that first
// domain's name (domain, validated through zone): ALB requires a default certificate,
// which no service then owns. What no rule takes gets defaultActions.
func AddEnvironmentHTTPSListener(t *cfn.Template, condition, domain, zone string, defaultActions []any) {
	t.Resources.Set("Certificate", cfn.Resource{Type: "AWS::CertificateManager::Certificate", Condition: condition, Properties: map[string]any{
		"DomainName":       cfn.Ref(domain),
		"ValidationMethod": "DNS",
		"DomainValidationOptions": []any{map[string]any{
			"DomainName": cfn.Ref(domain), "HostedZoneId": cfn.Ref(zone),
		}},
		"Tags": cfn.Tags("Name", cfn.Sub("berth-${Env}-ingress")),
	}})
	t.Resources.Set("HTTPSListener", cfn.Resource{Type: "AWS::ElasticLoadBalancingV2::Listener", Condition: condition, Properties: map[string]any{
		"LoadBalancerArn": cfn.Ref("LoadBalancer"),
		"Port":            HTTPSPort,
		"Protocol":        "HTTPS",
		"SslPolicy":       TLSPolicy,
		"Certificates":    []any{map[string]any{"CertificateArn": cfn.Ref("Certificate")}},
		"DefaultActions":  defaultActions,
		"ListenerAttributes": []any{map[string]any{
			"Key": "routing.http.response.strict_transport_security.header_value", "Value": HSTS,
		}},
	}})
}

// Certificate is the certificate of domain.name: the one given, or one requested in the
// stack (CertificateResource).
func Certificate(t *cfn.Template, m *manifest.Manifest) any {
	d := m.Domain
	t.Parameters.Set(ParamHostedZone, HostedZoneParameter(m))
	if d.Certificate != "" {
		return d.Certificate
	}
	if _, ok := t.Resources.Get("Certificate"); !ok {
		t.Resources.Set("Certificate", CertificateResource(m))
	}
	return cfn.Ref("Certificate")
}

// AliasRecord points domain.name at a load balancer. The load balancer is IPv4 only
// (the VPC has no IPv6 range), so an A record and no AAAA: a client reaches it over
// IPv4. A change of target is made in place (AliasTarget: update requires no
// interruption), in one Route 53 change.
func AliasRecord(m *manifest.Manifest, dns, zone any) cfn.Resource {
	return cfn.Resource{Type: "AWS::Route53::RecordSet", Properties: map[string]any{
		"HostedZoneId": cfn.Ref(ParamHostedZone),
		"Name":         m.Domain.Name,
		"Type":         "A",
		"AliasTarget": map[string]any{
			"DNSName":              dns,
			"HostedZoneId":         zone,
			"EvaluateTargetHealth": false,
		},
	}}
}

// CertificateResource is domain.name's, requested from ACM and validated through the
// hosted zone: CloudFormation creates the validation record in the zone and completes
// the resource once ACM has issued the certificate, so that what uses it never meets
// a pending one (AWS::CertificateManager::Certificate, DomainValidationOptions).
func CertificateResource(m *manifest.Manifest) cfn.Resource {
	d := m.Domain
	return cfn.Resource{Type: "AWS::CertificateManager::Certificate", Properties: map[string]any{
		"DomainName":       d.Name,
		"ValidationMethod": "DNS",
		"DomainValidationOptions": []any{map[string]any{
			"DomainName": d.Name, "HostedZoneId": cfn.Ref(ParamHostedZone),
		}},
		"Tags": cfn.Tags("Name", cfn.Sub(fmt.Sprintf("berth-${Env}-%s", m.Name))),
	}}
}

// HostedZoneParameter is the zone of domain.name: berth deploy looks it up; parent.yml
// users give it (or the manifest names it by id).
func HostedZoneParameter(m *manifest.Manifest) cfn.Parameter {
	p := cfn.Parameter{Type: "AWS::Route53::HostedZone::Id", Description: fmt.Sprintf("Route 53 public hosted zone of %s; berth deploy finds it", m.Domain.Name)}
	if manifest.IsZoneID(m.Domain.Zone) {
		p.Default = m.Domain.Zone
	}
	return p
}

// RedirectToHTTPS is the port-80 listener of a service with a domain: a permanent
// redirect to the same host, path and query over HTTPS.
func RedirectToHTTPS() []any {
	return []any{map[string]any{
		"Type": "redirect",
		"RedirectConfig": map[string]any{
			"Protocol": "HTTPS", "Port": strconv.Itoa(HTTPSPort), "Host": "#{host}", "Path": "/#{path}", "Query": "#{query}",
			"StatusCode": "HTTP_301",
		},
	}}
}

// elbLogAccounts are the accounts Elastic Load Balancing writes access logs from, in
// the regions opened before August 2022; the regions opened since grant the log
// delivery service principal instead ("Enable access logs for your Application Load
// Balancer", step 2: attach a policy to your S3 bucket).
var elbLogAccounts = map[string]string{
	"us-east-1": "127311923021", "us-east-2": "033677994240", "us-west-1": "027434742980", "us-west-2": "797873946194",
	"af-south-1": "098369216593", "ap-east-1": "754344448648", "ap-southeast-3": "589379963580", "ap-south-1": "718504428378",
	"ap-northeast-3": "383597477331", "ap-northeast-2": "600734575887", "ap-southeast-1": "114774131450",
	"ap-southeast-2": "783225319266", "ap-northeast-1": "582318560864", "ca-central-1": "985666609251",
	"eu-central-1": "054676820928", "eu-west-1": "156460612806", "eu-west-2": "652711504416", "eu-south-1": "635631232127",
	"eu-west-3": "009996457667", "eu-north-1": "897822967062", "me-south-1": "076674570225", "sa-east-1": "507241528517",
	"us-gov-west-1": "048591011584", "us-gov-east-1": "190560391635", "cn-north-1": "638102146993", "cn-northwest-1": "037604701340",
}

// AddAccessLogs gives the load balancer an S3 bucket of its own for access logs:
// encrypted with S3-managed keys (the only kind ELB can write to), public access
// blocked, objects owned by the bucket, TLS only, and expired after the days asked.
// berth delete empties it before the stack goes. who names it: the service, or ingress.
func AddAccessLogs(t *cfn.Template, m *manifest.Manifest, who string) {
	regions := make([]string, 0, len(elbLogAccounts))
	for r := range elbLogAccounts {
		regions = append(regions, r)
	}
	sort.Strings(regions)
	accounts := cfn.Map{}
	var equals []any
	for _, r := range regions {
		accounts.Set(r, map[string]any{"Account": elbLogAccounts[r]})
		equals = append(equals, cfn.Equals(cfn.Ref("AWS::Region"), r))
	}
	t.Mappings.Set("ElbLogDelivery", accounts)
	// !Or takes at most 10 conditions: nest them
	var groups []any
	for len(equals) > 0 {
		n := min(10, len(equals))
		if n == 1 {
			groups = append(groups, equals[0])
		} else {
			groups = append(groups, cfn.Or(equals[:n]...))
		}
		equals = equals[n:]
	}
	t.Conditions.Set("ElbLogAccountRegion", cfn.Or(groups...))

	t.Resources.Set("AccessLogBucket", cfn.Resource{Type: "AWS::S3::Bucket", Properties: map[string]any{
		"BucketEncryption": map[string]any{"ServerSideEncryptionConfiguration": []any{map[string]any{
			"ServerSideEncryptionByDefault": map[string]any{"SSEAlgorithm": "AES256"},
		}}},
		"PublicAccessBlockConfiguration": map[string]any{
			"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true,
		},
		"OwnershipControls": map[string]any{"Rules": []any{map[string]any{"ObjectOwnership": "BucketOwnerEnforced"}}},
		"LifecycleConfiguration": map[string]any{"Rules": []any{map[string]any{
			"Id": "expire-access-logs", "Status": "Enabled", "ExpirationInDays": m.LoadBalancer.AccessLogs,
			"AbortIncompleteMultipartUpload": map[string]any{"DaysAfterInitiation": 1},
		}}},
		"Tags": cfn.Tags("Name", cfn.Sub(fmt.Sprintf("berth-${Env}-%s-access-logs", who))),
	}})
	bucket := cfn.Sub("arn:${AWS::Partition}:s3:::${AccessLogBucket}")
	t.Resources.Set("AccessLogBucketPolicy", cfn.Resource{Type: "AWS::S3::BucketPolicy", Properties: map[string]any{
		"Bucket": cfn.Ref("AccessLogBucket"),
		"PolicyDocument": map[string]any{
			"Version": "2012-10-17",
			"Statement": []any{
				map[string]any{
					"Sid":    "LoadBalancerWritesLogs",
					"Effect": "Allow",
					"Principal": cfn.If("ElbLogAccountRegion",
						map[string]any{"AWS": cfn.Join("", []any{"arn:", cfn.Ref("AWS::Partition"), ":iam::",
							cfn.FindInMap("ElbLogDelivery", cfn.Ref("AWS::Region"), "Account"), ":root"})},
						map[string]any{"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}),
					"Action":   "s3:PutObject",
					"Resource": cfn.Sub("arn:${AWS::Partition}:s3:::${AccessLogBucket}/AWSLogs/${AWS::AccountId}/*"),
				},
				map[string]any{
					"Sid":       "TLSOnly",
					"Effect":    "Deny",
					"Principal": "*",
					"Action":    "s3:*",
					"Resource":  []any{bucket, cfn.Sub("arn:${AWS::Partition}:s3:::${AccessLogBucket}/*")},
					"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
				},
			},
		},
	}})
	t.Outputs.Set(OutAccessLogBucket, cfn.Output{Description: "Bucket of the load balancer's access logs", Value: cfn.Ref("AccessLogBucket")})
}

// AddWAF puts an AWS WAF web ACL in front of the load balancer: a per-address rate
// limit, then AWS managed rule groups (addresses with a bad reputation, known bad
// inputs, the common rule set). The common set's SizeRestrictions_BODY blocks bodies
// over 8 KB, which an API that takes uploads or large JSON sends every day; it counts
// instead of blocking. what is the load balancer's description, who names the web ACL's
// metrics and tag: the service's, or the environment's ingress.
func AddWAF(t *cfn.Template, m *manifest.Manifest, what, who string) {
	t.Resources.Set("WebACL", WebACL(m, "REGIONAL", what, who))
	t.Resources.Set("WebACLAssociation", cfn.Resource{Type: "AWS::WAFv2::WebACLAssociation", Properties: map[string]any{
		"ResourceArn": cfn.Ref("LoadBalancer"),
		"WebACLArn":   cfn.GetAtt("WebACL.Arn"),
	}})
}

// WebACL is the web ACL of scope REGIONAL (a load balancer's) or CLOUDFRONT (a
// distribution's, made in us-east-1), in front of what, named after who.
func WebACL(m *manifest.Manifest, scope, what, who string) cfn.Resource {
	visibility := func(metric string) map[string]any {
		return map[string]any{"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": metric}
	}
	rules := []any{map[string]any{
		"Name":             "rate-limit-per-address",
		"Priority":         0,
		"Action":           map[string]any{"Block": map[string]any{}},
		"Statement":        map[string]any{"RateBasedStatement": map[string]any{"Limit": m.LoadBalancer.RateLimit, "AggregateKeyType": "IP"}},
		"VisibilityConfig": visibility("rate-limit-per-address"),
	}}
	for i, group := range []string{"AWSManagedRulesAmazonIpReputationList", "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesCommonRuleSet"} {
		statement := map[string]any{"VendorName": "AWS", "Name": group}
		if group == "AWSManagedRulesCommonRuleSet" {
			statement["RuleActionOverrides"] = []any{map[string]any{"Name": "SizeRestrictions_BODY", "ActionToUse": map[string]any{"Count": map[string]any{}}}}
		}
		rules = append(rules, map[string]any{
			"Name":             group,
			"Priority":         i + 1,
			"OverrideAction":   map[string]any{"None": map[string]any{}},
			"Statement":        map[string]any{"ManagedRuleGroupStatement": statement},
			"VisibilityConfig": visibility(group),
		})
	}
	return cfn.Resource{Type: "AWS::WAFv2::WebACL", Properties: map[string]any{
		"Scope":            scope,
		"Description":      fmt.Sprintf("berth %s: rate limit and AWS managed rules in front of %s", who, what),
		"DefaultAction":    map[string]any{"Allow": map[string]any{}},
		"Rules":            rules,
		"VisibilityConfig": visibility(who),
		"Tags":             cfn.Tags("Name", cfn.Sub(fmt.Sprintf("berth-${Env}-%s", who))),
	}}
}

// hsts is the Strict-Transport-Security header of the domain's listener.
func hsts(d manifest.Domain) string {
	if d.HSTSSubdomains {
		return HSTS + "; includeSubDomains"
	}
	return HSTS
}
