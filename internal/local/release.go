package local

import (
	"time"

	"github.com/berthdev/berth/internal/lb"
	"github.com/berthdev/berth/internal/rollout"
)

// A release is one rollout as berth up drives it: the manifest's deployment block, the
// same rollout.Spec that synth writes into the ECS service, played against the local
// load balancer. Its clock runs --rollout-speed times faster than the wall's: the
// plan's steps, the bake and the rule's one-minute windows alike, so that the rule sees
// the same number of windows over the same part of the rollout as the CloudWatch alarm
// would. This file is the decision alone, from the time and the load balancer's
// counters of the new revision, so that it is tested without Docker; rollout.go carries
// the decisions out.

// The stages, named as ECS names a service deployment's lifecycle stages
// (ServiceDeployment.lifecycleStage), so that berth up's lines read like berth
// deploy's.
const (
	stageScaleUp    = "SCALE_UP"                 // the new replicas start; no traffic moved yet
	stageShift      = "PRODUCTION_TRAFFIC_SHIFT" // the plan's steps
	stageBake       = "BAKE_TIME"                // all traffic moved, both revisions kept
	stageCompleted  = "COMPLETED"
	stageRolledBack = "ROLLED_BACK"
)

type action int

const (
	hold     action = iota
	shift           // the new revision's share changed (release.percent)
	rollBack        // the rule fired (release.verdict)
	finish          // the bake is over without a rollback
)

type release struct {
	spec  rollout.Spec
	speed float64     // --rollout-speed; 1 is real time
	dep   *deployment // the new revision's
	back  *deployment // the one it replaces: what a rollback returns to

	stage   string
	ready   time.Time // the new replicas all healthy (shifting: the plan's clock starts); rolling: the old ones gone too
	steps   int       // of the plan applied
	percent float64   // the new revision's share now (shifting)
	bake    time.Time // when the bake began; zero before
	w       watch
	verdict rollout.Verdict
}

func newRelease(spec rollout.Spec, speed float64, dep, back *deployment, now time.Time, base lb.Counts) *release {
	x := &release{spec: spec, speed: max(speed, 0), dep: dep, back: back, stage: stageScaleUp}
	if x.speed == 0 {
		x.speed = 1
	}
	x.w.every = x.scale(rollout.Window)
	if !x.shifts() {
		// a rolling update sends the new replicas requests as soon as each is healthy:
		// the rule watches them from the start
		x.w.start(now, base)
	}
	return x
}

func (x *release) shifts() bool { return x.spec.Strategy.ShiftsTraffic() }

// scale is a span of the rollout's time on the wall's clock.
func (x *release) scale(d time.Duration) time.Duration {
	return time.Duration(float64(d) / x.speed)
}

// bakeTime is how long both revisions stay after all traffic moved. A rolling update
// has no bake of the manifest's: ECS "continues to monitor the alarm" for a bake it
// "computes ... based on the alarm configuration" ("How CloudWatch alarms detect Amazon
// ECS deployment failures"); berth up watches for the rule's own span, its Windows
// windows, after the old replicas are gone.
func (x *release) bakeTime() time.Duration {
	if x.shifts() {
		return x.scale(x.spec.Bake)
	}
	return rollout.Windows * x.w.every
}

// tick advances the release to now. ready says whether the new revision's replicas
// are all healthy (for a rolling update: and the old ones gone); counts are the new
// revision's requests since the load balancer started. closed says a window of the
// rule closed (a progress line is due).
func (x *release) tick(now time.Time, ready bool, counts lb.Counts) (act action, closed bool) {
	if x.ready.IsZero() && ready {
		x.ready = now
		if x.shifts() {
			x.stage = stageShift
			x.w.start(now, counts) // from the first request the new revision gets
		} else {
			x.stage, x.bake = stageBake, now
		}
	}
	if x.w.observe(now, counts) {
		closed = true
		if v := x.spec.Rule.Judge(x.w.windows); v.Fired {
			x.verdict, x.stage = v, stageRolledBack
			return rollBack, true
		}
	}
	if x.ready.IsZero() {
		return hold, closed
	}
	if x.shifts() {
		plan := x.spec.Plan()
		for x.steps < len(plan) && !now.Before(x.ready.Add(x.scale(plan[x.steps].At))) {
			x.percent = plan[x.steps].Percent
			x.steps++
			act = shift
		}
		if x.percent >= 100 && x.bake.IsZero() {
			x.stage, x.bake = stageBake, now
		}
	}
	if !x.bake.IsZero() && !now.Before(x.bake.Add(x.bakeTime())) {
		x.stage = stageCompleted
		return finish, closed
	}
	return act, closed
}

// bakeLeft is what is left of the bake; 0 outside it.
func (x *release) bakeLeft(now time.Time) time.Duration {
	if x.bake.IsZero() || x.stage != stageBake {
		return 0
	}
	return max(0, x.bake.Add(x.bakeTime()).Sub(now))
}

// wake is when the release next has something to do: a window closes, a step is due,
// the bake ends. Zero when it waits for the replicas.
func (x *release) wake() time.Time {
	var next []time.Time
	if x.w.on {
		next = append(next, x.w.from.Add(x.w.every))
	}
	if !x.ready.IsZero() && x.shifts() {
		if plan := x.spec.Plan(); x.steps < len(plan) {
			next = append(next, x.ready.Add(x.scale(plan[x.steps].At)))
		}
	}
	if !x.bake.IsZero() {
		next = append(next, x.bake.Add(x.bakeTime()))
	}
	var first time.Time
	for _, t := range next {
		if first.IsZero() || t.Before(first) {
			first = t
		}
	}
	return first
}

// watch cuts the new revision's requests into the rule's windows.
type watch struct {
	every   time.Duration
	on      bool
	from    time.Time // the window open now began
	base    lb.Counts // the counters then
	windows []rollout.Stats
}

func (w *watch) start(now time.Time, c lb.Counts) {
	w.on, w.from, w.base = true, now, c
}

// observe closes the window open once it has lasted its span (a late look makes it
// longer, never two windows of one), and reports whether it did.
func (w *watch) observe(now time.Time, c lb.Counts) bool {
	if !w.on || now.Sub(w.from) < w.every {
		return false
	}
	d := c.Since(w.base)
	w.windows = append(w.windows, rollout.Stats{Requests: int(d.Requests), Errors: int(d.Errors), P99: d.Latency.Quantile(0.99)})
	if len(w.windows) > rollout.Windows {
		w.windows = w.windows[len(w.windows)-rollout.Windows:]
	}
	w.from, w.base = now, c
	return true
}

// last is the window closed last.
func (w *watch) last() (rollout.Stats, bool) {
	if len(w.windows) == 0 {
		return rollout.Stats{}, false
	}
	return w.windows[len(w.windows)-1], true
}
