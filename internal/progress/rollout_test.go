package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/deploy"
	"github.com/berthdev/berth/internal/rollout"
	"github.com/berthdev/berth/internal/style"
	"github.com/berthdev/berth/internal/traffic"
)

// The plan says the strategy and how long the rollout takes at the least.
func TestPlanSaysTheRollout(t *testing.T) {
	spec := rollout.Spec{Strategy: rollout.Canary, Percent: 5, Interval: 3 * time.Minute, Bake: 3 * time.Minute, Rule: rollout.Rule{ErrorPercent: 1}}
	var b bytes.Buffer
	WritePlan(&b, &deploy.Plan{Rollout: spec.String(), Rollback: spec.Rule.String()}, style.Style{})
	want := "  rollout: canary 5 % for 3m, then 100 %, bake 3m: ≥ 6m; rolled back on 5xx > 1 % in 2 of 3 one-minute windows\n"
	if !strings.Contains(b.String(), want) || strings.Contains(b.String(), "warning") {
		t.Errorf("plan:\n%s\nwant %q", b.String(), want)
	}
	// a bake shorter than the rule's windows: the alarms cannot roll back once it is
	// over and the old revision gone (helper review, 2026-12-04)
	spec.Strategy, spec.Bake = rollout.BlueGreen, 0
	b.Reset()
	WritePlan(&b, &deploy.Plan{Rollout: spec.String(), Rollback: spec.Rule.String(), ShortBake: spec.ShortBake()}, style.Style{})
	if want := "  warning: bake 0 is shorter than the 3m the rule needs to judge a release"; !strings.Contains(b.String(), want) {
		t.Errorf("plan with no bake:\n%s\nwant %q", b.String(), want)
	}
	for _, s := range []rollout.Spec{{Strategy: rollout.Rolling}, {Strategy: rollout.Canary, Bake: 3 * time.Minute}} {
		if w := s.ShortBake(); w != "" {
			t.Errorf("%s: %q", s.Strategy, w)
		}
	}
}

// The live view: traffic share per revision, bake left, alarm states, one line a change.
func TestRolloutLines(t *testing.T) {
	v := &traffic.View{Status: "IN_PROGRESS", Stage: "PRODUCTION_TRAFFIC_SHIFT", Revisions: []traffic.Revision{
		{New: true, Share: 5, Running: 1, Desired: 1}, {Share: 95, Running: 3, Desired: 3}},
		Alarms: []traffic.Alarm{{Name: "berth-dev-orders-errors", State: "OK"}, {Name: "berth-dev-orders-latency", State: "INSUFFICIENT_DATA"}}}
	want := "rollout PRODUCTION_TRAFFIC_SHIFT: new 5 % (1/1 tasks), old 95 % (3/3 tasks); alarms: errors OK, latency INSUFFICIENT_DATA"
	if got := RolloutLine(v); got != want {
		t.Errorf("%q\nwant %q", got, want)
	}
	bake := &traffic.View{Status: "IN_PROGRESS", Stage: "BAKE_TIME", BakeLeft: 90 * time.Second,
		Revisions: []traffic.Revision{{New: true, Share: 100, Running: 3, Desired: 3}, {Share: 0, Running: 3, Desired: 3}}}
	if got := RolloutLine(bake); got != "rollout BAKE_TIME: new 100 % (3/3 tasks), old 0 % (3/3 tasks); bake 1m30s left" {
		t.Errorf("%q", got)
	}
	var out bytes.Buffer
	p := New(&out, "text", false, style.Style{})
	p.Rollout(v)
	p.Rollout(v)
	p.Rollout(bake)
	if n := strings.Count(out.String(), "rollout "); n != 2 {
		t.Errorf("%d lines for two looks that changed once:\n%s", n, out.String())
	}
}
