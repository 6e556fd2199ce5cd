package synth

import (
	"fmt"

	"github.com/berthdev/berth/internal/cfn"
	"github.com/berthdev/berth/internal/manifest"
	"github.com/berthdev/berth/internal/routing"
	"github.com/berthdev/berth/internal/synth/edge"
)

// A service on the environment's load balancer (ingress.go): its target groups, its
// production rule on the listener it is served on (the route's conditions, at the
// route's priority), the HTTP rule that redirects it to HTTPS when it is served there,
// the egress rule that lets the load balancer reach its tasks, and with a domain its
// certificate (added to the HTTPS listener by SNI) and alias record. The rule is the
// service's unit of routing, as on a load balancer of its own: ECS shifts its weights
// during canary, linear and blue/green deployments.

// Parameters of a service on the environment's load balancer, besides the ingress
// stack's outputs of the same names.
const (
	// ParamSharedListener is the listener the service's rule goes on: the HTTP one, or
	// the HTTPS one for a service with a domain or whose host another service serves
	// over HTTPS (berth deploy decides).
	ParamSharedListener = "SharedListener"
	// ParamRulePriority is the rule's priority: the route's own (routing.Route.Priority),
	// which berth deploy moves within its class when another route holds it.
	ParamRulePriority = "RulePriority"
	// OutRoute is where the service answers on the environment's load balancer.
	OutRoute = "Route"
)

const servesHTTPS = "ServesHTTPS"

// addSharedParameters declares what the service takes of the environment's load
// balancer (while it moves off it, what routes until then: source).
func addSharedParameters(t *cfn.Template, m *manifest.Manifest, source bool) {
	str := func(desc string) cfn.Parameter {
		return cfn.Parameter{Type: "String", Description: desc + " (ingress stack output)"}
	}
	if !source {
		t.Parameters.Set(OutSharedFullName, str("The environment's load balancer's CloudWatch dimension"))
		t.Parameters.Set(OutSharedDNS, str("The environment's load balancer's DNS name"))
	}
	if !source && m.CloudFront() {
		t.Parameters.Set(OutSharedDistribution, str("The environment's CloudFront distribution"))
		t.Parameters.Set(OutSharedDistributionDomain, str("The environment's CloudFront distribution's name"))
	}
	if !Bridge(m) { // bridge-mode tasks are reached through the instances' group (ingress.go)
		t.Parameters.Set(OutSharedSecurityGroup, cfn.Parameter{Type: "AWS::EC2::SecurityGroup::Id", Description: "The environment's load balancer's security group (ingress stack output)"})
	}
	if m.Route().Host != "" { // its redirect rule's, and the condition that decides it
		t.Parameters.Set(OutSharedHTTPListener, str("The environment's HTTP listener"))
	}
	t.Parameters.Set(ParamSharedListener, cfn.Parameter{Type: "String",
		Description: "The listener the service's rule goes on: the HTTP one, or the HTTPS one when the service's host is served over HTTPS (berth deploy decides)"})
	t.Parameters.Set(ParamRulePriority, cfn.Parameter{Type: "Number", Default: m.Route().Preferred(),
		MinValue: cfn.Int(routing.MinPriority), MaxValue: cfn.Int(routing.MaxPriority),
		Description: "The rule's priority: its route's, unless another route holds it (berth deploy checks the listener's rules)"})
	if m.HTTPS() && !source {
		t.Parameters.Set(OutSharedZone, str("The environment's load balancer's hosted zone, for the alias record"))
	}
	if m.Route().Host != "" && !m.HTTPS() {
		t.Conditions.Set(servesHTTPS, cfn.Not(cfn.Equals(cfn.Ref(ParamSharedListener), cfn.Ref(OutSharedHTTPListener))))
	}
}

// ruleConditions are the route's, as listener rule conditions: a host-header for its
// host, a path-pattern for its path and everything below it; the default route's is
// /*, which every request meets.
func ruleConditions(m *manifest.Manifest) []any {
	r := m.Route()
	var out []any
	if r.Host != "" {
		out = append(out, map[string]any{"Field": "host-header", "HostHeaderConfig": map[string]any{"Values": []any{r.Host}}})
	}
	if ps := r.PathPatterns(); len(ps) > 0 {
		values := make([]any, len(ps))
		for i, p := range ps {
			values[i] = p
		}
		out = append(out, map[string]any{"Field": "path-pattern", "PathPatternConfig": map[string]any{"Values": values}})
	}
	return out
}

// addRedirect gives a service served over HTTPS its twin on the HTTP listener: the same
// conditions, a permanent redirect to HTTPS, at the same priority (the priorities of an
// environment's routes are distinct whatever the listener). A service with a host but
// no domain is served over HTTPS when another service serves its host there: then
// only (condition).
func addRedirect(t *cfn.Template, m *manifest.Manifest) {
	if m.Route().Host == "" {
		return
	}
	r := cfn.Resource{Type: "AWS::ElasticLoadBalancingV2::ListenerRule", Properties: map[string]any{
		"ListenerArn": cfn.Ref(OutSharedHTTPListener),
		"Priority":    cfn.Ref(ParamRulePriority),
		"Conditions":  ruleConditions(m),
		"Actions":     edge.RedirectToHTTPS(),
	}}
	if !m.HTTPS() {
		r.Condition = servesHTTPS
	}
	t.Resources.Set("SharedRedirect", r)
}

// addSharedEgress lets the environment's load balancer reach the tasks on the
// container port, and nothing else of the service's. (Bridge-mode tasks are reached on
// their instances' dynamic ports, which the ingress stack opens once for all.)
func addSharedEgress(t *cfn.Template, m *manifest.Manifest) {
	if Bridge(m) {
		return
	}
	t.Resources.Set("SharedLoadBalancerToService", cfn.Resource{Type: "AWS::EC2::SecurityGroupEgress", Properties: map[string]any{
		"Description":                fmt.Sprintf("to the tasks of %s, on the container port only", m.Name),
		"GroupId":                    cfn.Ref(OutSharedSecurityGroup),
		"IpProtocol":                 "tcp",
		"FromPort":                   m.Port,
		"ToPort":                     m.Port,
		"DestinationSecurityGroupId": cfn.GetAtt("ServiceSecurityGroup.GroupId"),
	}})
}

// addSharedDomain serves the service's domain on the environment's HTTPS listener: its
// certificate (requested and validated through the zone, or the one given) added to the
// listener's certificates, which the load balancer picks from by SNI
// (AWS::ElasticLoadBalancingV2::ListenerCertificate; "SSL certificates for your
// Application Load Balancer": a default certificate and up to 25 more, chosen by the
// name the client asks for), and the alias record of the name, made once the service
// runs behind the load balancer (a move between load balancers switches it then).
func addSharedDomain(t *cfn.Template, m *manifest.Manifest, record bool) {
	cert := edge.Certificate(t, m)
	t.Resources.Set("ListenerCertificate", cfn.Resource{Type: "AWS::ElasticLoadBalancingV2::ListenerCertificate", Properties: map[string]any{
		"ListenerArn":  cfn.Ref(ParamSharedListener),
		"Certificates": []any{map[string]any{"CertificateArn": cert}},
	}})
	if record {
		t.Resources.Set("DNSRecord", edge.AliasRecord(m, cfn.Ref(OutSharedDNS), cfn.Ref(OutSharedZone)))
		t.Outputs.Set(edge.OutCertificateArn, output("Certificate of the service's name on the HTTPS listener", cert))
	}
}

// sharedURL is where a service on the environment's load balancer answers: https on its
// domain, its host, the environment's distribution's name, or the load balancer's DNS
// name, and its path.
func sharedURL(m *manifest.Manifest) any {
	r := m.Route()
	switch {
	case m.CloudFront():
		return cfn.Sub("https://${" + OutSharedDistributionDomain + "}" + r.Path)
	case m.HTTPS():
		return "https://" + m.Domain.Name + r.Path
	case r.Host != "":
		return cfn.If(servesHTTPS, "https://"+r.Host+r.Path, "http://"+r.Host+r.Path)
	}
	return cfn.Sub("http://${" + OutSharedDNS + "}" + r.Path)
}
