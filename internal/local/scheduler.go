package local

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/docker"
	"github.com/berthdev/berth/internal/lb"
	"github.com/berthdev/berth/internal/manifest"
	"github.com/docker/docker/api/types/events"
)

// deployment is what ECS calls a deployment: one task definition (image, env, cpu,
// memory) that replicas are started from.
type deployment struct {
	id      int // 1 for the first, counting up
	img     docker.Image
	m       *manifest.Manifest
	changes string // what this deployment changed, for messages
	// failures counts replicas in a row that ended before they were healthy, for the
	// backoff; a healthy one resets it. failed counts them all, for the circuit breaker.
	failures  int
	failed    int
	nextStart time.Time
	announced time.Time // the nextStart last reported
	portNote  string    // what was said of where its replicas listen
}

func (d *deployment) String() string {
	return fmt.Sprintf("deployment #%d (revision %s)", d.id, d.img.Revision)
}

// watchExits reports the containers of this environment that exit.
func (r *Runner) watchExits(ctx context.Context) (<-chan events.Message, <-chan error) {
	f := docker.Filter(r.o.Env, r.m.Name)
	f.Add("type", "container")
	f.Add("event", "die")
	return r.cli.Events(ctx, events.ListOptions{Filters: f})
}

// schedule is the service scheduler: it keeps count replicas of the primary deployment,
// replaces those that exit or stay unhealthy past the grace period, rolls out new
// deployments and rolls back failed ones, until ctx ends.
func (r *Runner) schedule(ctx context.Context, exits <-chan events.Message, errs <-chan error) error {
	tick := time.NewTimer(time.Second)
	defer tick.Stop()
	for {
		if err := r.reconcile(ctx); err != nil {
			return err
		}
		// a look a second at least, and when the release has something due: a window
		// of its rule may be a second at a high --rollout-speed
		wait := time.Second
		if r.rel != nil {
			if at := r.rel.wake(); !at.IsZero() {
				wait = min(wait, max(time.Until(at), time.Millisecond))
			}
		}
		tick.Reset(wait)
		select {
		case <-ctx.Done():
			return nil
		case err := <-errs:
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("watch Docker events: %w", err)
		case ev := <-exits:
			r.mu.Lock()
			rep := r.replicas[ev.Actor.ID]
			r.mu.Unlock()
			if rep != nil {
				r.exited(rep, ev.Actor.Attributes["exitCode"])
			}
		case why := <-r.o.Reloads:
			r.reload(ctx, why)
		case why := <-r.ctlReloads:
			r.reload(ctx, why)
		case <-r.changed:
		case <-tick.C:
		}
	}
}

// reconcile is one pass of the scheduler.
func (r *Runner) reconcile(ctx context.Context) error {
	desired := r.m.Count.Min
	r.lookAtPorts()
	r.replaceUnhealthy()
	if r.breakerTripped(desired) {
		r.rollback()
	}
	r.advance(desired)
	mine, old := r.split()
	room := desired - len(mine)
	if len(old) > 0 && !r.shifting() {
		// a shifting strategy starts the new revision at full count beside the old one
		room = min(room, r.maxTotal(desired)-len(mine)-len(old))
	}
	if room > 0 {
		if err := r.startUpTo(ctx, r.primary, room); err != nil {
			return err
		}
	}
	if r.shifting() {
		// the old revision stays at full count until the bake is over
		if n := desired - r.backCount(); n > 0 {
			if err := r.startUpTo(ctx, r.rel.back, n); err != nil {
				return err
			}
		}
	}
	mine, old = r.split()
	switch {
	case len(old) == 0:
		r.scaleIn(mine, desired)
	case r.shifting():
		r.stopStrays(old)
	default:
		r.drainOld(mine, old, desired)
	}
	r.syncSplit()
	r.report(desired)
	return nil
}

// split sorts the live replicas into those of the primary deployment and the others.
func (r *Runner) split() (mine, old []*replica) {
	for _, rep := range r.live() {
		if rep.dep == r.primary {
			mine = append(mine, rep)
		} else {
			old = append(old, rep)
		}
	}
	sort.Slice(mine, func(i, j int) bool { return mine[i].started.Before(mine[j].started) })
	sort.Slice(old, func(i, j int) bool { return old[i].started.Before(old[j].started) })
	return mine, old
}

func (r *Runner) maxTotal(desired int) int {
	maxTotal := int(math.Floor(float64(desired) * float64(r.m.Deployment.MaxPercent) / 100))
	if maxTotal <= desired && r.minHealthy(desired) >= desired {
		maxTotal = desired + 1 // the manifest validation rules this out; never deadlock
	}
	return maxTotal
}

func (r *Runner) minHealthy(desired int) int {
	return int(math.Ceil(float64(desired) * float64(r.m.Deployment.MinHealthyPercent) / 100))
}

// startUpTo starts up to n replicas of dep, unless the backoff holds them back. An
// engine error is fatal only before any replica ever started (a bad image or setting,
// not a passing hiccup).
func (r *Runner) startUpTo(ctx context.Context, dep *deployment, n int) error {
	r.mu.Lock()
	wait := time.Until(dep.nextStart)
	failures := dep.failures
	r.mu.Unlock()
	if wait > 0 {
		r.mu.Lock()
		announce := !dep.announced.Equal(dep.nextStart)
		dep.announced = dep.nextStart
		r.mu.Unlock()
		if announce {
			r.out.Printf("%s: %d replica(s) in a row ended before they were healthy (the backoff doubles from 1 s to 60 s)",
				r.st.Yellow("next start in "+wait.Round(100*time.Millisecond).String()), failures)
		}
		return nil
	}
	for range n {
		if _, err := r.startReplica(ctx, dep); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var cannot *docker.CannotStartError
			if errors.As(err, &cannot) {
				// a replica that cannot start is a replica that crashed at once
				r.out.Printf("%s %s: %s", cannot.Replica, r.st.Red("could not start"), cannot.Reason())
				r.mu.Lock()
				dep.failures++
				dep.failed++
				dep.nextStart = time.Now().Add(backoff(dep.failures))
				r.mu.Unlock()
				r.poke() // the backoff is announced at once, as after an exit
				break
			}
			r.mu.Lock()
			first := r.serial <= 1 && len(r.replicas) == 0
			r.mu.Unlock()
			if first {
				return err
			}
			r.out.Printf("%s %v", r.st.Red("start replica:"), err)
			r.mu.Lock()
			dep.failures++
			dep.nextStart = time.Now().Add(backoff(dep.failures))
			r.mu.Unlock()
			break
		}
	}
	return nil
}

// backoff throttles replacements of replicas that keep failing, as ECS does: none
// after a healthy replica, then doubling from one second to at most a minute.
func backoff(failures int) time.Duration {
	if failures == 0 {
		return 0
	}
	return time.Duration(math.Min(60, math.Pow(2, float64(failures-1)))) * time.Second
}

// replaceUnhealthy replaces replicas the load balancer found unhealthy, once their
// grace period is over. ECS ignores failing load balancer health checks for
// healthCheckGracePeriodSeconds "after a task has first started" (ECS API reference,
// CreateService), so that slow starters are not stopped before they are up; the
// balancer still reports them unhealthy and sends them nothing meanwhile.
func (r *Runner) replaceUnhealthy() {
	grace := time.Duration(r.m.Health.GracePeriod) * time.Second
	for _, rep := range r.live() {
		t, ok := r.lb.Target(rep.name)
		if ok && t.State == lb.Unhealthy && time.Since(rep.started) >= grace {
			r.failed(rep, "failed its health checks ("+t.Reason+")")
		}
	}
}

// scaleIn stops replicas above the count, those not serving first, then the newest.
func (r *Runner) scaleIn(mine []*replica, desired int) {
	extra := len(mine) - desired
	if extra <= 0 {
		return
	}
	sort.SliceStable(mine, func(i, j int) bool {
		hi, hj := r.healthy(mine[i]), r.healthy(mine[j])
		if hi != hj {
			return !hi
		}
		return mine[i].started.After(mine[j].started)
	})
	for _, rep := range mine[:extra] {
		r.stop(rep, fmt.Sprintf("scaled in to %d", desired))
	}
}

// drainOld stops replicas of older deployments while at least min_healthy_percent of
// the count stays healthy; those that serve nothing go first.
func (r *Runner) drainOld(mine, old []*replica, desired int) {
	why := "replaced by " + r.primary.String()
	healthy := 0
	for _, rep := range append(mine, old...) {
		if r.healthy(rep) {
			healthy++
		}
	}
	canStop := healthy - r.minHealthy(desired)
	for _, rep := range old {
		switch {
		case !r.healthy(rep):
			r.stop(rep, why)
		case canStop > 0 && r.healthyCount(mine) > 0:
			r.stop(rep, why)
			canStop--
		}
	}
}

func (r *Runner) healthy(rep *replica) bool {
	s, _ := r.lb.State(rep.name)
	return s == lb.Healthy
}

func (r *Runner) healthyCount(reps []*replica) int {
	n := 0
	for _, rep := range reps {
		if r.healthy(rep) {
			n++
		}
	}
	return n
}

// breakerTripped is the deployment circuit breaker: a rollout fails once as many of
// its replicas failed as ECS's threshold, half the desired count bounded to 3..200
// (ECS API reference, ServiceDeploymentCircuitBreaker).
func (r *Runner) breakerTripped(desired int) bool {
	if r.previous == nil {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.primary.failed >= breakerThreshold(desired)
}

func breakerThreshold(desired int) int {
	return min(200, max(3, int(math.Ceil(0.5*float64(desired)))))
}

// rollback makes the last completed deployment primary again; the replicas of the
// failed one drain as the old ones are back to the count.
func (r *Runner) rollback() {
	failed := r.primary
	r.out.Printf("%s %d replica(s) of %s ended before they were healthy (the circuit breaker's threshold is %d); rolling back to %s",
		r.st.Red("rollout failed:"), failed.failed, failed, breakerThreshold(r.m.Count.Min), r.previous)
	r.primary, r.previous = r.previous, nil
	r.primary.failures, r.primary.nextStart = 0, time.Time{}
	r.progress.rollback = true
	if x := r.rel; x != nil {
		r.rel, x.stage = nil, stageRolledBack
		if x.shifts() {
			r.lb.SetSplit(lb.Split{Group: failed.group(), Percent: 0})
		}
		r.publish(x, "the circuit breaker: replicas ended before they were healthy")
	}
}

// report says how a rollout goes, and why replicas are not healthy, every few seconds
// while something is pending, and once when a rollout completes.
func (r *Runner) report(desired int) {
	mine, old := r.split()
	rolling := r.previous != nil || r.progress.rollback
	if len(old) == 0 && r.healthyCount(mine) >= desired && len(mine) == desired {
		if rolling {
			if r.progress.rollback {
				why := ""
				if r.progress.why != "" {
					why = "; " + r.progress.why
				}
				r.out.Printf("%s %d replica(s) of %s serve%s", r.st.Yellow("rolled back:"), desired, r.primary, why)
			} else {
				r.out.Printf("%s %d replica(s) of %s", r.st.Green("rollout complete:"), desired, r.primary)
			}
		}
		r.previous, r.progress = nil, progressLog{}
		return
	}
	var waiting []string
	for _, rep := range mine {
		t, ok := r.lb.Target(rep.name)
		if !ok || t.State == lb.Healthy || time.Since(rep.started) < 3*time.Second {
			continue
		}
		waiting = append(waiting, fmt.Sprintf("%s %s for %s: %s", rep.name, stateWord(r.st, string(t.State)), time.Since(rep.started).Round(time.Second), t.Reason))
	}
	if !rolling && len(waiting) == 0 || r.shifting() && !r.rel.ready.IsZero() && len(waiting) == 0 {
		return // a release that moves traffic says how it goes itself (rolloutLine)
	}
	if time.Since(r.progress.last) < 5*time.Second {
		return
	}
	r.progress.last = time.Now()
	var b strings.Builder
	if rolling {
		r.mu.Lock()
		failed := r.primary.failed
		r.mu.Unlock()
		fmt.Fprintf(&b, "rollout to %s: %d of %d new replica(s) healthy, %d old still running",
			r.primary, r.healthyCount(mine), desired, len(old))
		if failed > 0 && r.previous != nil {
			fmt.Fprintf(&b, "; %d failed (rollback at %d)", failed, breakerThreshold(desired))
		}
	} else {
		fmt.Fprintf(&b, "%d of %d replica(s) healthy", r.healthyCount(mine), desired)
	}
	for _, w := range waiting {
		b.WriteString("\n    " + w)
	}
	grace := r.m.Health.GracePeriod
	if len(waiting) > 0 && grace > 0 {
		fmt.Fprintf(&b, "\n    (failing checks are ignored for health.grace_period, %d s after a replica starts)", grace)
	}
	r.out.Printf("%s", b.String())
}

type progressLog struct {
	last     time.Time
	rollback bool
	why      string // what rolled it back, when the rule did
}
