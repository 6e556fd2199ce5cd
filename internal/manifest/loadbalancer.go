package manifest

import (
	"github.com/berthdev/berth/internal/routing"
)

// Whose load balancer a service answers on. By default the environment's: one
// Application Load Balancer shared by its services, each taking the requests of its
// route (load_balancer.path and/or host), where each service used to bring its own
// (load_balancer.dedicated: true keeps that). A service deployed before with a load
// balancer of its own keeps it until its manifest says which it wants (ChoosesLoadBalancer):
// berth deploy sees its own load balancer in the deployed stack and keeps it.

// IngressKeys are the keys that set the load balancer itself: on a shared load balancer
// they belong to the environment, like NetworkKeys and CapacityKeys. edge is one of
// them there: CloudFront in front of the environment's load balancer makes it internal,
// which it is for every service on it, and one distribution serves them all.
var IngressKeys = []string{"load_balancer.idle_timeout", "load_balancer.access_logs", "load_balancer.waf", "load_balancer.rate_limit", "edge"}

// Shared reports whether the service answers on its environment's load balancer.
func (m *Manifest) Shared() bool { return !m.LoadBalancer.Dedicated }

// ChoosesLoadBalancer reports whether the manifest says whose load balancer the
// service answers on: dedicated set either way, or a path or host, which only the
// shared one has. Otherwise a service deployed with a load balancer of its own keeps
// it.
func (m *Manifest) ChoosesLoadBalancer() bool {
	return m.IsSet("load_balancer.dedicated") || m.IsSet("load_balancer.path") || m.IsSet("load_balancer.host")
}

// Route is where the service answers on the environment's load balancer: its host (with
// a domain, the domain's name) and path.
func (m *Manifest) Route() routing.Route {
	host := m.LoadBalancer.Host
	if host == "" {
		host = m.Domain.Name
	}
	return routing.Normal(host, m.LoadBalancer.Path)
}

// defaultLoadBalancer: the environment's by default; a load balancer of the service's own
// when the manifest asks for includeSubDomains in its HSTS header, which would bind
// every host of a shared listener, or for CloudFront in front (and says neither
// dedicated, path nor host): a distribution of the service's own, as before the
// environment's load balancer could have one, on a name of its own and with a domain
// or WAF if it wants them. An edge the manifest leaves out and takes from its
// environment's load balancer (Inherit) keeps it there.
func defaultLoadBalancer(m *Manifest) {
	if !m.ChoosesLoadBalancer() {
		m.LoadBalancer.Dedicated = m.Domain.HSTSSubdomains || m.IsSet("edge") && m.Edge == EdgeCloudFront
	}
}

func validateLoadBalancer(m *Manifest) error {
	lb := m.LoadBalancer
	if m.IsSet("load_balancer.path") {
		if err := routing.CheckPath(lb.Path); err != nil {
			return m.errorf("load_balancer.path", "%s", err)
		}
	}
	if m.IsSet("load_balancer.host") {
		if err := routing.CheckHost(lb.Host); err != nil {
			return m.errorf("load_balancer.host", "%s", err)
		}
	}
	for _, k := range []string{"load_balancer.path", "load_balancer.host"} {
		if lb.Dedicated && m.IsSet(k) {
			return m.errorf(k, "applies to the environment's shared load balancer; with load_balancer.dedicated: true the service has one of its own, which takes every request (remove one of the two)")
		}
	}
	switch {
	case m.HTTPS() && lb.Host != "" && lb.Host != m.Domain.Name:
		return m.errorf("load_balancer.host", "%q is not domain.name %s: with a domain the service answers on its name (leave host out)", lb.Host, m.Domain.Name)
	case !lb.Dedicated && m.CloudFront():
		return validateSharedCloudFront(m)
	case !lb.Dedicated && m.Domain.HSTSSubdomains:
		return m.errorf("domain.hsts_subdomains", "includeSubDomains would go to every host of the environment's shared listener: set load_balancer.dedicated: true for a load balancer of the service's own")
	}
	return nil
}

// validateSharedCloudFront: CloudFront in front of the environment's load balancer is one
// distribution for the environment, on its own *.cloudfront.net name, routing by path.
// Not built: a domain (the distribution would need every service's name as an alias
// and a certificate in us-east-1 covering all of them), WAF (a web ACL of scope
// CLOUDFRONT, in us-east-1, of the environment's), and a host (every request reaches
// the load balancer with the distribution's name; a rule for another host never
// matches). A dedicated load balancer has each.
func validateSharedCloudFront(m *Manifest) error {
	const own = "set load_balancer.dedicated: true for CloudFront in front of a load balancer of the service's own, which has it"
	switch {
	case m.HTTPS():
		return m.errorf("domain", "with edge: cloudfront on the environment's shared load balancer the environment has one distribution, on its own *.cloudfront.net name; a domain on it is not built (it would need every service's name as an alias and a certificate in us-east-1 covering them): %s, or leave edge out", own)
	case m.LoadBalancer.WAF:
		return m.errorf("load_balancer.waf", "with edge: cloudfront on the environment's shared load balancer the web ACL would be the environment's distribution's, of scope CLOUDFRONT in us-east-1, which is not built: %s, or leave waf out", own)
	case m.LoadBalancer.Host != "":
		return m.errorf("load_balancer.host", "with edge: cloudfront on the environment's shared load balancer every request comes on the distribution's name, so a rule for %s would never match: route by load_balancer.path, or %s", m.LoadBalancer.Host, own)
	}
	return nil
}
