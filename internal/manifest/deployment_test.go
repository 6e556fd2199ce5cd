package manifest

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/rollout"
)

func TestRolloutForms(t *testing.T) {
	rule := rollout.Rule{ErrorPercent: 1}
	for _, tc := range []struct {
		src  string
		want rollout.Spec
	}{
		{"name: a\n", rollout.Spec{Strategy: rollout.Rolling, Rule: rule}},
		// the example, and Express Mode's defaults for what it leaves out
		{"deployment:\n  strategy: canary\n", rollout.Spec{Strategy: rollout.Canary, Percent: 5, Interval: 3 * time.Minute, Bake: 3 * time.Minute, Rule: rule}},
		{"deployment:\n  strategy: canary\n  canary: {percent: 5, bake: 3m}\n  bake: 3m\n  rollback_on:\n    errors: 1%\n    latency_p99: 2s\n",
			rollout.Spec{Strategy: rollout.Canary, Percent: 5, Interval: 3 * time.Minute, Bake: 3 * time.Minute,
				Rule: rollout.Rule{ErrorPercent: 1, LatencyP99: 2 * time.Second}}},
		{"deployment:\n  strategy: linear\n  linear: {percent: 20, interval: 1m}\n", rollout.Spec{Strategy: rollout.Linear, Percent: 20, Interval: time.Minute, Bake: 3 * time.Minute, Rule: rule}},
		{"deployment:\n  strategy: linear\n", rollout.Spec{Strategy: rollout.Linear, Percent: 10, Interval: 6 * time.Minute, Bake: 3 * time.Minute, Rule: rule}},
		{"deployment:\n  strategy: blue-green\n  bake: 0\n", rollout.Spec{Strategy: rollout.BlueGreen, Rule: rule}},
		{"deployment:\n  strategy: canary\n  canary: {percent: 0.5}\n  rollback_on: {errors: 0.5}\n",
			rollout.Spec{Strategy: rollout.Canary, Percent: 0.5, Interval: 3 * time.Minute, Bake: 3 * time.Minute, Rule: rollout.Rule{ErrorPercent: 0.5}}},
		{"deployment:\n  rollback_on: {errors: '2 %', latency_p99: 500ms}\n",
			rollout.Spec{Strategy: rollout.Rolling, Rule: rollout.Rule{ErrorPercent: 2, LatencyP99: 500 * time.Millisecond}}},
	} {
		m, err := Parse([]byte(tc.src), "berth.yml")
		if err != nil {
			t.Errorf("%q: %v", tc.src, err)
			continue
		}
		if !reflect.DeepEqual(m.Deployment.Rollout, tc.want) {
			t.Errorf("%q: %+v, want %+v", tc.src, m.Deployment.Rollout, tc.want)
		}
	}
}

func TestRolloutErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"deployment:\n  strategy: gradual\n", `berth.yml:2: deployment.strategy: "gradual" is not a strategy (allowed: rolling, canary, linear, blue-green)`},
		{"deployment:\n  strategy: rolling\n  canary: {percent: 5}\n", `berth.yml:3: deployment.canary: applies only with deployment.strategy: canary (the strategy is rolling)`},
		{"deployment:\n  canary: {percent: 5}\n", `berth.yml:2: deployment.canary: applies only with deployment.strategy: canary`},
		{"deployment:\n  strategy: canary\n  linear: {percent: 5}\n", `berth.yml:3: deployment.linear: applies only with deployment.strategy: linear (the strategy is canary)`},
		{"deployment:\n  bake: 3m\n", `berth.yml:2: deployment.bake: applies only with strategy canary, linear or blue-green`},
		{"deployment:\n  strategy: canary\n  canary:\n    percent: 0.05\n", `berth.yml:4: deployment.canary.percent: 0.05 is not accepted by ECS (0.1-100, in steps of 0.1)`},
		{"deployment:\n  strategy: canary\n  canary:\n    bake: 90s\n", `berth.yml:4: deployment.canary.bake: 1m30s is not accepted by ECS (whole minutes, 0-24h)`},
		{"deployment:\n  strategy: canary\n  canary:\n    bake: soon\n", `berth.yml:4: deployment.canary.bake: "soon" is not a duration`},
		{"deployment:\n  strategy: canary\n  canary:\n    bake: [1]\n", `berth.yml:4: deployment.canary.bake: must be a duration like 3m or 90s, got a list`},
		{"deployment:\n  strategy: canary\n  canary:\n    pct: 5\n", `berth.yml:4: deployment.canary.pct: unknown key (allowed: bake, percent)`},
		{"deployment:\n  strategy: linear\n  linear:\n    percent: 2\n", `berth.yml:4: deployment.linear.percent: 2 is not accepted by ECS (3-100, in steps of 0.1)`},
		{"deployment:\n  strategy: linear\n  linear: {percent: 3, interval: 24h}\n", `berth.yml:3: deployment.linear.interval: the rollout takes at least 792h3m, more than the 33 hours`},
		{"deployment:\n  strategy: blue-green\n  bake: 25h\n", `berth.yml:3: deployment.bake: 25h is not accepted by ECS (whole minutes, 0-24h)`},
		{"deployment:\n  rollback_on:\n    errors: 0\n", `berth.yml:3: deployment.rollback_on.errors: 0 % is out of range (more than 0, at most 100)`},
		{"deployment:\n  rollback_on:\n    errors: many\n", `berth.yml:3: deployment.rollback_on.errors: "many" is not a percentage`},
		{"deployment:\n  rollback_on:\n    errors: true\n", `berth.yml:3: deployment.rollback_on.errors: must be a percentage like 5 or 1%, got the boolean true`},
		{"deployment:\n  rollback_on:\n    latency: 2s\n", `berth.yml:3: deployment.rollback_on.latency: unknown key (allowed: errors, latency_p99)`},
		{"network:\n  placement: public\ndeployment:\n  strategy: blue-green\n", `berth.yml:4: deployment.strategy: blue-green needs tasks with their own network interfaces (awsvpc)`},
	} {
		_, err := Parse([]byte(tc.src), "berth.yml")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.src, err, tc.want)
		}
	}
}
