package ingress

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/berthdev/berth/internal/manifest"
	"github.com/berthdev/berth/internal/routing"
	"github.com/berthdev/berth/internal/synth"
)

// fakeELB answers DescribeRules per listener (two pages for the HTTP one) and
// DescribeTags per target group, as the emulator and AWS do.
type fakeELB struct {
	rules map[string][]elbtypes.Rule
	tags  map[string]string // target group -> berth:service
	calls int
}

func (f *fakeELB) DescribeRules(_ context.Context, in *elb.DescribeRulesInput, _ ...func(*elb.Options)) (*elb.DescribeRulesOutput, error) {
	rules := f.rules[aws.ToString(in.ListenerArn)]
	if in.Marker == nil && len(rules) > 1 {
		return &elb.DescribeRulesOutput{Rules: rules[:1], NextMarker: aws.String("next")}, nil
	}
	if in.Marker != nil {
		rules = rules[1:]
	}
	return &elb.DescribeRulesOutput{Rules: rules}, nil
}

func (f *fakeELB) DescribeTags(_ context.Context, in *elb.DescribeTagsInput, _ ...func(*elb.Options)) (*elb.DescribeTagsOutput, error) {
	f.calls++
	out := &elb.DescribeTagsOutput{}
	for _, arn := range in.ResourceArns {
		d := elbtypes.TagDescription{ResourceArn: aws.String(arn)}
		if s, ok := f.tags[arn]; ok {
			d.Tags = []elbtypes.Tag{{Key: aws.String("berth:service"), Value: aws.String(s)}}
		}
		out.TagDescriptions = append(out.TagDescriptions, d)
	}
	return out, nil
}

func forward(tg string) []elbtypes.Action {
	return []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, ForwardConfig: &elbtypes.ForwardActionConfig{
		TargetGroups: []elbtypes.TargetGroupTuple{{TargetGroupArn: aws.String(tg), Weight: aws.Int32(100)}}}}}
}

// The table is read from the listeners' rules, whichever form their conditions come
// in; default rules and the HTTP twins that redirect are left out, and a rule's
// service is its target group's berth:service tag.
func TestTheRoutingTableIsReadFromTheLiveRules(t *testing.T) {
	f := &fakeELB{rules: map[string][]elbtypes.Rule{
		"http": {
			{Priority: aws.String("30137"), Conditions: []elbtypes.RuleCondition{{Field: aws.String("path-pattern"), Values: []string{"/orders", "/orders/*"}}}, Actions: forward("tg-orders")},
			{Priority: aws.String("50000"), Conditions: []elbtypes.RuleCondition{{Field: aws.String("path-pattern"), PathPatternConfig: &elbtypes.PathPatternConditionConfig{Values: []string{"/*"}}}}, Actions: forward("tg-web")},
			{Priority: aws.String("812"), Conditions: []elbtypes.RuleCondition{{Field: aws.String("host-header"), Values: []string{"api.example.com"}}},
				Actions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumRedirect}}},
			{Priority: aws.String("default"), IsDefault: aws.Bool(true), Actions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumFixedResponse}}},
			{Priority: aws.String("7"), Conditions: []elbtypes.RuleCondition{{Field: aws.String("path-pattern"), Values: []string{"/admin/*"}}}, Actions: forward("tg-foreign")},
		},
		"https": {
			{Priority: aws.String("812"), Conditions: []elbtypes.RuleCondition{
				{Field: aws.String("host-header"), HostHeaderConfig: &elbtypes.HostHeaderConditionConfig{Values: []string{"api.example.com"}}},
				{Field: aws.String("path-pattern"), PathPatternConfig: &elbtypes.PathPatternConditionConfig{Values: []string{"/v1", "/v1/*"}}},
			}, Actions: forward("tg-api")},
		},
	}, tags: map[string]string{"tg-orders": "orders", "tg-web": "web", "tg-api": "api"}}
	table, err := (&Clients{ELB: f}).Table(context.Background(), map[string]string{synth.OutSharedHTTPListener: "http", synth.OutSharedHTTPSListener: "https"})
	if err != nil {
		t.Fatal(err)
	}
	want := routing.Table{
		{Route: routing.Route{Path: "/admin"}, Service: NotBerths, Priority: 7},
		{Route: routing.Route{Host: "api.example.com", Path: "/v1"}, Service: "api", Priority: 812, HTTPS: true},
		{Route: routing.Route{Path: "/orders"}, Service: "orders", Priority: 30137},
		{Route: routing.Route{}, Service: "web", Priority: 50000},
	}
	if len(table) != len(want) {
		t.Fatalf("table %+v", table)
	}
	for i := range want {
		if table[i] != want[i] {
			t.Errorf("entry %d: %+v, want %+v", i, table[i], want[i])
		}
	}
	var b strings.Builder
	table.WriteText(&b, "")
	if !strings.Contains(b.String(), "api.example.com  /v1, /v1/*          api") || !strings.Contains(b.String(), "*                /*                  web") {
		t.Errorf("as text:\n%s", b.String())
	}
}

func parse(t *testing.T, text string) *manifest.Manifest {
	t.Helper()
	m, err := manifest.Parse([]byte(text), filepath.Join(t.TempDir(), "berth.yml"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// A route another service holds, the default a second time, and a domain another
// service has are refused before anything changes, naming both services, at the line
// of the key that says it (exit 2); a free route gets its own priority, or keeps the
// one it has.
func TestPlacingARoute(t *testing.T) {
	table := routing.Table{
		{Route: routing.Route{Path: "/orders"}, Service: "orders", Priority: 30137},
		{Route: routing.Route{}, Service: "web", Priority: 50000},
		{Route: routing.Route{Host: "api.example.com", Path: "/v1"}, Service: "api", Priority: 812, HTTPS: true},
		{Route: routing.Route{Host: "shop.example.com"}, Service: "shop", Priority: 23700},
	}
	domains := func(s string) (string, error) { return map[string]string{"api": "api.example.com"}[s], nil }
	for _, c := range []struct{ manifest, want string }{
		{"name: billing\nload_balancer:\n  path: /orders\n", "berth.yml:3: load_balancer.path: service billing would answer /orders on the load balancer of environment dev, which service orders answers already (rule priority 30137)"},
		{"name: billing\n", "berth.yml:1: name: service billing would be the default of environment dev (no load_balancer.path or host), and service web is already"},
		{"name: billing\ndomain: api.example.com\nload_balancer:\n  path: /billing\n", "berth.yml:2: domain: api.example.com is the domain of service api in environment dev"},
	} {
		_, err := Place("dev", parse(t, c.manifest), table, domains)
		if err == nil || !manifest.IsManifestError(err) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.manifest, err, c.want)
		}
	}
	pl, err := Place("dev", parse(t, "name: orders\nload_balancer:\n  path: /orders\n"), table, domains)
	if err != nil || pl.Priority != 30137 || pl.HTTPS {
		t.Errorf("the same route again: %+v %v", pl, err)
	}
	pl, err = Place("dev", parse(t, "name: users\nload_balancer:\n  host: api.example.com\n  path: /users\n"), table, domains)
	if err != nil || !pl.HTTPS || pl.Priority != (routing.Route{Host: "api.example.com", Path: "/users"}).Preferred() {
		t.Errorf("a host another service serves over HTTPS: %+v %v", pl, err)
	}
	if e, ok := pl.Table.Of("users"); !ok || !e.New || len(pl.Table) != 5 {
		t.Errorf("table %+v", pl.Table)
	}
	pl, err = Place("dev", parse(t, "name: shop2\ndomain: shop.example.com\nload_balancer:\n  path: /cart\n"), table, domains)
	if err != nil || !pl.HTTPS || len(pl.Notes) != 1 || !strings.Contains(pl.Notes[0], "service shop answers shop.example.com/ on HTTP only") {
		t.Errorf("a domain over a host served on HTTP: %+v %v", pl, err)
	}
	// A rule that changes listener (a host served over HTTPS since another service took
	// its domain; a domain given or taken away) changes priority too: CloudFormation
	// creates the new rule and its HTTP twin before it deletes the old one, whose
	// priority the HTTP listener holds until then (PriorityInUse; helper review,
	// 2026-12-04). A rule that stays on its listener keeps its priority.
	moved := append(table, routing.Entry{Route: routing.Route{Host: "api.example.com", Path: "/cart"}, Service: "cart", Priority: 900})
	pl, err = Place("dev", parse(t, "name: cart\nload_balancer:\n  host: api.example.com\n  path: /cart\n"), moved, domains)
	if err != nil || !pl.HTTPS || pl.Priority == 900 || pl.Priority == 0 {
		t.Errorf("a rule moving to the HTTPS listener: %+v %v", pl, err)
	}
	pl, err = Place("dev", parse(t, "name: api\ndomain: api.example.com\nload_balancer:\n  path: /v1\n"), table, domains)
	if err != nil || !pl.HTTPS || pl.Priority != 812 {
		t.Errorf("a rule that stays on the HTTPS listener: %+v %v", pl, err)
	}
	pl, err = Place("dev", parse(t, "name: api\nload_balancer:\n  host: api.example.com\n  path: /v1\n"), table, domains)
	if err != nil || pl.HTTPS || pl.Priority == 812 || pl.Priority == 0 {
		t.Errorf("a rule moving to the HTTP listener, its domain taken away: %+v %v", pl, err)
	}
	// a priority another route holds moves within the route's class
	r := routing.Route{Path: "/users"}
	held := append(table, routing.Entry{Route: routing.Route{Path: "/other"}, Service: "other", Priority: r.Preferred()})
	pl, err = Place("dev", parse(t, "name: users\nload_balancer:\n  path: /users\n"), held, domains)
	if err != nil || pl.Priority == r.Preferred() || pl.Priority == 0 {
		t.Errorf("a held priority: %+v %v", pl, err)
	}
}
