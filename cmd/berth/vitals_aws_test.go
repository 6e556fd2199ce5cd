package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/ops"
)

// berth status on a deployed service prints its vital signs. The emulator answers
// every GetMetricData query with an empty series (so does CloudWatch for a service
// with no traffic yet): the charts section says "no data yet" for each, and -o json
// carries the seven series, empty. Filled series are drawn from recorded answers a
// level below (internal/ops TestVitalsFromRecordedAnswers, internal/vitals).
func TestStatusShowsTheVitalSignsEmptyOnTheEmulator(t *testing.T) {
	t.Parallel()
	env := awsEnv(t)
	dir := project(t)
	mustSucceed(t, berthWith(t, dir, env, "deploy", "--env", "e2e-vitals", "--yes"), "deploy")

	r := berthWith(t, dir, env, "status", "--env", "e2e-vitals")
	mustSucceed(t, r, "status")
	for _, want := range []string{"\nvital signs, last 1h, a point every minute (", "UTC, CloudWatch)",
		"no data yet: CloudWatch has no datapoint for the service in this window",
		"requests/min   no data yet", "5xx share      no data yet", "latency p50    no data yet", "latency p99    no data yet",
		"cpu            no data yet", "memory         no data yet", "tasks running  no data yet", "alarms: none"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("status lacks %q:\n%s", want, r.stdout)
		}
	}
	r = berthWith(t, dir, env, "status", "--env", "e2e-vitals", "--since", "6h", "-o", "json")
	mustSucceed(t, r, "status -o json")
	var st ops.Status
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || st.Vitals == nil {
		t.Fatalf("status json: %v\n%s", err, r.stdout)
	}
	var got []string // the emulator's metrics are empty: every series, and none has a point
	for _, s := range st.Vitals.Series {
		got = append(got, s.Name)
		if s.Points == nil || len(s.Points) != 0 {
			t.Errorf("series %s: %v, want [] from the emulator", s.Name, s.Points)
		}
	}
	if strings.Join(got, ",") != "requests,errors,latency_p50,latency_p99,cpu,memory,tasks" || !strings.Contains(r.stdout, `"step_seconds": 60`) {
		t.Errorf("series %v:\n%s", got, r.stdout)
	}
	if span := st.Vitals.Until.Sub(st.Vitals.Since).Hours(); span < 5.9 || span > 6.1 {
		t.Errorf("--since 6h read %.1f hours", span)
	}
	if r := berthWith(t, dir, env, "status", "--env", "e2e-vitals", "--since", "yesterday"); r.code != 2 || !strings.Contains(r.stderr, "--since") {
		t.Errorf("a bad --since: exit %d\n%s", r.code, r.stderr)
	}
}
