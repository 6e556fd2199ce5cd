package synth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/cfn"
	"github.com/berthdev/berth/internal/routing"
)

func resource(t *testing.T, tpl *cfn.Template, name string) cfn.Resource {
	t.Helper()
	r, ok := tpl.Resources.Get(name)
	if !ok {
		t.Fatalf("no %s in the template", name)
	}
	return r.(cfn.Resource)
}

// A service's rule on the environment's listener says its route: the host, the path and
// everything below it, at the route's priority (a parameter deploy may move within the
// route's class); the default route takes every path, last.
func TestTheRuleSaysTheRoute(t *testing.T) {
	for _, c := range []struct {
		manifest   string
		conditions string
		priority   int
	}{
		{"name: a\n", `[{"Field":"path-pattern","PathPatternConfig":{"Values":["/*"]}}]`, routing.DefaultPriority},
		{"name: a\nload_balancer: {path: /orders}\n", `[{"Field":"path-pattern","PathPatternConfig":{"Values":["/orders","/orders/*"]}}]`, (routing.Route{Path: "/orders"}).Preferred()},
		{"name: a\nload_balancer: {host: shop.example.com}\n", `[{"Field":"host-header","HostHeaderConfig":{"Values":["shop.example.com"]}}]`, (routing.Route{Host: "shop.example.com"}).Preferred()},
		{"name: a\ndomain: api.example.com\nload_balancer: {path: /v1}\n", `[{"Field":"host-header","HostHeaderConfig":{"Values":["api.example.com"]}},{"Field":"path-pattern","PathPatternConfig":{"Values":["/v1","/v1/*"]}}]`, (routing.Route{Host: "api.example.com", Path: "/v1"}).Preferred()},
	} {
		m := parse(t, c.manifest)
		svc := Build(m)[Service]
		rule := resource(t, svc, ResSharedRule)
		if got := fmt.Sprint(jsonOf(t, rule.Properties["Conditions"])); got != c.conditions {
			t.Errorf("%q: conditions %s, want %s", c.manifest, got, c.conditions)
		}
		p, _ := svc.Parameters.Get(ParamRulePriority)
		if p.(cfn.Parameter).Default != c.priority {
			t.Errorf("%q: priority %v, want %d", c.manifest, p.(cfn.Parameter).Default, c.priority)
		}
		if _, own := svc.Resources.Get("LoadBalancer"); own {
			t.Errorf("%q: a load balancer of its own", c.manifest)
		}
	}
}

// With a domain the service is served over HTTPS on the environment's listener: its
// certificate is added to it by SNI, its HTTP twin redirects, its name points at the
// environment's load balancer. Without one, a host's redirect exists only when berth
// deploy puts the rule on the HTTPS listener.
func TestADomainIsServedOnTheSharedHTTPSListener(t *testing.T) {
	svc := Build(parse(t, "name: a\ndomain: api.example.com\nload_balancer: {path: /v1}\n"))[Service]
	for _, name := range []string{"Certificate", "ListenerCertificate", "SharedRedirect", "DNSRecord"} {
		r := resource(t, svc, name)
		if r.Condition != "" {
			t.Errorf("%s is conditional", name)
		}
	}
	if alias := resource(t, svc, "DNSRecord").Properties["AliasTarget"].(map[string]any); alias["DNSName"] != cfn.Ref(OutSharedDNS) || alias["HostedZoneId"] != cfn.Ref(OutSharedZone) {
		t.Errorf("alias %v", alias)
	}
	host := Build(parse(t, "name: a\nload_balancer: {host: shop.example.com}\n"))[Service]
	if r := resource(t, host, "SharedRedirect"); r.Condition != servesHTTPS {
		t.Errorf("a host's redirect: condition %q", r.Condition)
	}
	if _, ok := Build(parse(t, "name: a\nload_balancer: {path: /v1}\n"))[Service].Resources.Get("SharedRedirect"); ok {
		t.Error("a path without host redirects")
	}
}

// While a service moves between load balancers, its tasks are registered with the
// target groups of both, its group admits both, and the alias record waits for the
// service: then berth applies the final template, which has only the new one.
func TestAMovingServiceIsBehindBothLoadBalancers(t *testing.T) {
	for _, text := range []string{
		"name: a\ndomain: api.example.com\nload_balancer: {path: /v1}\ndeployment: {strategy: canary}\n",
		"name: a\ndomain: api.example.com\nload_balancer: {dedicated: true}\n",
	} {
		m := parse(t, text)
		tpl := Moving(m, routing.Route{Host: "api.example.com", Path: "/v1"})
		for _, name := range []string{"LoadBalancer", "Listener", "HTTPSListener", ResTargetGroup, ResAlternateTargetGroup, ResProductionRule,
			ResSharedTargetGroup, ResSharedAlternateTargetGroup, ResSharedRule, "ListenerCertificate", "DNSRecord"} {
			resource(t, tpl, name)
		}
		lbs, _ := resource(t, tpl, "Service").Properties["LoadBalancers"].([]any)
		if len(lbs) != 2 {
			t.Fatalf("%q: %d load balancer entries", text, len(lbs))
		}
		first := jsonOf(t, lbs[0])
		if want := map[bool]string{true: ResSharedTargetGroup, false: `"` + ResTargetGroup + `"`}[m.Shared()]; !strings.Contains(first, want) {
			t.Errorf("%q: the new load balancer's entry is not first: %s", text, first)
		}
		ingress, _ := resource(t, tpl, "ServiceSecurityGroup").Properties["SecurityGroupIngress"].([]any)
		if len(ingress) != 2 {
			t.Errorf("%q: the tasks' group admits %d load balancers", text, len(ingress))
		}
		if r := resource(t, tpl, "DNSRecord"); !slices.Equal(r.DependsOn, []string{"Service"}) {
			t.Errorf("%q: the alias record does not wait for the service: %v", text, r.DependsOn)
		}
		for _, p := range []string{ParamServing, ParamSourceServing} {
			if _, ok := tpl.Parameters.Get(p); !ok {
				t.Errorf("%q: no %s", text, p)
			}
		}
		if _, ok := tpl.Resources.Get("AccessLogBucket"); ok {
			t.Errorf("%q: the moving template keeps access logs", text)
		}
	}
}

// The templates of a move lint clean too: from and to a load balancer of one's own,
// with a domain, a traffic-shifting strategy, bridge-mode tasks and auto scaling.
func TestMovingTemplatesLintClean(t *testing.T) {
	lint, err := exec.LookPath("cfn-lint")
	if err != nil {
		t.Skip("cfn-lint is not installed (pip install cfn-lint); .ci/run installs it")
	}
	dir := t.TempDir()
	var files []string
	for i, text := range []string{
		"name: a\ndomain: api.example.com\nload_balancer: {path: /v1}\ndeployment: {strategy: canary}\ncount: {min: 1, max: 4, requests: 100}\n",
		"name: a\ndomain: api.example.com\nload_balancer: {dedicated: true, access_logs: 7, waf: true}\n",
		"name: a\nload_balancer: {host: shop.example.com}\nnetwork: {placement: public}\n",
		"name: a\nload_balancer: {dedicated: true}\nnetwork: {placement: public}\n",
	} {
		b, err := Moving(parse(t, text), routing.Route{Path: "/a"}).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		_, paths := writeTree(t, dir, map[string][]byte{fmt.Sprintf("moving%d.yml", i): b})
		files = append(files, paths...)
	}
	out, err := exec.Command(lint, files...).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("cfn-lint: %v\n%s", err, out)
	}
}

// The ingress stack records the settings it was made from, has an HTTPS listener only
// with a default domain, and answers what no service takes with a 404 of its own.
func TestTheIngressStack(t *testing.T) {
	m := parse(t, "name: a\nload_balancer: {waf: true, access_logs: 7, idle_timeout: 90}\n")
	tpl := Build(m)[Ingress]
	settings := IngressSettings(m)
	if settings["load_balancer.waf"] != "true" || settings["load_balancer.idle_timeout"] != "90" || settings["load_balancer.access_logs"] != "7" || settings["load_balancer.rate_limit"] != "2000" {
		t.Errorf("settings %v", settings)
	}
	for _, name := range []string{"Certificate", "HTTPSListener"} {
		if resource(t, tpl, name).Condition != hasHTTPS {
			t.Errorf("%s is not conditional on a default domain", name)
		}
	}
	if got := jsonOf(t, resource(t, tpl, "HTTPListener").Properties["DefaultActions"]); !strings.Contains(got, `"StatusCode":"404"`) {
		t.Errorf("default action %s", got)
	}
	if _, named := resource(t, tpl, "LoadBalancer").Properties["Name"]; named {
		t.Error("the environment's load balancer is named: a service's <name>-<env> could meet it")
	}
	if Build(parse(t, "name: a\nload_balancer: {dedicated: true}\n"))[Ingress] != nil {
		t.Error("a service with a load balancer of its own has an ingress template")
	}
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
