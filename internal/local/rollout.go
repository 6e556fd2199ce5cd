package local

import (
	"context"
	"math"
	"time"

	"github.com/berthdev/berth/internal/lb"
)

// rollout rebuilds the image and replaces the replicas the way an ECS rolling deployment
// does: never more than max_percent of count running, never fewer than
// min_healthy_percent healthy; new replicas first, old ones drained once new ones are
// healthy. New replicas that do not become healthy are removed and the old ones stay
// (the deployment circuit breaker's rollback).
func (r *Runner) rollout(ctx context.Context, reason string) error {
	img, err := Resolve(ctx, r.cli, r.m, r.out)
	if err != nil {
		return err
	}
	r.out.Printf("rollout (%s): revision %s -> %s", reason, r.image.Revision, img.Revision)
	desired := r.m.Count.Min
	maxTotal := int(math.Floor(float64(desired) * float64(r.m.Deployment.MaxPercent) / 100))
	minHealthy := int(math.Ceil(float64(desired) * float64(r.m.Deployment.MinHealthyPercent) / 100))
	if maxTotal <= desired && minHealthy >= desired {
		maxTotal = desired + 1 // the manifest validation rules this out; never deadlock
	}
	old := r.snapshot()
	var fresh []*replica
	deadline := time.Now().Add(r.healthDeadline())
	for len(old) > 0 || len(fresh) < desired {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		for len(old)+len(fresh) < maxTotal && len(fresh) < desired {
			rep, err := r.startReplica(ctx, img)
			if err != nil {
				return err
			}
			fresh = append(fresh, rep)
		}
		healthyFresh := r.countState(fresh, lb.Healthy)
		healthy := healthyFresh + r.countState(old, lb.Healthy)
		if canStop := min(healthy-minHealthy, len(old)); canStop > 0 && healthyFresh > 0 {
			for _, rep := range old[:canStop] {
				r.stopReplica(ctx, rep, "replaced by revision "+img.Revision)
			}
			old = old[canStop:]
			continue
		}
		if time.Now().After(deadline) {
			for _, rep := range fresh {
				r.stopReplica(ctx, rep, "rollout failed")
			}
			return errRolloutFailed
		}
		time.Sleep(100 * time.Millisecond)
	}
	r.image = img
	r.out.Printf("rollout complete: %d replica(s) of revision %s", desired, img.Revision)
	return nil
}

// healthDeadline is how long new replicas get to become healthy.
func (r *Runner) healthDeadline() time.Duration {
	h := r.m.Health
	return time.Duration(h.GracePeriod+h.Interval*(h.HealthyThreshold+h.UnhealthyThreshold)+30) * time.Second
}

func (r *Runner) countState(reps []*replica, want lb.State) int {
	n := 0
	for _, rep := range reps {
		if s, _ := r.lb.State(rep.name); s == want {
			n++
		}
	}
	return n
}
