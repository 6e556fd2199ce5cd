package deploy

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Check is one verification and its outcome: pass, fail or skip.
type Check struct {
	Name   string `json:"name"`
	Result string `json:"result"`
	Detail string `json:"detail"`
}

// VerifyOptions bound the wait.
type VerifyOptions struct {
	Timeout time.Duration
	Report  func(Check) // hears each check as it settles
	HTTP    *http.Client
}

// Verify is the reference's "test it out": it waits (with backoff, up to the timeout)
// until the service runs its desired count, every target is healthy, and the URL
// answers 200. Against an emulator that runs no container, the checks that need real
// compute are skipped with the reason.
func (c *Clients) Verify(ctx context.Context, env, service string, o VerifyOptions) ([]Check, error) {
	deadline := time.Now().Add(o.Timeout)
	var st *Status
	var err error
	wait := time.Second
	for {
		st, err = c.Status(ctx, env, service)
		if err != nil {
			return nil, err
		}
		if st.URL == "" {
			return []Check{{"deployed", "fail", "the service stack is not deployed: run \"berth deploy\""}}, nil
		}
		ready := st.Desired > 0 && st.Running == st.Desired && allHealthy(st.Targets)
		if ready || time.Now().After(deadline) || c.emulatorRunsNothing(st) {
			break
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
		wait = min(wait*2, 15*time.Second)
	}
	checks := []Check{c.countCheck(st), c.targetCheck(st), c.urlCheck(ctx, st, o)}
	for _, ch := range checks {
		if o.Report != nil {
			o.Report(ch)
		}
	}
	return checks, nil
}

// emulatorRunsNothing: the endpoint is not AWS and no EC2 instance has joined the
// cluster, so no task can run and waiting cannot help. An emulator may well model
// capacity providers (../shared/moto-server does) without ever running an instance:
// what decides is where the requests go and whether container instances exist. On
// AWS a cluster without instances is the normal start (the capacity provider launches
// them for pending tasks), so verify waits there.
func (c *Clients) emulatorRunsNothing(st *Status) bool {
	return c.Emulated != "" && st.ContainerInstances == 0 && st.Running == 0
}

func (c *Clients) skipReason() string {
	return fmt.Sprintf("the endpoint is an emulator (%s) and no container instance has joined the cluster: no task runs there", c.Emulated)
}

func (c *Clients) countCheck(st *Status) Check {
	detail := fmt.Sprintf("desired %d, running %d, pending %d", st.Desired, st.Running, st.Pending)
	switch {
	case st.Desired > 0 && st.Running == st.Desired:
		return Check{"running == desired", "pass", detail}
	case c.emulatorRunsNothing(st):
		return Check{"running == desired", "skip", detail + "; " + c.skipReason()}
	}
	if len(st.Launches) > 0 {
		return Check{"running == desired", "fail", detail + "; the Auto Scaling group could not launch instances: " + strings.Join(st.Launches, "; ")}
	}
	return Check{"running == desired", "fail", detail + "; tasks wait in PROVISIONING until the capacity provider has launched instances"}
}

func allHealthy(ts []Target) bool {
	for _, t := range ts {
		if t.State != "healthy" {
			return false
		}
	}
	return len(ts) > 0
}

func (c *Clients) targetCheck(st *Status) Check {
	healthy := 0
	for _, t := range st.Targets {
		if t.State == "healthy" {
			healthy++
		}
	}
	detail := fmt.Sprintf("%d of %d target(s) healthy", healthy, len(st.Targets))
	switch {
	case allHealthy(st.Targets):
		return Check{"targets healthy", "pass", detail}
	case c.emulatorRunsNothing(st):
		return Check{"targets healthy", "skip", detail + "; " + c.skipReason()}
	}
	return Check{"targets healthy", "fail", detail}
}

func (c *Clients) urlCheck(ctx context.Context, st *Status, o VerifyOptions) Check {
	name := "GET " + st.URL
	if c.emulatorRunsNothing(st) {
		return Check{name, "skip", "the emulator's load balancer name does not resolve to anything that serves; " + c.skipReason()}
	}
	client := o.HTTP
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, st.URL, nil)
	if err != nil {
		return Check{name, "fail", err.Error()}
	}
	resp, err := client.Do(req)
	if err != nil {
		return Check{name, "fail", err.Error()}
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Check{name, "fail", resp.Status}
	}
	return Check{name, "pass", resp.Status}
}
