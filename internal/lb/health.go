package lb

import (
	"fmt"
	"io"
	"net/http"
	"time"
)

// check runs the target's health checks until it is deregistered.
func (b *Balancer) check(t *target) {
	for {
		ok, reason := b.probe(t)
		if b.record(t, ok, reason) {
			b.notify(t)
		}
		wait := b.cfg.Interval
		t.mu.Lock()
		if !t.everPassed && b.cfg.InitialInterval > 0 {
			wait = b.cfg.InitialInterval
		}
		t.mu.Unlock()
		select {
		case <-t.stop:
			return
		case <-time.After(wait):
		}
	}
}

// probe is one health check: GET the path, success on 200 (the ALB's default matcher).
func (b *Balancer) probe(t *target) (bool, string) {
	resp, err := b.checks.Get("http://" + t.addr + b.cfg.HealthPath)
	if err != nil {
		return false, fmt.Sprintf("health check failed: %v", err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Sprintf("health checks failed with code %d", resp.StatusCode)
	}
	return true, ""
}

// record applies one result to the target's state by the thresholds, and reports
// whether the state changed.
func (b *Balancer) record(t *target, ok bool, reason string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.state == Draining {
		return false
	}
	before := t.state
	if ok {
		t.okRun++
		t.failRun = 0
		if t.okRun >= b.cfg.HealthyThreshold {
			t.state, t.reason, t.everPassed = Healthy, "", true
		}
	} else {
		t.failRun++
		t.okRun = 0
		t.reason = reason
		if t.failRun >= b.cfg.UnhealthyThreshold {
			t.state = Unhealthy
		}
	}
	return t.state != before
}
