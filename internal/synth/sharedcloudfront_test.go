package synth

import (
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/synth/edge"
)

// CloudFront in front of the environment's load balancer: the ingress stack holds the
// one distribution and VPC origin, the load balancer internal in the private subnets
// and reached only from CloudFront's origin-facing servers, with no HTTPS listener; the
// service answers on the distribution's name and its path, and says so.
func TestCloudFrontInFrontOfTheEnvironmentsLoadBalancer(t *testing.T) {
	m := parse(t, "name: orders\nedge: cloudfront\nload_balancer:\n  path: /orders\n")
	ts := Build(m)
	ing := ts[Ingress]
	if IngressSettings(m)["edge"] != "cloudfront" || IngressSettings(parse(t, "name: a\n"))["edge"] != "" {
		t.Errorf("settings %v", IngressSettings(m))
	}
	lb := resource(t, ing, "LoadBalancer").Properties
	if lb["Scheme"] != "internal" || jsonOf(t, lb["Subnets"]) != `"TaskSubnets"` {
		t.Errorf("load balancer %s", jsonOf(t, lb))
	}
	if got := jsonOf(t, resource(t, ing, "LoadBalancerSecurityGroup").Properties["SecurityGroupIngress"]); !strings.Contains(got, `"SourcePrefixListId":"CloudFrontPrefixList"`) || strings.Contains(got, "0.0.0.0/0") {
		t.Errorf("ingress %s", got)
	}
	for _, name := range []string{"HTTPSListener", "Certificate"} {
		if _, ok := ing.Resources.Get(name); ok {
			t.Errorf("%s behind CloudFront", name)
		}
	}
	if _, ok := ing.Parameters.Get(OutPublicSubnets); ok {
		t.Error("the internal load balancer takes the public subnets")
	}
	if got := jsonOf(t, resource(t, ing, "VpcOrigin").Properties); !strings.Contains(got, `"Arn":"LoadBalancer"`) || !strings.Contains(got, "berth-${Env}-ingress") {
		t.Errorf("VPC origin %s", got)
	}
	if got := jsonOf(t, resource(t, ing, "Distribution").Properties); !strings.Contains(got, `"ViewerProtocolPolicy":"redirect-to-https"`) || !strings.Contains(got, edge.CachingDisabled) {
		t.Errorf("distribution %s", got)
	}
	svc := ts[Service]
	if _, ok := svc.Resources.Get("Distribution"); ok {
		t.Error("the service has a distribution of its own")
	}
	url, _ := svc.Outputs.Get(OutURL)
	if got := jsonOf(t, url); !strings.Contains(got, "https://${SharedDistributionDomain}/orders") {
		t.Errorf("URL %s", got)
	}
	if e, _ := svc.Outputs.Get(OutEdge); !strings.Contains(jsonOf(t, e), "cloudfront") {
		t.Errorf("edge output %s", jsonOf(t, e))
	}
	if StacksOf(m)[len(StacksOf(m))-1] != Service || NeedsEdgeStack(m) {
		t.Errorf("stacks %v", StacksOf(m))
	}
}
