package preflight

import (
	"context"
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/synth"
)

// Service a-b in environment c and service a in environment b-c name their load
// balancers of their own alike: a-b-c. (The environment's shared load balancer has a
// name CloudFormation makes up, which nothing else holds.)
func TestLoadBalancerNameHeldByAnotherIsRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		lbs  []lb
		want string // in the error; "": none
	}{
		{name: "the name is free"},
		{name: "this service's own, from an earlier deploy that failed",
			lbs: []lb{{name: "a-b-c", typ: "application", tags: map[string]string{"berth:env": "b-c", "berth:service": "a"}}}},
		{name: "this stack's own, by the tag CloudFormation puts on it",
			lbs: []lb{{name: "a-b-c", typ: "application", tags: map[string]string{"aws:cloudformation:stack-name": "berth-b-c-svc-a"}}}},
		{name: "another berth service's",
			lbs:  []lb{{name: "a-b-c", typ: "application", tags: map[string]string{"berth:env": "c", "berth:service": "a-b", "aws:cloudformation:stack-name": "berth-c-svc-a-b"}}},
			want: "the load balancer name a-b-c, which service a in environment b-c needs, is taken by the load balancer of service a-b in environment c: a load balancer's name is unique in an account and region; nothing was changed"},
		{name: "one berth did not make",
			lbs:  []lb{{name: "a-b-c", typ: "application", tags: map[string]string{"aws:cloudformation:stack-name": "legacy-web"}}},
			want: "is taken by a load balancer berth did not make (stack legacy-web)"},
		{name: "one without any tag",
			lbs:  []lb{{name: "a-b-c", typ: "application"}},
			want: "is taken by a load balancer berth did not make:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			elb := &fakeELB{lbs: tc.lbs}
			c := &Clients{ELB: elb}
			const own = "name: a\nload_balancer: {dedicated: true}\n"
			d := deployOf(t, own, own, synth.Network, synth.Cluster)
			for i := range d.Stacks {
				d.Stacks[i].Params[synth.ParamEnv], d.Stacks[i].Tags["berth:env"] = "b-c", "b-c"
			}
			d.Stacks[2].Name = "berth-b-c-svc-a"
			_, err := c.checkNames(context.Background(), d)
			if tc.want == "" && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("got %v\nwant %q", err, tc.want)
			}
			if tc.want != "" && !strings.Contains(hintOf(t, err), "deploy under another service name (name: in berth.yml) or to another environment (--env)") {
				t.Errorf("hint %q", hintOf(t, err))
			}
		})
	}
}

// A deployed service keeps its load balancer and its name: nothing to ask.
func TestDeployedLoadBalancerIsNotLookedUp(t *testing.T) {
	elb := &fakeELB{lbs: []lb{{name: "web-dev", typ: "application"}}}
	c := &Clients{ELB: elb}
	if _, err := c.checkNames(context.Background(), deployOf(t, web, web, synth.Network, synth.Cluster, synth.Service)); err != nil || len(elb.calls) > 0 {
		t.Errorf("err %v, calls %v", err, elb.calls)
	}
}

// The environment's load balancer is made without a name: no name check, nothing to ask.
func TestTheSharedLoadBalancerHasNoNameToCheck(t *testing.T) {
	elb := &fakeELB{lbs: []lb{{name: "web-dev", typ: "application"}}}
	c := &Clients{ELB: elb}
	if _, err := c.checkNames(context.Background(), deployOf(t, web, web, synth.Network, synth.Cluster)); err != nil || len(elb.calls) > 0 {
		t.Errorf("err %v, calls %v", err, elb.calls)
	}
}
