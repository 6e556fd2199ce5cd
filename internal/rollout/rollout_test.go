package rollout

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

const m = time.Minute

func TestPlanAndMinDuration(t *testing.T) {
	for _, tc := range []struct {
		spec  Spec
		steps []Step
		min   time.Duration
		text  string
	}{
		{Default(), []Step{{0, 100}}, 0, "rolling: tasks replaced a few at a time"},
		{Spec{Strategy: Canary, Percent: 5, Interval: 3 * m, Bake: 3 * m}, []Step{{0, 5}, {3 * m, 100}}, 6 * m,
			"canary 5 % for 3m, then 100 %, bake 3m: ≥ 6m"},
		{Spec{Strategy: Canary, Percent: 100, Interval: 3 * m, Bake: 2 * m}, []Step{{0, 100}}, 2 * m, "canary 100 %, bake 2m: ≥ 2m"},
		// CloudFormation's count: 100/20 - 1 = 4 steps before the last, 4m of step bakes
		{Spec{Strategy: Linear, Percent: 20, Interval: m, Bake: 3 * m},
			[]Step{{0, 20}, {m, 40}, {2 * m, 60}, {3 * m, 80}, {4 * m, 100}}, 7 * m,
			"linear 20 % more every 1m (5 steps), then 100 %, bake 3m: ≥ 7m"},
		// a step that does not divide 100: floor(100/30) = 3 steps, then 100
		{Spec{Strategy: Linear, Percent: 30, Interval: 2 * m, Bake: 0}, []Step{{0, 30}, {2 * m, 60}, {4 * m, 90}, {6 * m, 100}}, 6 * m, ""},
		{Spec{Strategy: BlueGreen, Bake: 10 * m}, []Step{{0, 100}}, 10 * m,
			"blue-green: all traffic at once, bake 10m with both revisions running: ≥ 10m"},
		{Spec{Strategy: Canary, Percent: 10, Interval: 90 * m, Bake: 30 * m}, []Step{{0, 10}, {90 * m, 100}}, 120 * m,
			"canary 10 % for 1h30m, then 100 %, bake 30m: ≥ 2h"},
	} {
		if got := tc.spec.Plan(); !reflect.DeepEqual(got, tc.steps) {
			t.Errorf("%+v: plan %v, want %v", tc.spec, got, tc.steps)
		}
		if got := tc.spec.MinDuration(); got != tc.min {
			t.Errorf("%+v: min %s, want %s", tc.spec, got, tc.min)
		}
		if got := tc.spec.String(); tc.text != "" && got != tc.text {
			t.Errorf("%+v: %q, want %q", tc.spec, got, tc.text)
		}
	}
}

func TestValidate(t *testing.T) {
	ok := Rule{ErrorPercent: 1}
	for _, tc := range []struct {
		spec Spec
		key  string // "" when valid
	}{
		{Default(), ""},
		{Spec{Strategy: Canary, Percent: 0.1, Interval: 0, Bake: 0, Rule: ok}, ""},
		{Spec{Strategy: Canary, Percent: 0.05, Interval: m, Rule: ok}, "canary.percent"},
		{Spec{Strategy: Canary, Percent: 5.55, Interval: m, Rule: ok}, "canary.percent"},
		{Spec{Strategy: Canary, Percent: 5, Interval: 90 * time.Second, Rule: ok}, "canary.bake"},
		{Spec{Strategy: Canary, Percent: 5, Interval: 25 * time.Hour, Rule: ok}, "canary.bake"},
		{Spec{Strategy: Linear, Percent: 2, Interval: m, Rule: ok}, "linear.percent"},
		{Spec{Strategy: Linear, Percent: 3, Interval: m, Rule: ok}, ""},
		// 33 steps of 24h: more than CloudFormation waits
		{Spec{Strategy: Linear, Percent: 3, Interval: 24 * time.Hour, Rule: ok}, "linear.interval"},
		{Spec{Strategy: BlueGreen, Bake: 1441 * m, Rule: ok}, "bake"},
		{Spec{Strategy: "gradual", Rule: ok}, "strategy"},
		{Spec{Strategy: Rolling, Rule: Rule{ErrorPercent: 0}}, "rollback_on.errors"},
		{Spec{Strategy: Rolling, Rule: Rule{ErrorPercent: 101}}, "rollback_on.errors"},
		{Spec{Strategy: Rolling, Rule: Rule{ErrorPercent: 1, LatencyP99: time.Microsecond}}, "rollback_on.latency_p99"},
	} {
		err := tc.spec.Validate()
		switch {
		case tc.key == "" && err != nil:
			t.Errorf("%+v: %v", tc.spec, err)
		case tc.key != "" && err == nil:
			t.Errorf("%+v: valid, want a problem with %s", tc.spec, tc.key)
		case tc.key != "" && err.(*Problem).Key != tc.key:
			t.Errorf("%+v: %v, want a problem with %s", tc.spec, err, tc.key)
		}
	}
}

func TestBad(t *testing.T) {
	r := Rule{ErrorPercent: 1, LatencyP99: 2 * time.Second}
	w := func(req, errs int, p99 time.Duration) Stats { return Stats{Requests: req, Errors: errs, P99: p99} }
	for _, tc := range []struct {
		name    string
		windows []Stats
		fired   bool
		why     string
	}{
		{"quiet", nil, false, ""},
		{"one bad minute is not enough", []Stats{w(100, 0, 0), w(100, 5, 0), w(100, 0, 0)}, false, ""},
		{"two of three", []Stats{w(100, 2, 0), w(100, 0, 0), w(200, 9, 0)}, true,
			"5xx share above 1 % in 2 of the last 3 minutes (2 %, 0 %, 4.5 %)"},
		{"exactly the threshold does not breach", []Stats{w(100, 1, 0), w(100, 1, 0)}, false, ""},
		{"only the last three windows count", []Stats{w(10, 10, 0), w(10, 10, 0), w(10, 0, 0), w(10, 0, 0), w(10, 5, 0)}, false, ""},
		{"no requests is missing data, not breaching", []Stats{w(0, 0, 0), w(0, 0, 0), w(0, 0, 0)}, false, ""},
		{"slow", []Stats{w(50, 0, 3*time.Second), w(50, 0, 2500*time.Millisecond), w(50, 0, time.Second)}, true,
			"p99 latency above 2s in 2 of the last 3 minutes (3s, 2.5s, 1s)"},
	} {
		fired, why := r.Bad(tc.windows)
		if fired != tc.fired || why != tc.why {
			t.Errorf("%s: %v %q, want %v %q", tc.name, fired, why, tc.fired, tc.why)
		}
	}
	if fired, _ := (Rule{ErrorPercent: 1}).Bad([]Stats{w(10, 0, time.Hour), w(10, 0, time.Hour)}); fired {
		t.Error("latency fired with no latency rule")
	}
}

// The verdict's numbers are those of the windows that breached: what berth up prints
// when it rolls back.
func TestJudgeSaysTheNumbers(t *testing.T) {
	r := Rule{ErrorPercent: 1, LatencyP99: 2 * time.Second}
	w := func(req, errs int, p99 time.Duration) Stats { return Stats{Requests: req, Errors: errs, P99: p99} }
	for _, tc := range []struct {
		windows []Stats
		want    string
	}{
		{[]Stats{w(200, 30, 0), w(1000, 0, 0), w(212, 20, 0)}, "5xx 12.1 % of 412 requests > 1 % in 2 of 3 windows"},
		{[]Stats{w(50, 0, 3*time.Second), w(50, 0, 2500*time.Millisecond)}, "p99 3s > 2s in 2 of 3 windows"},
		{[]Stats{w(50, 50, 3*time.Second), w(50, 50, 3*time.Second)}, "5xx 100 % of 100 requests > 1 % in 2 of 3 windows"},
	} {
		v := r.Judge(tc.windows)
		if !v.Fired || v.String() != tc.want {
			t.Errorf("%v: %v %q, want %q", tc.windows, v.Fired, v, tc.want)
		}
	}
	if v := r.Judge([]Stats{w(100, 5, 0), w(100, 0, 0)}); v.Fired || v.Breaching != 1 {
		t.Errorf("one breaching window: %+v", v)
	}
}

func TestParse(t *testing.T) {
	for in, want := range map[string]float64{"5": 5, "0.5": 0.5, "1%": 1, " 2.5 % ": 2.5} {
		if got, err := ParsePercent(in); err != nil || got != want {
			t.Errorf("ParsePercent(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "five", "%", "NaN"} {
		if _, err := ParsePercent(in); err == nil {
			t.Errorf("ParsePercent(%q) accepted", in)
		}
	}
	for in, want := range map[string]time.Duration{"3m": 3 * m, "0": 0, "1h30m": 90 * m, "500ms": 500 * time.Millisecond} {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"3", "-1m", "soon"} {
		if _, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) accepted", in)
		}
	}
	for d, want := range map[time.Duration]string{0: "0", 3 * m: "3m", 90 * time.Second: "1m30s", 2 * time.Hour: "2h", 61 * m: "1h1m", 45 * time.Second: "45s"} {
		if got := Minutes(d); got != want {
			t.Errorf("Minutes(%s) = %q, want %q", d, got, want)
		}
	}
	if _, err := ParseStrategy("blue_green"); err == nil || !strings.Contains(err.Error(), "blue-green") {
		t.Errorf("ParseStrategy: %v", err)
	}
	if s, err := ParseStrategy("blue-green"); err != nil || s.ECS() != "BLUE_GREEN" || !s.ShiftsTraffic() {
		t.Errorf("ParseStrategy(blue-green) = %v %v", s, err)
	}
}
