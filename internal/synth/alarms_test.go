package synth

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/cfn"
	"github.com/berthdev/berth/internal/manifest"
)

// Issue 26: one alarm per thing watched. The alarm that rolls a deployment back is the
// one that notifies; alarms.latency_p99 alone makes a latency alarm that notifies and
// rolls nothing back; an alarm off in alarms stays while the rollout needs it, silent.
func TestOneAlarmPerThingWatched(t *testing.T) {
	for _, tc := range []struct {
		src        string
		alarms     []string // every alarm of the template, in order
		deployment []string // those that roll a deployment back
		notifying  []string
		actions    int // topics each notifying alarm tells
	}{
		{"name: a\n", []string{ResErrorAlarm}, []string{ResErrorAlarm}, nil, 0},
		{"name: a\nalarms: {}\n", []string{ResErrorAlarm, ResLatencyAlarm, ResUnhealthyAlarm, ResTasksAlarm, ResCPUAlarm, ResMemoryAlarm},
			[]string{ResErrorAlarm}, nil, 0},
		{"name: a\nalarms: {notify: ops@example.com, latency_p99: off, unhealthy_targets: off, running_tasks: off, cpu: off, memory: off}\n",
			[]string{ResErrorAlarm}, []string{ResErrorAlarm}, []string{ResErrorAlarm}, 1},
		{"name: a\ndeployment: {rollback_on: {errors: 2, latency_p99: 1s}}\nalarms:\n  notify: [ops@example.com, 'arn:aws:sns:us-east-1:123456789012:t']\n  errors: 2\n  latency_p99: 1s\n  unhealthy_targets: off\n  running_tasks: off\n  cpu: off\n  memory: off\n",
			[]string{ResErrorAlarm, ResLatencyAlarm}, []string{ResErrorAlarm, ResLatencyAlarm}, []string{ResErrorAlarm, ResLatencyAlarm}, 2},
		{"name: a\ndeployment: {rollback_on: {latency_p99: 1s}}\nalarms: {notify: 'arn:aws:sns:us-east-1:123456789012:t', errors: off, latency_p99: off, memory: off}\n",
			[]string{ResErrorAlarm, ResLatencyAlarm, ResUnhealthyAlarm, ResTasksAlarm, ResCPUAlarm}, []string{ResErrorAlarm, ResLatencyAlarm},
			[]string{ResUnhealthyAlarm, ResTasksAlarm, ResCPUAlarm}, 1},
	} {
		m, err := manifest.Parse([]byte(tc.src), filepath.Join(t.TempDir(), "berth.yml"))
		if err != nil {
			t.Fatal(err)
		}
		tpl := service(m)
		var got, notifying []string
		for _, id := range tpl.Resources.Keys() {
			v, _ := tpl.Resources.Get(id)
			r := v.(cfn.Resource)
			if r.Type != "AWS::CloudWatch::Alarm" {
				continue
			}
			got = append(got, id)
			if a, ok := r.Properties["AlarmActions"].([]any); ok {
				notifying = append(notifying, id)
				if len(a) != tc.actions || !slices.Equal(a, r.Properties["OKActions"].([]any)) {
					t.Errorf("%q: %s AlarmActions %v OKActions %v, want %d topics both", tc.src, id, a, r.Properties["OKActions"], tc.actions)
				}
			}
		}
		var deployment []string
		for _, n := range deploymentConfiguration(m)["Alarms"].(map[string]any)["AlarmNames"].([]any) {
			deployment = append(deployment, string(n.(cfn.Ref)))
		}
		if !slices.Equal(got, tc.alarms) || !slices.Equal(deployment, tc.deployment) || !slices.Equal(notifying, tc.notifying) {
			t.Errorf("%q:\n alarms %v, want %v\n deployment %v, want %v\n notifying %v, want %v", tc.src, got, tc.alarms, deployment, tc.deployment, notifying, tc.notifying)
		}
	}
}

// The error alarm judges each target group on its own requests and takes the worse:
// during a canary the new revision's share is its own, not diluted by the old
// revision's traffic in the other group (a canary of 5 % failing one request in ten
// would be 0.5 % of both groups' requests, under a 1 % threshold; helper review,
// 2026-12-04). With its own load balancer the service's alarm adds the load balancer's
// own 5xx as a third share; on the shared one it cannot tell whose they are.
func TestTheErrorAlarmTakesTheWorseTargetGroup(t *testing.T) {
	for name, want := range map[string]string{"canary": "MAX([shareA, shareB])", "dedicated": "MAX([shareA, shareB, shareLB])"} {
		doc := serviceDoc(t, load(t, name))
		exprs := map[string]string{}
		returned := ""
		for _, q := range doc.Resources[ResErrorAlarm].Properties["Metrics"].([]any) {
			q := q.(map[string]any)
			if e, ok := q["Expression"].(string); ok {
				exprs[q["Id"].(string)] = e
				if q["ReturnData"] == true {
					returned = e
				}
			}
		}
		if returned != want {
			t.Errorf("%s: the alarm returns %q, want %q", name, returned, want)
		}
		for group, other := range map[string]string{"A": "B", "B": "A"} {
			e := exprs["share"+group]
			if !strings.Contains(e, "target5xx"+group) || !strings.Contains(e, "requests"+group) || strings.Contains(e, other+",") || strings.Contains(e, other+")") {
				t.Errorf("%s: share%s is %q: not its own group's 5xx over its own requests", name, group, e)
			}
		}
	}
}
