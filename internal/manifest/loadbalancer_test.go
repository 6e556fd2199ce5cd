package manifest

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/routing"
)

// A service shares its environment's load balancer unless its manifest says
// dedicated: true; its route is its path and host, with a domain the domain's name.
func TestWhoseLoadBalancerAServiceAnswersOn(t *testing.T) {
	for _, tc := range []struct {
		src     string
		shared  bool
		chooses bool
		route   routing.Route
	}{
		{"name: a\n", true, false, routing.Route{}},
		{"name: a\nload_balancer:\n  path: /orders\n", true, true, routing.Route{Path: "/orders"}},
		{"name: a\nload_balancer:\n  path: /\n", true, true, routing.Route{}},
		{"name: a\nload_balancer:\n  host: api.example.com\n  path: /v1/orders\n", true, true, routing.Route{Host: "api.example.com", Path: "/v1/orders"}},
		{"name: a\nload_balancer:\n  dedicated: false\n", true, true, routing.Route{}},
		{"name: a\nload_balancer:\n  dedicated: true\n", false, true, routing.Route{}},
		{"name: a\ndomain: api.example.com\nload_balancer:\n  path: /orders\n", true, true, routing.Route{Host: "api.example.com", Path: "/orders"}},
		{"name: a\ndomain: api.example.com\nload_balancer:\n  host: api.example.com\n", true, true, routing.Route{Host: "api.example.com"}},
		// includeSubDomains binds every host of a listener: a load balancer of its own
		{"name: a\ndomain:\n  name: api.example.com\n  hsts_subdomains: true\n", false, false, routing.Route{Host: "api.example.com"}},
	} {
		m, err := Parse([]byte(tc.src), filepath.Join(t.TempDir(), "berth.yml"))
		if err != nil {
			t.Errorf("%q: %v", tc.src, err)
			continue
		}
		if m.Shared() != tc.shared || m.ChoosesLoadBalancer() != tc.chooses || m.Route() != tc.route {
			t.Errorf("%q: shared %v, chooses %v, route %+v", tc.src, m.Shared(), m.ChoosesLoadBalancer(), m.Route())
		}
	}
}

func TestInvalidRoutes(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"no slash", "name: a\nload_balancer:\n  path: orders\n", `berth.yml:3: load_balancer.path: "orders" does not start with /`},
		{"wildcard", "name: a\nload_balancer:\n  path: /orders/*\n", `berth.yml:3: load_balancer.path: "/orders/*" has a wildcard`},
		{"trailing slash", "name: a\nload_balancer:\n  path: /orders/\n", `load_balancer.path: "/orders/" ends with /: write /orders`},
		{"host case", "name: a\nload_balancer:\n  host: API.example.com\n", `berth.yml:3: load_balancer.host: "API.example.com" has upper-case letters`},
		{"host port", "name: a\nload_balancer:\n  host: api.example.com:80\n", `load_balancer.host: "api.example.com:80" is not a host name`},
		{"dedicated with path", "name: a\nload_balancer:\n  dedicated: true\n  path: /orders\n", `berth.yml:4: load_balancer.path: applies to the environment's shared load balancer`},
		{"dedicated with host", "name: a\nload_balancer:\n  host: a.example.com\n  dedicated: true\n", `berth.yml:3: load_balancer.host: applies to the environment's shared load balancer`},
		{"dedicated not bool", "name: a\nload_balancer:\n  dedicated: yes please\n", `load_balancer.dedicated: must be true or false`},
		{"host not the domain", "name: a\ndomain: api.example.com\nload_balancer:\n  host: www.example.com\n", `load_balancer.host: "www.example.com" is not domain.name api.example.com`},
		{"hsts on shared", "name: a\ndomain:\n  name: api.example.com\n  hsts_subdomains: true\nload_balancer:\n  path: /a\n", `domain.hsts_subdomains: includeSubDomains would go to every host of the environment's shared listener`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.src), filepath.Join(t.TempDir(), "berth.yml"))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !IsManifestError(err) {
				t.Errorf("%v, want %q", err, tc.want)
			}
		})
	}
}

// On a shared load balancer the keys of the load balancer itself are the environment's:
// left out, they are what the environment runs; a dedicated service keeps its own.
func TestTheSharedLoadBalancersKeysAreInherited(t *testing.T) {
	deployed := map[string]string{"load_balancer.waf": "true", "load_balancer.rate_limit": "500", "load_balancer.idle_timeout": "60", "load_balancer.access_logs": "7"}
	shared, _ := Parse([]byte("name: a\nload_balancer:\n  idle_timeout: 45\n"), "berth.yml")
	if err := shared.Inherit(deployed); err != nil {
		t.Fatal(err)
	}
	if lb := shared.LoadBalancer; !lb.WAF || lb.RateLimit != 500 || lb.IdleTimeout != 45 || lb.AccessLogs != 7 {
		t.Errorf("shared: %+v", lb)
	}
	if shared.Setting("load_balancer.waf") != "true" || shared.Setting("load_balancer.idle_timeout") != "45" {
		t.Errorf("settings %v", shared.Settings(IngressKeys))
	}
	own, _ := Parse([]byte("name: a\nload_balancer:\n  dedicated: true\n"), "berth.yml")
	if err := own.Inherit(deployed); err != nil {
		t.Fatal(err)
	}
	if lb := own.LoadBalancer; lb.WAF || lb.IdleTimeout != 30 || lb.AccessLogs != 0 {
		t.Errorf("dedicated: %+v", lb)
	}
}

// CloudFront in front of the environment's load balancer (issue 24 with issue 23): a
// path or dedicated: false puts the service there; a bare edge: cloudfront keeps a load
// balancer and distribution of the service's own; what is not built is refused.
func TestCloudFrontOnTheSharedLoadBalancer(t *testing.T) {
	for _, tc := range []struct {
		src    string
		shared bool
	}{
		{"name: a\nedge: cloudfront\n", false},
		{"name: a\nedge: cloudfront\nload_balancer:\n  path: /orders\n", true},
		{"name: a\nedge: cloudfront\nload_balancer:\n  dedicated: false\n", true},
	} {
		m, err := Parse([]byte(tc.src), filepath.Join(t.TempDir(), "berth.yml"))
		if err != nil || m.Shared() != tc.shared || !m.CloudFront() {
			t.Errorf("%q: %v, shared %v", tc.src, err, m != nil && m.Shared())
		}
	}
	for _, tc := range []struct{ name, src, want string }{
		{"domain", "name: a\nedge: cloudfront\ndomain: api.example.com\nload_balancer:\n  path: /a\n", `berth.yml:3: domain: with edge: cloudfront on the environment's shared load balancer the environment has one distribution`},
		{"waf", "name: a\nedge: cloudfront\nload_balancer:\n  path: /a\n  waf: true\n", `berth.yml:5: load_balancer.waf: with edge: cloudfront on the environment's shared load balancer the web ACL`},
		{"host", "name: a\nedge: cloudfront\nload_balancer:\n  host: api.example.com\n", `berth.yml:4: load_balancer.host: with edge: cloudfront on the environment's shared load balancer every request comes on the distribution's name`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.src), filepath.Join(t.TempDir(), "berth.yml"))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "load_balancer.dedicated: true") || !IsManifestError(err) {
				t.Errorf("%v, want %q", err, tc.want)
			}
		})
	}
	// a service that leaves edge out takes its environment's and stays on its load balancer
	m, _ := Parse([]byte("name: b\nload_balancer:\n  path: /b\n"), "berth.yml")
	bare, _ := Parse([]byte("name: c\n"), "berth.yml")
	for _, m := range []*Manifest{m, bare} {
		if err := m.Inherit(map[string]string{"edge": "cloudfront", "network.placement": "private"}); err != nil || !m.CloudFront() || !m.Shared() {
			t.Errorf("%s: %v, cloudfront %v, shared %v", m.Name, err, m.CloudFront(), m.Shared())
		}
	}
	own, _ := Parse([]byte("name: d\nload_balancer:\n  dedicated: true\n"), "berth.yml")
	if err := own.Inherit(map[string]string{"edge": "cloudfront"}); err != nil || own.CloudFront() {
		t.Errorf("dedicated: %v, cloudfront %v", err, own.CloudFront())
	}
}
