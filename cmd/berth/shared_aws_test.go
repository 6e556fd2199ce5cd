package main

import (
	"context"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/berthdev/berth/internal/routing"
	"github.com/berthdev/berth/internal/session"
)

// The services of an environment share its load balancer (issue 23). What the emulator
// cannot do: serve a request (no task runs, no load balancer answers), so the routing
// of requests is proven on the local listener (TestUpServicesShareOneListener), which
// follows the same rules (internal/routing); and it answers GetAtt
// CanonicalHostedZoneID of a load balancer, which an ingress stack outputs for the
// alias records, with its own unresolved text (AWS documents it: the load balancer's
// canonical hosted zone id), so the alias's zone is not asserted here.

// serviceIn is a manifest of a service of the example with its own name and
// load_balancer keys.
func serviceIn(t *testing.T, name, lb string) string {
	return project(t, "name: orders", "name: "+name+"\nload_balancer:\n"+lb)
}

// rulesOf lists the rules of the environment's load balancer that are not default, as
// "PRIORITY CONDITION-VALUES ACTION", per listener port.
func rulesOf(t *testing.T, c *session.Session, env string) map[int32][]string {
	t.Helper()
	ctx := context.Background()
	lb := stackResource(t, c, "berth-"+env+"-ingress", "LoadBalancer")
	ls, err := c.ELB.DescribeListeners(ctx, &elb.DescribeListenersInput{LoadBalancerArn: aws.String(lb)})
	if err != nil {
		t.Fatal(err)
	}
	out := map[int32][]string{}
	for _, l := range ls.Listeners {
		rs, err := c.ELB.DescribeRules(ctx, &elb.DescribeRulesInput{ListenerArn: l.ListenerArn})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs.Rules {
			if aws.ToBool(r.IsDefault) {
				continue
			}
			var values []string
			for _, cond := range r.Conditions {
				values = append(values, cond.Values...)
			}
			out[aws.ToInt32(l.Port)] = append(out[aws.ToInt32(l.Port)], aws.ToString(r.Priority)+" "+strings.Join(values, ",")+" "+string(r.Actions[0].Type))
		}
		slices.Sort(out[aws.ToInt32(l.Port)])
	}
	return out
}

// loadBalancersOf counts the application load balancers berth made for env: the
// environment's and the services' own, by the tags CloudFormation puts on them.
func loadBalancersOf(t *testing.T, c *session.Session, env string) int {
	t.Helper()
	ctx := context.Background()
	lbs, err := c.ELB.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, lb := range lbs.LoadBalancers {
		tags, err := c.ELB.DescribeTags(ctx, &elb.DescribeTagsInput{ResourceArns: []string{aws.ToString(lb.LoadBalancerArn)}})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range tags.TagDescriptions {
			for _, tag := range d.Tags {
				if aws.ToString(tag.Key) == "berth:env" && aws.ToString(tag.Value) == env {
					n++
				}
			}
		}
	}
	return n
}

// priority is the priority a route's rule gets on an environment's load balancer where
// no other route holds it.
func priority(host, path string) string {
	return strconv.Itoa((routing.Route{Host: host, Path: path}).Preferred())
}

// Two services with different paths make one load balancer with two rules, at the
// priorities their routes give; a third claiming a taken path is refused with nothing
// changed; two deploys at once do not collide; a service moves to a load balancer of its
// own and back, its URL changing with it; deleting one leaves the other's rule and the
// load balancer; deleting the last leaves no load balancer.
func TestServicesShareOneLoadBalancer(t *testing.T) {
	env := awsEnv(t)
	c := clients(t, env)
	const e = "e2e-shr"
	deploy := func(dir, what string) result {
		t.Helper()
		r := berthWith(t, dir, env, "deploy", "--env", e, "--yes")
		mustSucceed(t, r, what)
		return r
	}
	orders, users := serviceIn(t, "orders", "  path: /orders"), serviceIn(t, "users", "  path: /users")
	r := deploy(orders, "deploy orders")
	for _, want := range []string{"berth-e2e-shr-ingress: create, 3 change(s)", "+ SharedRule", "*     /orders, /orders/*  orders (this deploy)  " + priority("", "/orders") + "     HTTP",
		"is the environment's: every further service on it adds none of it", "deployed orders to e2e-shr in "} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the first service's deploy lacks %q:\n%s", want, r.stdout)
		}
	}
	r = deploy(users, "deploy users")
	if !strings.Contains(r.stdout, "berth-e2e-shr-ingress: no changes") || !strings.Contains(r.stdout, "shared by the environment's 2 services: one per service would cost $59.13, $29.57 more") {
		t.Errorf("the second service's deploy:\n%s", r.stdout)
	}
	if n := loadBalancersOf(t, c, e); n != 1 {
		t.Errorf("%d load balancers for two services, want the environment's one", n)
	}
	want := []string{priority("", "/orders") + " /orders,/orders/* forward", priority("", "/users") + " /users,/users/* forward"}
	slices.Sort(want)
	if got := rulesOf(t, c, e); !slices.Equal(got[80], want) || len(got) != 1 {
		t.Errorf("rules %v, want %v on the HTTP listener only", got, want)
	}

	// a third service claiming a taken path: refused before anything changes, naming both
	billing := serviceIn(t, "billing", "  path: /orders")
	r = berthWith(t, billing, env, "deploy", "--env", e, "--yes")
	if r.code != 2 || !strings.Contains(r.stderr, "berth.yml:") || !strings.Contains(r.stderr, "load_balancer.path: service billing would answer /orders on the load balancer of environment e2e-shr, which service orders answers already") ||
		!strings.Contains(r.stderr, "hint: give billing another load_balancer.path") {
		t.Errorf("a taken path: exit %d\n%s", r.code, r.stderr)
	}
	if stackExists(t, c, "berth-e2e-shr-svc-billing") || len(rulesOf(t, c, e)[80]) != 2 {
		t.Error("the refused deploy changed something")
	}

	// two deploys of different services at the same time: their priorities are their
	// routes', decided without each other
	var wg sync.WaitGroup
	results := make([]result, 2)
	for i, name := range []string{"a", "b"} {
		dir := serviceIn(t, "concurrent-"+name, "  path: /v1/"+name)
		wg.Add(1)
		go func() { defer wg.Done(); results[i] = berthWith(t, dir, env, "deploy", "--env", e, "--yes") }()
	}
	wg.Wait()
	for _, r := range results {
		mustSucceed(t, r, "a concurrent deploy")
	}
	if rules := rulesOf(t, c, e)[80]; len(rules) != 4 || !strings.Contains(strings.Join(rules, "\n"), priority("", "/v1/a")+" /v1/a,/v1/a/*") {
		t.Errorf("after two deploys at once: %v", rules)
	}
	for _, name := range []string{"a", "b"} {
		mustSucceed(t, berthWith(t, serviceIn(t, "concurrent-"+name, "  path: /v1/"+name), env, "delete", "--env", e, "--yes"), "delete concurrent-"+name)
	}

	// the routing table of the environment
	st := berthWith(t, t.TempDir(), env, "status", "--env", e)
	mustSucceed(t, st, "status --env")
	for _, want := range []string{"berth-e2e-shr-ingress", "the environment's load balancer, in the order its listeners try the rules:",
		"HOST  PATH                SERVICE  PRIORITY  LISTENER", "*     /users, /users/*    users    " + priority("", "/users")} {
		if !strings.Contains(st.stdout, want) {
			t.Errorf("status --env lacks %q:\n%s", want, st.stdout)
		}
	}

	// users to a load balancer of its own and back: a planned change, which says that
	// the URL changes
	url := stackOutput(t, c, "berth-e2e-shr-svc-users", "URL")
	writeFile(t, filepath.Join(users, "berth.yml"), strings.Replace(mustRead(t, filepath.Join(users, "berth.yml")), "path: /users", "dedicated: true", 1))
	r = deploy(users, "users to a load balancer of its own")
	if !strings.Contains(r.stdout, "load balancer: the service moves from the environment's load balancer to one of its own: its URL "+url+" changes") ||
		!strings.Contains(r.stdout, "+ LoadBalancer") || !strings.Contains(r.stdout, "- SharedRule") {
		t.Errorf("the move to a load balancer of its own:\n%s", r.stdout)
	}
	if own := stackOutput(t, c, "berth-e2e-shr-svc-users", "URL"); own == url || !strings.HasPrefix(own, "http://users-e2e-shr") {
		t.Errorf("URL %s after the move, was %s", own, url)
	}
	if n := loadBalancersOf(t, c, e); n != 2 || len(rulesOf(t, c, e)[80]) != 1 {
		t.Errorf("%d load balancers and rules %v: want the environment's with orders' rule, and users' own", n, rulesOf(t, c, e))
	}
	// a manifest that says nothing keeps the load balancer the service runs with
	writeFile(t, filepath.Join(users, "berth.yml"), strings.Replace(mustRead(t, filepath.Join(users, "berth.yml")), "load_balancer:\n  dedicated: true", "", 1))
	r = deploy(users, "users, saying nothing of its load balancer")
	if !strings.Contains(r.stdout, "berth-e2e-shr-svc-users: no changes") || !strings.Contains(r.stdout, "the service keeps its own, as deployed before load balancers were shared") {
		t.Errorf("a service with its own load balancer, and a manifest that says nothing:\n%s", r.stdout)
	}
	writeFile(t, filepath.Join(users, "berth.yml"), mustRead(t, filepath.Join(users, "berth.yml"))+"load_balancer:\n  path: /users\n")
	r = deploy(users, "users back on the environment's load balancer")
	if !strings.Contains(r.stdout, "load balancer: the service moves from its own load balancer to the environment's") || !strings.Contains(r.stdout, "- LoadBalancer") {
		t.Errorf("the move back:\n%s", r.stdout)
	}
	if n := loadBalancersOf(t, c, e); n != 1 || len(rulesOf(t, c, e)[80]) != 2 {
		t.Errorf("%d load balancers and rules %v after the move back", n, rulesOf(t, c, e))
	}

	// deleting one leaves the other's rule and the load balancer
	r = berthWith(t, orders, env, "delete", "--env", e, "--yes")
	mustSucceed(t, r, "delete orders")
	if rules := rulesOf(t, c, e)[80]; len(rules) != 1 || !strings.Contains(rules[0], "/users") || !stackExists(t, c, "berth-e2e-shr-ingress") {
		t.Errorf("after deleting orders: rules %v", rules)
	}
	// deleting the last leaves no load balancer
	r = berthWith(t, users, env, "delete", "--env", e, "--yes")
	mustSucceed(t, r, "delete users")
	if !strings.Contains(r.stdout, "removed the environment's load balancer (berth-e2e-shr-ingress)") || !strings.Contains(r.stdout, "nothing berth made for e2e-shr remains") {
		t.Errorf("delete of the last service:\n%s", r.stdout)
	}
	if n := loadBalancersOf(t, c, e); n != 0 || stackExists(t, c, "berth-e2e-shr-ingress") {
		t.Errorf("%d load balancers after the last service", n)
	}
}

// A domain on the environment's load balancer: the HTTPS listener comes with the first
// one (its default certificate the environment's), the service's certificate is added
// to it by SNI, its rule is there and its HTTP twin redirects, and its name points at the
// environment's load balancer. A service that shares the host is served over HTTPS too;
// while it does, the domain's service can neither go nor move. A move with a domain is
// two steps: both load balancers serve while the name moves, then the old one goes.
func TestADomainOnTheSharedLoadBalancer(t *testing.T) {
	env := awsEnv(t)
	c := clients(t, env)
	ctx := context.Background()
	const e = "e2e-shd"
	zone := createZone(t, c, "shop.test", false)
	api := project(t, "name: orders", "name: api\ndomain: api.shop.test\nload_balancer:\n  path: /v1")
	r := berthWith(t, api, env, "deploy", "--env", e, "--yes")
	mustSucceed(t, r, "deploy api")
	if !strings.Contains(r.stdout, "+ Certificate") || !strings.Contains(r.stdout, "+ HTTPSListener") || !strings.Contains(r.stdout, "+ ListenerCertificate") ||
		!strings.Contains(r.stdout, "deployed api to e2e-shd in ") || !strings.Contains(r.stdout, "https://api.shop.test/v1") {
		t.Errorf("deploy api:\n%s", r.stdout)
	}
	lb := stackResource(t, c, "berth-e2e-shd-ingress", "LoadBalancer")
	https := stackOutput(t, c, "berth-e2e-shd-ingress", "SharedHTTPSListener")
	certs, err := c.ELB.DescribeListenerCertificates(ctx, &elb.DescribeListenerCertificatesInput{ListenerArn: aws.String(https)})
	if err != nil {
		t.Fatal(err)
	}
	own := stackOutput(t, c, "berth-e2e-shd-svc-api", "CertificateArn")
	var sni []string
	for _, cert := range certs.Certificates {
		if !aws.ToBool(cert.IsDefault) {
			sni = append(sni, aws.ToString(cert.CertificateArn))
		}
	}
	if len(certs.Certificates) != 2 || !slices.Equal(sni, []string{own}) {
		t.Errorf("the HTTPS listener's certificates %+v, want its default and api's %s", certs.Certificates, own)
	}
	if got := aliasOf(t, c, zone, "api.shop.test"); !strings.EqualFold(got, lbDNS(t, c, lb)) {
		t.Errorf("api.shop.test points at %q, want the environment's load balancer", got)
	}

	// a service on the domain's host: over HTTPS, with a redirect on HTTP
	cart := project(t, "name: orders", "name: cart\nload_balancer:\n  host: api.shop.test\n  path: /cart")
	r = berthWith(t, cart, env, "deploy", "--env", e, "--yes")
	mustSucceed(t, r, "deploy cart")
	if !strings.Contains(r.stdout, "https://api.shop.test: served over HTTPS on the environment's listener") || !strings.Contains(r.stdout, "deployed cart to e2e-shd in ") {
		t.Errorf("deploy cart:\n%s", r.stdout)
	}
	rules := rulesOf(t, c, e)
	p := priority("api.shop.test", "/cart")
	if !slices.Contains(rules[443], p+" api.shop.test,/cart,/cart/* forward") || !slices.Contains(rules[80], p+" api.shop.test,/cart,/cart/* redirect") {
		t.Errorf("cart's rules: %v", rules)
	}
	// the domain's service cannot go, nor move, while cart answers on its name
	r = berthWith(t, api, env, "delete", "--env", e, "--yes")
	if r.code != 1 || !strings.Contains(r.stderr, "service api serves the domain api.shop.test, on which service(s) cart (api.shop.test/cart) answer over HTTPS") {
		t.Errorf("delete of the domain's service: exit %d\n%s", r.code, r.stderr)
	}
	writeFile(t, filepath.Join(api, "berth.yml"), strings.Replace(mustRead(t, filepath.Join(api, "berth.yml")), "path: /v1", "dedicated: true", 1))
	r = berthWith(t, api, env, "deploy", "--env", e, "--yes")
	if r.code != 1 || !strings.Contains(r.stderr, "it cannot move to a load balancer of its own while they do; nothing was changed") {
		t.Errorf("a move of the domain's service: exit %d\n%s", r.code, r.stderr)
	}
	mustSucceed(t, berthWith(t, cart, env, "delete", "--env", e, "--yes"), "delete cart")

	// the move: first both load balancers, the name to the new one; then the old one goes
	r = berthWith(t, api, env, "deploy", "--env", e, "--yes")
	mustSucceed(t, r, "api to a load balancer of its own")
	if strings.Count(r.stdout, "berth-e2e-shd-svc-api: UPDATE_COMPLETE") != 2 || !strings.Contains(r.stdout, "then: the old load balancer's part goes") ||
		!strings.Contains(r.stdout, "the alias record of api.shop.test moves to the new one once the tasks serve there") ||
		!strings.Contains(r.stdout, "removed the environment's load balancer (berth-e2e-shd-ingress)") {
		t.Errorf("the move with a domain:\n%s", r.stdout)
	}
	ownLB := stackResource(t, c, "berth-e2e-shd-svc-api", "LoadBalancer")
	if got := aliasOf(t, c, zone, "api.shop.test"); !strings.EqualFold(got, lbDNS(t, c, ownLB)) {
		t.Errorf("api.shop.test points at %q after the move, want the service's own load balancer", got)
	}
	mustSucceed(t, berthWith(t, t.TempDir(), env, "delete", "--env", e, "--environment", "--force", "--yes"), "delete the environment")
}

func aliasOf(t *testing.T, c *session.Session, zone, name string) string {
	t.Helper()
	rrs, err := c.Route53.ListResourceRecordSets(context.Background(), &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String(zone)})
	if err != nil {
		t.Fatal(err)
	}
	for _, rr := range rrs.ResourceRecordSets {
		if strings.TrimSuffix(aws.ToString(rr.Name), ".") == name && rr.Type == r53types.RRTypeA && rr.AliasTarget != nil {
			return strings.TrimSuffix(aws.ToString(rr.AliasTarget.DNSName), ".")
		}
	}
	return ""
}

func lbDNS(t *testing.T, c *session.Session, arn string) string {
	t.Helper()
	lbs, err := c.ELB.DescribeLoadBalancers(context.Background(), &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{arn}})
	if err != nil || len(lbs.LoadBalancers) != 1 {
		t.Fatalf("%s: %v", arn, err)
	}
	return aws.ToString(lbs.LoadBalancers[0].DNSName)
}

// A service on a host, deployed before that host became another service's domain, is
// served over HTTP until it is deployed again; then its rule moves to the HTTPS listener
// with a redirect on HTTP, at a new priority: CloudFormation creates the moved rule and
// its redirect before it deletes the old rule, whose priority the HTTP listener holds
// until then (ingress.Place).
func TestARuleMovesToHTTPSWhenItsHostGetsADomain(t *testing.T) {
	env := awsEnv(t)
	c := clients(t, env)
	const e = "e2e-mvh"
	createZone(t, c, "mv.test", false)
	cart := project(t, "name: orders", "name: cart\nload_balancer:\n  host: api.mv.test\n  path: /cart")
	mustSucceed(t, berthWith(t, cart, env, "deploy", "--env", e, "--yes"), "deploy cart")
	p := priority("api.mv.test", "/cart")
	if rules := rulesOf(t, c, e); !slices.Contains(rules[80], p+" api.mv.test,/cart,/cart/* forward") {
		t.Fatalf("cart's rule before the domain: %v", rules)
	}
	api := project(t, "name: orders", "name: api\ndomain: api.mv.test\nload_balancer:\n  path: /v1")
	r := berthWith(t, api, env, "deploy", "--env", e, "--yes")
	mustSucceed(t, r, "deploy api")
	if !strings.Contains(r.stdout, "service cart answers api.mv.test/cart on HTTP only") {
		t.Errorf("deploy api does not say cart is on HTTP only:\n%s", r.stdout)
	}
	r = berthWith(t, cart, env, "deploy", "--env", e, "--yes")
	mustSucceed(t, r, "deploy cart again")
	rules := rulesOf(t, c, e)
	var forward, redirect string
	for _, rule := range rules[443] {
		if strings.HasSuffix(rule, " api.mv.test,/cart,/cart/* forward") {
			forward = strings.Fields(rule)[0]
		}
	}
	for _, rule := range rules[80] {
		if strings.HasSuffix(rule, " api.mv.test,/cart,/cart/* redirect") {
			redirect = strings.Fields(rule)[0]
		}
		if strings.HasSuffix(rule, " forward") && strings.Contains(rule, "/cart") {
			t.Errorf("cart is still forwarded on HTTP: %v", rules[80])
		}
	}
	if forward == "" || forward != redirect || forward == p {
		t.Errorf("cart's rules after the move: HTTPS %v, HTTP %v; want a forward and its redirect at one new priority", rules[443], rules[80])
	}
	mustSucceed(t, berthWith(t, t.TempDir(), env, "delete", "--env", e, "--environment", "--force", "--yes"), "delete the environment")
}
