package lb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// HealthCheck is the target group's health check, as the manifest sets it.
type HealthCheck struct {
	Path               string
	Interval           time.Duration
	Timeout            time.Duration
	HealthyThreshold   int
	UnhealthyThreshold int
	// InitialInterval paces the checks of a target that has not passed yet, so that a
	// fresh replica takes traffic in well under a second rather than after Interval.
	// It speeds up passing only: failures of such a target still count at most once
	// per Interval, so a slow starter is judged on the ALB's clock. 0 uses Interval.
	InitialInterval time.Duration
}

// health is one target's health by the ALB's rules ("Health checks for Application
// Load Balancer target groups", docs.aws.amazon.com/elasticloadbalancing/latest/
// application/target-group-health-checks.html):
//   - a newly registered target must pass one health check to be considered healthy;
//   - each check's result lasts for the whole interval;
//   - UnhealthyThresholdCount consecutive failures take a target out of service, and
//     HealthyThresholdCount consecutive successes put it back.
//
// The state is kept apart from the clock and the network so that its timing can be
// tested on its own. Grace periods are not the balancer's business: the ALB marks a
// slow starter unhealthy on time, and it is ECS that ignores that during
// healthCheckGracePeriodSeconds (internal/local does).
type health struct {
	state      State
	reason     string
	okRun      int
	failRun    int
	registered time.Time
	// nextCount is when a failing check of a target still in the initial state next
	// counts: registration, then one interval after another, as the ALB's checks would
	// come. Fast initial checks that fail in between only update the reason.
	nextCount time.Time
	// initialChecks and initialSpent are the checks of a target in the initial state
	// so far and the time they took, for the next wait.
	initialChecks int
	initialSpent  time.Duration
}

func newHealth(now time.Time) health {
	return health{state: Initial, reason: reasonInitial, registered: now, nextCount: now}
}

const reasonInitial = "Elb.InitialHealthChecking: no health check has passed yet"

// observe applies one check's result at now, and reports whether the state changed.
func (h *health) observe(hc HealthCheck, now time.Time, ok bool, reason string) bool {
	before := h.state
	switch {
	case h.state == Draining:
		return false
	case h.state == Initial && ok:
		h.state, h.reason, h.okRun, h.failRun = Healthy, "", 1, 0
	case h.state == Initial:
		h.reason = "Elb.InitialHealthChecking: " + reason
		if now.Before(h.nextCount) {
			return false // a fast check: the ALB would not have checked yet
		}
		for !now.Before(h.nextCount) {
			h.nextCount = h.nextCount.Add(hc.Interval)
		}
		h.failRun++
		if h.failRun >= hc.UnhealthyThreshold {
			h.state, h.reason = Unhealthy, reason
		}
	case ok:
		h.okRun++
		h.failRun = 0
		if h.state == Healthy || h.okRun >= hc.HealthyThreshold {
			h.state, h.reason = Healthy, ""
		}
	default:
		h.failRun++
		h.okRun = 0
		if h.state == Unhealthy || h.failRun >= hc.UnhealthyThreshold {
			h.state, h.reason = Unhealthy, reason
		}
	}
	return h.state != before
}

// firstRecheck is the wait after a new target's first check: a replica usually
// listens within tens of milliseconds of its start, and a check that finds nothing
// listening costs nothing.
const firstRecheck = 10 * time.Millisecond

// wait is how long until the next check. A target in the initial state is checked at
// once, then after 10 ms, and at doubling waits up to InitialInterval, from then on
// every InitialInterval after registration, so that checks fall where the ALB's
// interval ends.
func (h *health) wait(hc HealthCheck) time.Duration {
	ii := hc.InitialInterval
	if h.state != Initial || ii <= 0 || ii >= hc.Interval {
		return hc.Interval
	}
	w := ii
	if h.initialChecks < 16 {
		w = min(firstRecheck<<h.initialChecks, ii)
	}
	if grid := (h.initialSpent/ii + 1) * ii; h.initialSpent+w > grid {
		w = grid - h.initialSpent
	}
	h.initialChecks++
	h.initialSpent += w
	return w
}

// check runs the target's health checks until it is deregistered. Checks start on a
// fixed schedule, so that a slow answer does not stretch the interval (the ALB: "the
// time it takes for the target to respond does not affect the interval to the next
// health check request").
func (b *Balancer) check(t *target) {
	next := time.Now()
	for {
		hc := b.HealthCheck()
		ok, reason := b.probe(t, hc)
		t.mu.Lock()
		changed := t.health.observe(hc, time.Now(), ok, reason)
		wait := t.health.wait(hc)
		t.mu.Unlock()
		if changed {
			b.notify(t)
		}
		next = next.Add(wait)
		if d := time.Until(next); d > 0 {
			select {
			case <-t.stop:
				return
			case <-time.After(d):
			}
		} else {
			next = time.Now()
			select {
			case <-t.stop:
				return
			default:
			}
		}
	}
}

// probe is one health check: GET the path, success on 200 (the ALB's default matcher).
// A failure's reason starts with the ALB's reason code.
func (b *Balancer) probe(t *target, hc HealthCheck) (bool, string) {
	ctx, cancel := context.WithTimeout(context.Background(), hc.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+t.addr+hc.Path, nil)
	if err != nil {
		return false, "Elb.InternalError: " + err.Error()
	}
	resp, err := b.checks.Do(req)
	if err != nil {
		var nerr net.Error
		if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &nerr) && nerr.Timeout() {
			return false, fmt.Sprintf("Target.Timeout: no answer to GET %s within %s", hc.Path, hc.Timeout)
		}
		return false, "Target.FailedHealthChecks: " + connError(err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Sprintf("Target.ResponseCodeMismatch: GET %s answered %d, want 200", hc.Path, resp.StatusCode)
	}
	return true, ""
}

// connError is the innermost useful part of a failed check ("connection refused"),
// without the URL the client wraps around it.
func connError(err error) string {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Op + ": " + op.Err.Error()
	}
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) && ue.Unwrap() != nil {
		return ue.Unwrap().Error()
	}
	return err.Error()
}
