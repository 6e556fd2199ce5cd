package synth

import (
	"fmt"
	"testing"
)

// Scaling on requests per task follows the traffic: a rolling update keeps it in the
// group that serves, whose predefined ALBRequestCountPerTarget is the measure; a
// canary, linear or blue/green deployment moves it to the other group without a stack
// update, so there the policy is metric math, the busier of the two groups'
// requests per target, and never tracks a group left without requests (helper review,
// 2026-12-04). The emulator drops scaling policies (../shared/MOTO.md), so the
// template is where this is held.
func TestRequestScalingFollowsTheTrafficShift_EmulatorDropsScalingPolicies(t *testing.T) {
	for _, tc := range []struct{ manifest, want string }{
		{"name: a\ncount: {min: 2, max: 6, requests: 500}\n", "predefined"},
		{"name: a\ncount: {min: 2, max: 6, requests: 500}\ndeployment: {strategy: canary}\n", "math"},
		{"name: a\ncount: {min: 2, max: 6, requests: 500}\ndeployment: {strategy: linear}\n", "math"},
		{"name: a\ncount: {min: 2, max: 6, requests: 500}\ndeployment: {strategy: blue-green}\n", "math"},
	} {
		cfg := serviceDoc(t, parse(t, tc.manifest)).Resources["RequestsScalingPolicy"].Properties["TargetTrackingScalingPolicyConfiguration"].(map[string]any)
		if tc.want == "predefined" {
			if p, ok := cfg["PredefinedMetricSpecification"].(map[string]any); !ok || p["PredefinedMetricType"] != "ALBRequestCountPerTarget" {
				t.Errorf("%q: %v, want ALBRequestCountPerTarget of the serving group", tc.manifest, cfg)
			}
			continue
		}
		spec, ok := cfg["CustomizedMetricSpecification"].(map[string]any)
		if !ok || cfg["PredefinedMetricSpecification"] != nil {
			t.Fatalf("%q: %v, want metric math", tc.manifest, cfg)
		}
		groups := map[string]bool{}
		result := ""
		for _, q := range spec["Metrics"].([]any) {
			q := q.(map[string]any)
			if e, ok := q["Expression"].(string); ok && q["ReturnData"] == true {
				result = e
			}
			if ms, ok := q["MetricStat"].(map[string]any); ok {
				if _, has := ms["Period"]; has {
					t.Errorf("%q: a TargetTrackingMetricStat takes no Period: %v", tc.manifest, ms)
				}
				metric := ms["Metric"].(map[string]any)
				if metric["MetricName"] == "RequestCountPerTarget" {
					groups[fmt.Sprint(metric["Dimensions"])] = true
				}
			}
		}
		if len(groups) != 2 || result != "MAX([FILL(per_target_a, 0), FILL(per_target_b, 0)])" {
			t.Errorf("%q: requests per target of %d distinct groups, result %q", tc.manifest, len(groups), result)
		}
	}
}
