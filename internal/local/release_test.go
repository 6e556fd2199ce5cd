package local

import (
	"testing"
	"time"

	"github.com/berthdev/berth/internal/docker"
	"github.com/berthdev/berth/internal/lb"
	"github.com/berthdev/berth/internal/rollout"
)

// counts is the new revision's counters: n requests so far, bad of them 5xx.
func counts(n, bad uint64) lb.Counts {
	c := lb.Counts{Requests: n, Errors: bad}
	c.Latency.Observe(2*time.Millisecond, n)
	return c
}

func testRelease(spec rollout.Spec, speed float64, t0 time.Time) *release {
	spec.Rule = rollout.Rule{ErrorPercent: 1}
	return newRelease(spec, speed, &deployment{id: 2}, &deployment{id: 1}, t0, lb.Counts{})
}

// A canary at --rollout-speed 60: the plan's minutes are seconds, counted from the
// moment all new replicas are healthy; the old revision goes after the bake.
func TestCanaryReleaseFollowsThePlanScaled(t *testing.T) {
	t0 := time.Now()
	sec := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	x := testRelease(rollout.Spec{Strategy: rollout.Canary, Percent: 10, Interval: 3 * time.Minute, Bake: 3 * time.Minute}, 60, t0)
	steps := []struct {
		at      float64
		ready   bool
		n       uint64
		act     action
		closed  bool
		stage   string
		percent float64
	}{
		{0.5, false, 0, hold, false, stageScaleUp, 0},      // the new replicas start
		{2, true, 0, shift, false, stageShift, 10},         // all healthy: 10 % at once
		{3, true, 30, hold, true, stageShift, 10},          // a window of one "minute"
		{4, true, 60, hold, true, stageShift, 10},          // another
		{5, true, 90, shift, true, stageBake, 100},         // 3 "minutes" after ready: all traffic, the bake begins
		{7.9, true, 300, hold, true, stageBake, 100},       // bake
		{8, true, 400, finish, false, stageCompleted, 100}, // 3 "minutes" of bake
	}
	for _, s := range steps {
		act, closed := x.tick(sec(s.at), s.ready, counts(s.n, 0))
		if act != s.act || closed != s.closed || x.stage != s.stage || x.percent != s.percent {
			t.Errorf("at %gs: action %d closed %v stage %s %g %%; want %d %v %s %g %%", s.at, act, closed, x.stage, x.percent, s.act, s.closed, s.stage, s.percent)
		}
	}
}

// A new revision that answers 5xx to more than the rule allows, in 2 of 3 windows of its
// own requests, is rolled back during the canary, with the numbers.
func TestBadCanaryRollsBackInTheSecondWindow(t *testing.T) {
	t0 := time.Now()
	x := testRelease(rollout.Spec{Strategy: rollout.Canary, Percent: 5, Interval: 3 * time.Minute, Bake: 3 * time.Minute}, 60, t0)
	x.tick(t0, true, counts(0, 0))
	if act, _ := x.tick(t0.Add(time.Second), true, counts(40, 20)); act != hold {
		t.Fatalf("one bad window rolled back: %d", act)
	}
	act, closed := x.tick(t0.Add(2*time.Second), true, counts(80, 41))
	if act != rollBack || !closed || x.stage != stageRolledBack {
		t.Fatalf("second bad window: action %d closed %v stage %s", act, closed, x.stage)
	}
	if got, want := x.verdict.String(), "5xx 51.3 % of 80 requests > 1 % in 2 of 3 windows"; got != want {
		t.Errorf("verdict %q, want %q", got, want)
	}
}

// Blue-green moves all traffic once the new replicas are healthy, and the rule still
// watches the bake: a bad window pair moves it back.
func TestBlueGreenMovesAllAtOnceAndBackOnTheRule(t *testing.T) {
	t0 := time.Now()
	x := testRelease(rollout.Spec{Strategy: rollout.BlueGreen, Bake: 3 * time.Minute}, 10, t0)
	if act, _ := x.tick(t0, true, counts(0, 0)); act != shift || x.percent != 100 || x.stage != stageBake {
		t.Fatalf("at ready: %d %g %% %s", act, x.percent, x.stage)
	}
	if left := x.bakeLeft(t0.Add(6 * time.Second)); left != 12*time.Second {
		t.Errorf("bake left %s, want 12s (3m at 10x, 6s in)", left)
	}
	x.tick(t0.Add(6*time.Second), true, counts(100, 50))
	if act, _ := x.tick(t0.Add(12*time.Second), true, counts(200, 100)); act != rollBack {
		t.Errorf("two bad windows in the bake: action %d", act)
	}
}

// A rolling update is watched from its start (the new replicas take requests as each
// gets healthy), and for the rule's three windows after the old ones are gone.
func TestRollingReleaseIsWatchedFromTheStartAndAfter(t *testing.T) {
	t0 := time.Now()
	x := testRelease(rollout.Spec{Strategy: rollout.Rolling}, 60, t0)
	if act, closed := x.tick(t0.Add(time.Second), false, counts(10, 0)); act != hold || !closed {
		t.Fatalf("rolling, first window: %d %v", act, closed)
	}
	x.tick(t0.Add(1500*time.Millisecond), true, counts(20, 0)) // the old replicas are gone
	if x.stage != stageBake {
		t.Fatalf("stage %s", x.stage)
	}
	if act, _ := x.tick(t0.Add(4400*time.Millisecond), true, counts(80, 0)); act == finish {
		t.Error("finished before three windows")
	}
	if act, _ := x.tick(t0.Add(4500*time.Millisecond), true, counts(90, 0)); act != finish {
		t.Errorf("not finished three windows after: %d", act)
	}

	bad := testRelease(rollout.Spec{Strategy: rollout.Rolling}, 60, t0)
	bad.tick(t0.Add(time.Second), false, counts(10, 5))
	if act, _ := bad.tick(t0.Add(2*time.Second), false, counts(20, 10)); act != rollBack {
		t.Errorf("a bad rolling update during its replacement: %d", act)
	}
}

// The scheduler wakes for the release's next window, step or bake end.
func TestReleaseWakesForWhatIsDue(t *testing.T) {
	t0 := time.Now()
	x := testRelease(rollout.Spec{Strategy: rollout.Linear, Percent: 25, Interval: time.Minute, Bake: time.Minute}, 60, t0)
	if !x.wake().IsZero() {
		t.Error("a release waiting for its replicas has nothing due")
	}
	x.tick(t0, true, counts(0, 0))
	if got := x.wake().Sub(t0); got != time.Second {
		t.Errorf("next wake %s after ready, want 1s (a window and a step)", got)
	}
	if x.percent != 25 {
		t.Errorf("first linear step %g %%", x.percent)
	}
}

// Status says each revision's share: the split's, spread over each side's healthy
// replicas; without a split, an equal part per healthy replica.
func TestServingShares(t *testing.T) {
	one, two := &deployment{id: 1, img: docker.Image{Revision: "aaa"}}, &deployment{id: 2, img: docker.Image{Revision: "bbb"}}
	reps := []*replica{{name: "a", dep: one}, {name: "b", dep: one}, {name: "c", dep: two}, {name: "d", dep: two}}
	sick := map[string]bool{"d": true}
	healthy := func(r *replica) bool { return !sick[r.name] }
	got := serving(reps, healthy, lb.Split{Group: "2", Percent: 5})
	if len(got) != 2 || got[0].Percent != 95 || got[1].Percent != 5 || got[1].Revision != "bbb" {
		t.Errorf("canary 5 %%: %+v", got)
	}
	got = serving(reps, healthy, lb.Split{})
	if len(got) != 2 || got[0].Percent != 66.7 || got[1].Percent != 33.3 {
		t.Errorf("no split: %+v", got)
	}
	if got = serving(reps, healthy, lb.Split{Group: "2", Percent: 0}); len(got) != 1 || got[0].Deployment != 1 {
		t.Errorf("0 %%: %+v", got)
	}
}
