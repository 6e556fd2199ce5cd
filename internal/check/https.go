package check

import (
	"github.com/berthdev/berth/internal/cfn"
)

// httpsOnly: a listener of an internet-facing load balancer either terminates TLS or
// answers plain HTTP with a redirect to HTTPS; one that forwards plain HTTP carries
// every request, credentials and tokens included, in the clear. A load balancer that
// services share answers what no rule takes itself (a fixed response), and each
// service's rule on its HTTP listener is judged the same way; such a rule is in the
// service's template, on a listener it takes as a parameter, whose protocol the
// template says (sharedListeners), as it says when that load balancer is internal
// behind CloudFront (sharedBehindHTTPSEdge).
func httpsOnly(d *cfn.Doc) []Result {
	var out []Result
	for _, r := range ofType(d, "AWS::ElasticLoadBalancingV2::ListenerRule") {
		p := d.Resources[r].Properties
		switch proto := sharedListeners(d)[target(p["ListenerArn"])]; {
		case proto == "HTTPS":
			out = append(out, pass(r))
		case proto == "HTTP" && redirectsToHTTPS(p["Actions"]):
			out = append(out, pass(r))
		case proto == "HTTP" && sharedBehindHTTPSEdge(d):
			out = append(out, pass(r))
		case proto == "HTTP":
			out = append(out, fail(r, "forwards plain HTTP on the environment's shared HTTP listener; serve the service on a domain, and its HTTP requests redirect to HTTPS (berth does with domain: in berth.yml)"))
		}
	}
	for _, l := range ofType(d, "AWS::ElasticLoadBalancingV2::Listener") {
		p := d.Resources[l].Properties
		lb := target(p["LoadBalancerArn"])
		if r, ok := d.Resources[lb]; !ok || r.Type != "AWS::ElasticLoadBalancingV2::LoadBalancer" {
			out = append(out, skip(l, "its load balancer is not in this template"))
			continue
		} else if s, _ := r.Properties["Scheme"].(string); s == "internal" {
			// not on the internet: it passes when an HTTPS edge is its way in
			if dist := httpsEdgeOf(d, lb); dist != "" {
				out = append(out, pass(l))
			}
			continue
		} else if t, _ := r.Properties["Type"].(string); t == "network" || t == "gateway" {
			continue
		}
		switch proto, _ := p["Protocol"].(string); proto {
		case "HTTPS":
			out = append(out, pass(l))
		case "HTTP":
			if redirectsToHTTPS(p["DefaultActions"]) || answersItself(p["DefaultActions"]) {
				out = append(out, pass(l))
			} else {
				out = append(out, fail(l, "serves plain HTTP on port %v; serve HTTPS and redirect HTTP to it (berth does with domain: in berth.yml)", p["Port"]))
			}
		default:
			out = append(out, skip(l, "the protocol is not written in the template"))
		}
	}
	return out
}

// redirectsToHTTPS reports whether a listener's default actions are one redirect to
// HTTPS (rules could still forward some paths in plain HTTP; berth writes none).
func redirectsToHTTPS(actions any) bool {
	as := list(actions)
	if len(as) != 1 {
		return false
	}
	a, _ := as[0].(map[string]any)
	proto, _ := path(a, "RedirectConfig", "Protocol").(string)
	return a["Type"] == "redirect" && proto == "HTTPS"
}

// answersItself reports whether a listener's default actions are one fixed response:
// what no rule takes, the load balancer answers without sending it anywhere.
func answersItself(actions any) bool {
	as := list(actions)
	if len(as) != 1 {
		return false
	}
	a, _ := as[0].(map[string]any)
	return a["Type"] == "fixed-response"
}

// sharedBehindHTTPSEdge reports whether the template's Metadata says the load balancer
// that services share is internal, with CloudFront in front (berth: load_balancer:
// scheme, edge): its HTTP listener is on no network the internet reaches, and the
// distribution that is its way in is judged in the template that makes it (the
// ingress stack's: BERTH009 on its listener, BERTH014 on the distribution).
func sharedBehindHTTPSEdge(d *cfn.Doc) bool {
	scheme, _ := path(d.Metadata, "berth", "load_balancer", "scheme").(string)
	edge, _ := path(d.Metadata, "berth", "load_balancer", "edge").(string)
	return scheme == "internal" && edge == "cloudfront"
}

// sharedListeners are the listeners of a load balancer that services share, which a
// service's template takes as parameters, by parameter name with their protocol, as
// the template's Metadata says them (berth: load_balancer: listeners).
func sharedListeners(d *cfn.Doc) map[string]string {
	out := map[string]string{}
	ls, _ := path(d.Metadata, "berth", "load_balancer", "listeners").(map[string]any)
	for name, proto := range ls {
		if _, ok := d.Parameters[name]; ok {
			out[name], _ = proto.(string)
		}
	}
	return out
}
