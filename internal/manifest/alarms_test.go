package manifest

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// The alarms key: its defaults, each alarm off one by one, and how its thresholds and
// the rollout's are one (error, latency).
func TestAlarmsForms(t *testing.T) {
	defaults := Alarms{On: true, Errors: 1, LatencyP99: 2 * time.Second, UnhealthyTargets: true, RunningTasks: true, CPU: 80, Memory: 80}
	with := func(f func(*Alarms)) Alarms { a := defaults; f(&a); return a }
	for _, tc := range []struct {
		src      string
		want     Alarms
		errors   float64       // deployment.rollback_on.errors after defaults
		rollback time.Duration // deployment.rollback_on.latency_p99
		latency  time.Duration // LatencyAlarm()
	}{
		// without the key: the rollout's alarms only
		{"name: a\n", Alarms{}, 1, 0, 0},
		{"alarms: {}\n", defaults, 1, 0, 2 * time.Second},
		// the example
		{"alarms:\n  notify: [ops@example.com, https://hooks.example.com/berth]\n  errors: 1%\n  latency_p99: 2s\n",
			with(func(a *Alarms) {
				a.Notify = Notify{Emails: []string{"ops@example.com"}, HTTPS: []string{"https://hooks.example.com/berth"}}
			}), 1, 0, 2 * time.Second},
		{"alarms:\n  notify: arn:aws:sns:eu-west-1:111122223333:pager\n",
			with(func(a *Alarms) { a.Notify = Notify{Topics: []string{"arn:aws:sns:eu-west-1:111122223333:pager"}} }), 1, 0, 2 * time.Second},
		{"alarms:\n  notify: []\n", defaults, 1, 0, 2 * time.Second},
		// each alarm off, in both spellings
		{"alarms:\n  errors: off\n  latency_p99: off\n  unhealthy_targets: off\n  running_tasks: false\n  cpu: false\n  memory: off\n",
			Alarms{On: true}, 1, 0, 0},
		{"alarms:\n  unhealthy_targets: on\n  running_tasks: true\n  cpu: 90\n  memory: 95%\n",
			with(func(a *Alarms) { a.CPU, a.Memory = 90, 95 }), 1, 0, 2 * time.Second},
		// one threshold, two names: the one given is both
		{"alarms:\n  errors: 2%\n", with(func(a *Alarms) { a.Errors = 2 }), 2, 0, 2 * time.Second},
		{"deployment:\n  rollback_on: {errors: 5}\nalarms: {}\n", with(func(a *Alarms) { a.Errors = 5 }), 5, 0, 2 * time.Second},
		{"deployment:\n  rollback_on: {errors: 5}\nalarms: {errors: 5%}\n", with(func(a *Alarms) { a.Errors = 5 }), 5, 0, 2 * time.Second},
		{"deployment:\n  rollback_on: {latency_p99: 1s}\nalarms: {}\n", with(func(a *Alarms) { a.LatencyP99 = time.Second }), 1, time.Second, time.Second},
		{"deployment:\n  rollback_on: {latency_p99: 1s}\nalarms: {latency_p99: 1000ms}\n", with(func(a *Alarms) { a.LatencyP99 = time.Second }), 1, time.Second, time.Second},
		// alarms.latency_p99 does not make latency a rollback rule: the alarm only notifies
		{"alarms: {latency_p99: 3s}\n", with(func(a *Alarms) { a.LatencyP99 = 3 * time.Second }), 1, 0, 3 * time.Second},
		// off in alarms: no notification; the alarm stays while the rollout needs it
		{"deployment:\n  rollback_on: {errors: 3, latency_p99: 1s}\nalarms: {errors: off, latency_p99: off}\n",
			with(func(a *Alarms) { a.Errors, a.LatencyP99 = 0, 0 }), 3, time.Second, time.Second},
		{"alarms: {errors: off}\n", with(func(a *Alarms) { a.Errors = 0 }), 1, 0, 2 * time.Second},
	} {
		m, err := Parse([]byte(tc.src), "berth.yml")
		if err != nil {
			t.Errorf("%q: %v", tc.src, err)
			continue
		}
		if !reflect.DeepEqual(m.Alarms, tc.want) {
			t.Errorf("%q: %+v, want %+v", tc.src, m.Alarms, tc.want)
		}
		r := m.Deployment.Rollout.Rule
		if r.ErrorPercent != tc.errors || r.LatencyP99 != tc.rollback || m.LatencyAlarm() != tc.latency {
			t.Errorf("%q: rollback_on errors %v latency %v, latency alarm %v; want %v %v %v", tc.src, r.ErrorPercent, r.LatencyP99, m.LatencyAlarm(), tc.errors, tc.rollback, tc.latency)
		}
	}
}

func TestAlarmsErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		// two thresholds for one alarm
		{"deployment:\n  rollback_on:\n    errors: 1%\nalarms:\n  errors: 2%\n",
			`berth.yml:5: alarms.errors: the error alarm (berth-<env>-web-errors) both rolls deployments back and notifies: it has one threshold, and deployment.rollback_on.errors says 1 %; give one of the two keys, or the same value`},
		{"deployment:\n  rollback_on:\n    latency_p99: 1s\nalarms:\n  latency_p99: 2s\n",
			`berth.yml:5: alarms.latency_p99: the latency alarm (berth-<env>-web-latency) both rolls deployments back and notifies: it has one threshold, and deployment.rollback_on.latency_p99 says 1s`},
		// notify: what SNS and CloudWatch take
		{"alarms:\n  notify: [ops@example.com, http://hooks.example.com/x]\n",
			`berth.yml:2: alarms.notify: "http://hooks.example.com/x" is plain HTTP: SNS would deliver the alarms in the clear; give an https:// URL`},
		{"alarms:\n  notify:\n    - ops@example.com\n    - ftp://x.example.com\n", `berth.yml:4: alarms.notify: "ftp://x.example.com" is not an https:// URL`},
		{"alarms:\n  notify: https://user:pw@hooks.example.com/x\n", `berth.yml:2: alarms.notify: "https://user:pw@hooks.example.com/x" holds a user name or password`},
		{"alarms:\n  notify: https:///x\n", `alarms.notify: "https:///x" has no host`},
		{"alarms:\n  notify: ops@example\n", `berth.yml:2: alarms.notify: "ops@example" is not an email address (name@example.com), an https:// URL or an SNS topic ARN`},
		{"alarms:\n  notify: Ops <ops@example.com>\n", `"Ops <ops@example.com>" is not an email address`},
		{"alarms:\n  notify:\n    - ops@example.com\n    - OPS@example.com\n", `berth.yml:4: alarms.notify: "OPS@example.com" is listed twice`},
		{"alarms:\n  notify: arn:aws:sns:us-east-1:111122223333:alarms.fifo\n", `is not the ARN of a standard SNS topic (arn:aws:sns:REGION:ACCOUNT:NAME; CloudWatch alarms cannot publish to a FIFO topic)`},
		{"alarms:\n  notify: arn:aws:sqs:us-east-1:111122223333:q\n", `is not the ARN of a standard SNS topic`},
		{"alarms:\n  notify: [1]\n", `berth.yml:2: alarms.notify: must be an email address, an https:// URL or an SNS topic ARN, or a list of them, got the number 1`},
		{"alarms:\n  notify:\n", `alarms.notify: must be an email address, an https:// URL or an SNS topic ARN, or a list of them, got nothing`},
		{"alarms:\n  notify: [a@example.com, arn:aws:sns:us-east-1:111122223333:t1, arn:aws:sns:us-east-1:111122223333:t2, arn:aws:sns:us-east-1:111122223333:t3, arn:aws:sns:us-east-1:111122223333:t4, arn:aws:sns:us-east-1:111122223333:t5]\n",
			`alarms.notify: the alarms would publish to 6 topics, more than the 5 actions CloudWatch takes per alarm`},
		{"alarms:\n  notify: [" + strings.Repeat("a@example.com, ", 21) + "]\n", `berth.yml:2: alarms.notify: 21 entries, more than 20 (each is a subscription in the service's stack): notify a mailing list, or an SNS topic of your own`},
		// thresholds
		{"alarms:\n  errors: 0\n", `berth.yml:2: alarms.errors: 0 % is out of range (more than 0, at most 100; off for no alarm)`},
		{"alarms:\n  cpu: 120%\n", `berth.yml:2: alarms.cpu: 120 % is out of range`},
		{"alarms:\n  memory: lots\n", `berth.yml:2: alarms.memory: "lots" is not a percentage (like 5, 0.5 or 1%), or off`},
		{"alarms:\n  latency_p99: 0\n", `berth.yml:2: alarms.latency_p99: 0 is out of range (at least 1ms; off for no alarm)`},
		{"alarms:\n  latency_p99: slow\n", `alarms.latency_p99: "slow" is not a duration (like 3m, 90s, 1h30m, 500ms), or off`},
		{"alarms:\n  running_tasks: sometimes\n", `berth.yml:2: alarms.running_tasks: must be on or off, got "sometimes"`},
		{"alarms:\n  unhealthy: on\n", `alarms.unhealthy: unknown key (allowed: cpu, errors, latency_p99, memory, notify, running_tasks, unhealthy_targets)`},
		{"alarms: [ops@example.com]\n", `berth.yml:1: alarms: alarms must be a mapping of keys, got a list`},
	} {
		_, err := Parse([]byte(tc.src), "berth.yml")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.src, err, tc.want)
		}
	}
}
