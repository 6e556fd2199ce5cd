package preflight

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/cfn"
	"github.com/berthdev/berth/internal/manifest"
	"github.com/berthdev/berth/internal/synth"
)

// deployOf is the deploy of manifest text to environment dev, over the stacks rendered
// from deployedText (the parts named in deployed), as the plan gives them.
func deployOf(t *testing.T, text, deployedText string, deployed ...synth.Stack) Deploy {
	t.Helper()
	m := mustManifest(t, text)
	files := mustRender(t, m)
	var before map[string][]byte
	if len(deployed) > 0 {
		before = mustRender(t, mustManifest(t, deployedText))
	}
	d := Deploy{Manifest: m, Env: "dev"}
	for _, s := range synth.Stacks {
		if files[s.File()] == nil {
			continue // no ingress for a load balancer of the service's own
		}
		st := Stack{Name: "berth-dev-" + string(s), Template: mustParse(t, files[s.File()]), Params: map[string]string{synth.ParamEnv: "dev"},
			Tags: map[string]string{"berth:env": "dev"}}
		if s == synth.Service {
			st.Tags["berth:service"] = m.Name
		}
		if s == synth.Ingress && m.HTTPS() {
			// the first domain: the ingress stack's HTTPS listener takes a certificate of it
			st.Params[synth.ParamDefaultDomain] = m.Domain.Name
		}
		for _, k := range deployed {
			if k == s {
				st.Deployed, st.DeployedParams = mustParse(t, before[s.File()]), st.Params
			}
		}
		d.Stacks = append(d.Stacks, st)
	}
	return d
}

func mustManifest(t *testing.T, text string) *manifest.Manifest {
	t.Helper()
	m, err := manifest.Parse([]byte(text), "berth.yml")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func mustRender(t *testing.T, m *manifest.Manifest) map[string][]byte {
	t.Helper()
	files, err := synth.Render(m)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func mustParse(t *testing.T, body []byte) *cfn.Doc {
	t.Helper()
	doc, err := cfn.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

const web = "name: web\n"

// What a deploy consumes is read from the templates berth renders, so that a new
// resource in a template (a second target group, a rule on a shared load balancer) is
// counted without a change here.
func TestConsumesOfCountsWhatTheTemplatesAdd(t *testing.T) {
	all := []synth.Stack{synth.Network, synth.Cluster, synth.Ingress, synth.Service}
	shared := []synth.Stack{synth.Network, synth.Cluster}
	withIngress := []synth.Stack{synth.Network, synth.Cluster, synth.Ingress}
	for _, tc := range []struct {
		name           string
		text, deployed string
		parts          []synth.Stack
		want           Consumes
	}{
		{"a new environment, private placement, a NAT gateway per zone", web, "", nil, Consumes{VPCs: 1, ElasticIPs: 2, LoadBalancers: 1, TargetGroups: 2}},
		{"three zones", web + "network:\n  azs: 3\n", "", nil, Consumes{VPCs: 1, ElasticIPs: 3, LoadBalancers: 1, TargetGroups: 2}},
		{"network.nat: single", web + "network:\n  nat: single\n", "", nil, Consumes{VPCs: 1, ElasticIPs: 1, LoadBalancers: 1, TargetGroups: 2}},
		{"public placement: no NAT gateway", web + "network:\n  placement: public\n", "", nil, Consumes{VPCs: 1, LoadBalancers: 1, TargetGroups: 2}},
		{"a new service in a deployed environment: the environment's load balancer comes with it", web, web, shared, Consumes{LoadBalancers: 1, TargetGroups: 2}},
		{"a new service on the environment's load balancer", web, web, withIngress, Consumes{TargetGroups: 2}},
		{"a new service with a load balancer of its own", web + "load_balancer: {dedicated: true}\n", web, withIngress, Consumes{LoadBalancers: 1, TargetGroups: 2}},
		{"a redeploy", web, web, all, Consumes{}},
		{"network.nat single to per-az over three zones", web + "network:\n  azs: 3\n", web + "network:\n  azs: 3\n  nat: single\n", all, Consumes{ElasticIPs: 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ConsumesOf(deployOf(t, tc.text, tc.deployed, tc.parts...).Stacks)
			if len(got.Rules) > 0 {
				t.Errorf("rules %v", got.Rules)
			}
			got.Rules = nil
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// A service that puts a rule on a load balancer its environment shares consumes no load
// balancer and one rule of that one.
func TestConsumesOfCountsRulesOnASharedLoadBalancer(t *testing.T) {
	body := []byte(`
Parameters:
  Listener: {Type: String}
Resources:
  TargetGroup: {Type: AWS::ElasticLoadBalancingV2::TargetGroup, Properties: {Port: 80, Protocol: HTTP}}
  Rule:
    Type: AWS::ElasticLoadBalancingV2::ListenerRule
    Properties:
      ListenerArn: !Ref Listener
      Priority: 10
      Conditions: [{Field: path-pattern, Values: [/orders/*]}]
      Actions: [{Type: forward, TargetGroupArn: !Ref TargetGroup}]
`)
	got := ConsumesOf([]Stack{{Template: mustParse(t, body), Params: map[string]string{"Listener": listenerOf("shared-dev")}}})
	if got.LoadBalancers != 0 || got.TargetGroups != 1 || got.Rules[listenerOf("shared-dev")] != 1 || len(got.Rules) != 1 {
		t.Errorf("got %+v, want 0 load balancers, 1 target group, 1 rule on the shared listener", got)
	}
}

func TestQuotasRefuseWithTheNumbers(t *testing.T) {
	for _, tc := range []struct {
		name       string
		text       string
		sq         fakeSQ
		ec2        fakeEC2
		elb        fakeELB
		want, hint []string // in the error and its hint; none: no error
		nohint     []string
		notes      []string
	}{
		{name: "4 of the default 5 Elastic IPs in use, and a NAT gateway per zone: refused",
			text: web, ec2: fakeEC2{addresses: 4, vpcs: 1},
			want: []string{"Elastic IPs in us-east-1: 4 of 5 in use, this deploy needs 2 (a NAT gateway per zone): the account's quotas leave no room for this deploy, so nothing was changed"},
			hint: []string{"aws service-quotas request-service-quota-increase --service-code ec2 --quota-code L-0263D0A3 --desired-value 6 --region us-east-1",
				"network.nat: single", "aws ec2 describe-addresses --region us-east-1"}},
		{name: "3 in use: the two fit",
			text: web, ec2: fakeEC2{addresses: 3, vpcs: 1}},
		{name: "an increase applied to the account counts",
			text: web, sq: fakeSQ{applied: map[string]float64{"L-0263D0A3": 10}}, ec2: fakeEC2{addresses: 8, vpcs: 1}},
		{name: "AWS's default from Service Quotas, when none is applied",
			text: web, sq: fakeSQ{defaults: map[string]float64{"L-0263D0A3": 7}}, ec2: fakeEC2{addresses: 6, vpcs: 1},
			want: []string{"Elastic IPs in us-east-1: 6 of 7 in use, this deploy needs 2"}},
		{name: "one NAT gateway: the hint does not offer it",
			text: web + "network:\n  nat: single\n", ec2: fakeEC2{addresses: 5, vpcs: 1},
			want:   []string{"Elastic IPs in us-east-1: 5 of 5 in use, this deploy needs 1 (one NAT gateway)"},
			hint:   []string{"request an increase: aws service-quotas request-service-quota-increase --service-code ec2 --quota-code L-0263D0A3 --desired-value 6"},
			nohint: []string{"network.nat"}},
		{name: "VPCs and Elastic IPs short at once: both said",
			text: web, ec2: fakeEC2{addresses: 5, vpcs: 5},
			want: []string{"VPCs in us-east-1: 5 of 5 in use, this deploy needs 1 (the environment's network); Elastic IPs in us-east-1: 5 of 5 in use"},
			hint: []string{"--service-code vpc --quota-code L-F678F1CE --desired-value 6", "--service-code ec2 --quota-code L-0263D0A3 --desired-value 7"}},
		{name: "only Application Load Balancers count against theirs",
			text: web, sq: fakeSQ{applied: map[string]float64{"L-53DA6B97": 2}}, ec2: fakeEC2{vpcs: 1},
			elb: fakeELB{lbs: []lb{{name: "a", typ: "application"}, {name: "n", typ: "network"}}}},
		{name: "the load balancers of the region are full",
			text: web, sq: fakeSQ{applied: map[string]float64{"L-53DA6B97": 2}}, ec2: fakeEC2{vpcs: 1},
			elb:    fakeELB{lbs: []lb{{name: "a", typ: "application"}, {name: "b", typ: "application"}}},
			want:   []string{"Application Load Balancers in us-east-1: 2 of 2 in use, this deploy needs 1 (the service's load balancer)"},
			hint:   []string{"--service-code elasticloadbalancing --quota-code L-53DA6B97 --desired-value 3"},
			nohint: []string{"network.nat", "Elastic IPs"}},
		{name: "a quota berth may not read is said, and not checked",
			text: web, sq: fakeSQ{denied: true}, ec2: fakeEC2{addresses: 5, vpcs: 5},
			notes: []string{"not checked: the quota EC2-VPC Elastic IPs (L-0263D0A3) could not be read (AccessDeniedException: User: arn:aws:iam::123456789012:user/ci is not authorized"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Clients{SQ: &tc.sq, EC2: &tc.ec2, ELB: &tc.elb, Region: "us-east-1"}
			notes, err := c.checkQuotas(context.Background(), deployOf(t, tc.text, ""))
			if len(tc.want) == 0 && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if len(tc.want) > 0 {
				if err == nil {
					t.Fatalf("not refused; notes %q", notes)
				}
				for _, w := range tc.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q\nwants %q", err, w)
					}
				}
				for _, w := range tc.hint {
					if h := hintOf(t, err); !strings.Contains(h, w) {
						t.Errorf("hint %q\nwants %q", h, w)
					}
				}
				for _, w := range tc.nohint {
					if h := hintOf(t, err); strings.Contains(h, w) {
						t.Errorf("hint %q\nsays %q", h, w)
					}
				}
			}
			for _, w := range tc.notes {
				if !strings.Contains(strings.Join(notes, "\n"), w) {
					t.Errorf("notes %q\nwant %q", notes, w)
				}
			}
			if len(tc.notes) == 0 && len(notes) > 0 {
				t.Errorf("notes %q", notes)
			}
		})
	}
}

// A redeploy adds nothing: no quota is read, no usage counted.
func TestQuotasOfARedeployCostNoCall(t *testing.T) {
	sq, ec2, elb := &fakeSQ{}, &fakeEC2{}, &fakeELB{}
	c := &Clients{SQ: sq, EC2: ec2, ELB: elb, Region: "us-east-1"}
	all := []synth.Stack{synth.Network, synth.Cluster, synth.Ingress, synth.Service}
	if _, err := c.checkQuotas(context.Background(), deployOf(t, web, web, all...)); err != nil {
		t.Fatal(err)
	}
	if len(sq.calls)+len(ec2.calls)+len(elb.calls) > 0 {
		t.Errorf("calls: %v %v %v", sq.calls, ec2.calls, elb.calls)
	}
}

// Rules per load balancer: the rules of every listener of the shared load balancer count,
// its default rules not.
func TestRulesOfASharedLoadBalancerAreCounted(t *testing.T) {
	body := []byte("Parameters:\n  Listener: {Type: String}\nResources:\n  Rule: {Type: AWS::ElasticLoadBalancingV2::ListenerRule, Properties: {ListenerArn: !Ref Listener, Priority: 10}}\n")
	d := Deploy{Stacks: []Stack{{Template: mustParse(t, body), Params: map[string]string{"Listener": listenerOf("shared-dev")}}}}
	for _, tc := range []struct {
		rules int
		want  string
	}{
		{99, ""},
		{100, "listener rules on load balancer " + arnOf("shared-dev") + ": 100 of 100 in use, this deploy needs 1"},
	} {
		c := &Clients{SQ: &fakeSQ{}, ELB: &fakeELB{lbs: []lb{{name: "shared-dev", typ: "application", rules: tc.rules}}}, Region: "us-east-1"}
		_, err := c.checkQuotas(context.Background(), d)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%d rules: %v, want %q", tc.rules, err, tc.want)
		}
	}
}
