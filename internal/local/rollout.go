package local

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/control"
	"github.com/berthdev/berth/internal/lb"
	"github.com/berthdev/berth/internal/localvitals"
	"github.com/berthdev/berth/internal/rollout"
)

// How berth up carries out a release (release.go decides): canary, linear and
// blue-green start the new revision at its full count beside the old one, with no
// traffic, and move its share on the load balancer by the plan's steps once all its
// replicas are healthy; the old replicas are kept through the bake, ready to take the
// traffic back, and stopped after it. A rolling update replaces replicas under
// max_percent and min_healthy_percent as before. Whatever the strategy, the rule of
// rollback_on watches the new revision's requests only, and a release it finds bad is
// rolled back: the traffic moves back at once and the new replicas stop (a rolling
// update rolls back as it rolled out).

// group is the deployment's group on the load balancer.
func (d *deployment) group() string { return strconv.Itoa(d.id) }

// rollOut makes dep primary and starts its release through the manifest's strategy. A
// rollout in progress is superseded; what a rollback returns to stays the last
// deployment that completed.
func (r *Runner) rollOut(dep *deployment) {
	if r.previous == nil {
		r.previous = r.primary
	}
	r.primary = dep
	r.progress = progressLog{}
	x := newRelease(dep.m.Deployment.Rollout, r.o.RolloutSpeed, dep, r.previous, time.Now(), r.lb.Traffic().Groups[dep.group()])
	r.rel = x
	if x.shifts() {
		// before its first replica is registered: the new revision gets no request
		// until the plan says so
		r.lb.SetSplit(lb.Split{Group: dep.group(), Percent: 0})
	} else {
		r.lb.SetSplit(lb.Split{})
	}
	r.publish(x, "")
}

// describe says the release's plan and rule, and what --rollout-speed makes of them.
func (x *release) describe() string {
	s := fmt.Sprintf("rollout: %s; rolled back on %s", x.spec, x.spec.Rule)
	if x.speed != 1 {
		s += fmt.Sprintf(" (--rollout-speed %s: a minute takes %s)", strconv.FormatFloat(x.speed, 'f', -1, 64), x.scale(time.Minute).Round(time.Millisecond))
	}
	return s
}

// shifting reports whether a release moves traffic between two revisions now.
func (r *Runner) shifting() bool { return r.rel != nil && r.rel.shifts() }

// advance drives the release in progress, once a scheduler pass.
func (r *Runner) advance(desired int) {
	x := r.rel
	if x == nil {
		return
	}
	mine, old := r.split()
	ready := len(mine) >= desired && r.healthyCount(mine) >= desired
	if !x.shifts() {
		ready = ready && len(old) == 0
	}
	now := time.Now()
	act, closed := x.tick(now, ready, r.lb.Traffic().Groups[x.dep.group()])
	switch act {
	case shift:
		r.lb.SetSplit(lb.Split{Group: x.dep.group(), Percent: x.percent})
		r.out.Printf("%s", r.rolloutLine(x, now))
	case rollBack:
		r.rollBackRelease(x)
		return
	case finish:
		r.finishRelease(x)
		return
	default:
		if closed {
			r.out.Printf("%s", r.rolloutLine(x, now))
		}
	}
	r.publish(x, "")
}

// rollBackRelease is the rule firing: the deployment before takes everything back.
func (r *Runner) rollBackRelease(x *release) {
	bad, why := x.dep, "rollback_on fired: "+x.verdict.String()
	r.rel = nil
	r.primary, r.previous = x.back, nil
	r.primary.failures, r.primary.nextStart = 0, time.Time{}
	r.progress = progressLog{rollback: true, why: why}
	if x.shifts() {
		r.lb.SetSplit(lb.Split{Group: bad.group(), Percent: 0})
		r.out.Printf("%s %s; all traffic back to %s at once, the replicas of %s stop", r.st.Red("rollback_on fired:"), x.verdict, r.primary, bad)
		for _, rep := range r.live() {
			if rep.dep == bad {
				r.stop(rep, "rolled back")
			}
		}
	} else {
		r.out.Printf("%s %s; rolling back to %s, whose replicas replace those of %s", r.st.Red("rollback_on fired:"), x.verdict, r.primary, bad)
	}
	r.publish(x, why)
}

// finishRelease ends a bake without a rollback: the old revision goes.
func (r *Runner) finishRelease(x *release) {
	r.rel = nil
	if x.shifts() {
		for _, rep := range r.live() {
			if rep.dep != r.primary {
				r.stop(rep, "bake over, replaced by "+r.primary.String())
			}
		}
	} else {
		r.out.Printf("bake over: %s stays (rollback_on watched it for %d windows after the rollout)", x.dep, rollout.Windows)
	}
	r.publish(x, "")
}

// stopStrays stops, while traffic shifts, the replicas of neither revision (a rollout
// superseded): they get no request.
func (r *Runner) stopStrays(old []*replica) {
	for _, rep := range old {
		if rep.dep != r.rel.back {
			r.stop(rep, "superseded by "+r.primary.String())
		}
	}
}

// backCount is the number of live replicas of the revision a shifting release keeps.
func (r *Runner) backCount() int {
	n := 0
	for _, rep := range r.live() {
		if rep.dep == r.rel.back {
			n++
		}
	}
	return n
}

// syncSplit lets the load balancer send to any healthy replica again once only the
// primary's replicas are left (removed, not only stopping: a replica being drained may
// still be picked for a moment).
func (r *Runner) syncSplit() {
	if r.shifting() || r.lb.Split().Group == "" {
		return
	}
	for _, rep := range r.snapshot() {
		if rep.dep != r.primary {
			return
		}
	}
	r.lb.SetSplit(lb.Split{})
}

// publish keeps what status shows of the release.
func (r *Runner) publish(x *release, reason string) {
	st := &control.RolloutState{Deployment: x.dep.id, Revision: x.dep.img.Revision, Strategy: string(x.spec.Strategy), Stage: x.stage,
		NewPercent: x.percent, BakeLeftSeconds: x.bakeLeft(time.Now()).Round(100 * time.Millisecond).Seconds(), Reason: reason}
	if !x.shifts() && x.stage != stageRolledBack {
		st.NewPercent = 100 // a rolling update's replicas take requests as they come
	}
	if x.stage == stageRolledBack {
		st.NewPercent = 0
	}
	r.mu.Lock()
	r.view = st
	r.mu.Unlock()
}

// serving is each revision's share of the requests now: the split's, spread over the
// healthy replicas of each side; without one, each healthy replica's equal part.
func serving(reps []*replica, healthy func(*replica) bool, split lb.Split) []control.Serving {
	in, out := 0, 0
	for _, rep := range reps {
		if !healthy(rep) {
			continue
		}
		if split.Group != "" && rep.dep.group() == split.Group {
			in++
		} else {
			out++
		}
	}
	share := map[*deployment]float64{}
	for _, rep := range reps {
		switch {
		case !healthy(rep):
		case split.Group == "":
			share[rep.dep] += 100 / float64(in+out)
		case rep.dep.group() == split.Group:
			share[rep.dep] += split.Percent / float64(in)
		default:
			share[rep.dep] += (100 - split.Percent) / float64(out)
		}
	}
	var list []control.Serving
	for d, p := range share {
		if p > 0 {
			list = append(list, control.Serving{Deployment: d.id, Revision: d.img.Revision, Percent: localvitals.Round(p, 1)})
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Deployment < list[j].Deployment })
	return list
}

// rolloutLine is one look at the release, as berth deploy shows one on AWS: the stage,
// each revision's share and replicas, the bake left, and the new revision's last window:
// "rollout PRODUCTION_TRAFFIC_SHIFT: new 5 % (2/2 replicas), old 95 % (2/2 replicas);
// new revision's last window: 5xx 0 % of 41 requests, p99 1.2ms".
func (r *Runner) rolloutLine(x *release, now time.Time) string {
	reps := r.live()
	shares := serving(reps, r.healthy, r.lb.Split())
	var newP, oldP float64
	for _, s := range shares {
		if s.Deployment == x.dep.id {
			newP += s.Percent
		} else {
			oldP += s.Percent
		}
	}
	var fresh, old []*replica
	for _, rep := range reps {
		if rep.dep == x.dep {
			fresh = append(fresh, rep)
		} else {
			old = append(old, rep)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "rollout %s: new %s %% (%d/%d replicas), old %s %% (%d/%d replicas)", x.stage,
		trim1(newP), r.healthyCount(fresh), x.dep.m.Count.Min, trim1(oldP), r.healthyCount(old), len(old))
	if left := x.bakeLeft(now); left > 0 {
		fmt.Fprintf(&b, "; bake %s left", left.Round(100*time.Millisecond))
	}
	if w, ok := x.w.last(); ok {
		fmt.Fprintf(&b, "; new revision's last window: 5xx %s %% of %d requests", trim1(w.ErrorPercent()), w.Requests)
		if w.P99 > 0 {
			fmt.Fprintf(&b, ", p99 %s", roundDuration(w.P99))
		}
	}
	return b.String()
}

func trim1(f float64) string { return strconv.FormatFloat(localvitals.Round(f, 1), 'f', -1, 64) }

// roundDuration keeps a duration's two or three leading digits: 1.2ms, 35ms, 2.4s.
func roundDuration(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(100 * time.Millisecond)
	case d >= 10*time.Millisecond:
		return d.Round(time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(100 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}
