package ops

import (
	"cmp"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
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
	// Progress hears each look at the service while verify waits.
	Progress func(VerifyProgress)
	HTTP     *http.Client
	// Port is berth.yml's: when tasks fail the health checks, verify compares it with
	// the port their logs say the app listens on.
	Port int
}

// VerifyProgress is where the wait stands.
type VerifyProgress struct {
	Running  int32         `json:"running"`
	Desired  int32         `json:"desired"`
	Healthy  int           `json:"healthy"`
	Targets  int           `json:"targets"`
	Elapsed  time.Duration `json:"-"`
	Timeout  time.Duration `json:"-"`
	Seconds  float64       `json:"seconds"`
	Deadline float64       `json:"timeout_seconds"`
}

// Verification is the outcome: each check, and a note that holds for all of them.
type Verification struct {
	Checks []Check `json:"checks"`
	Note   string  `json:"note,omitempty"`
}

// Count tells how many checks ended so.
func (v *Verification) Count(result string) int {
	n := 0
	for _, c := range v.Checks {
		if c.Result == result {
			n++
		}
	}
	return n
}

// Verify is the reference's "test it out": it waits (with backoff, never past the
// timeout) until the service runs its desired count, every target is healthy, and the
// URL answers 200. Against an emulator that runs no container, the checks that need
// real compute are skipped, and the note says why.
func (c *Clients) Verify(ctx context.Context, env, service string, o VerifyOptions) (*Verification, error) {
	start := time.Now()
	deadline := start.Add(o.Timeout)
	var st *Status
	var err error
	wait := time.Second
	for {
		st, err = c.Status(ctx, env, service)
		if err != nil {
			return nil, err
		}
		if st.URL == "" {
			detail := "the service stack is not deployed: run \"berth deploy\""
			if failed := st.Failed(); len(failed) > 0 {
				detail = failed[len(failed)-1].Recovery.Summary() + "; " + failed[len(failed)-1].Hint
			}
			return &Verification{Checks: []Check{{"deployed", "fail", detail}}}, nil
		}
		if o.Progress != nil {
			healthy := 0
			for _, t := range st.Targets {
				if t.State == "healthy" {
					healthy++
				}
			}
			el := time.Since(start)
			o.Progress(VerifyProgress{Running: st.Running, Desired: st.Desired, Healthy: healthy, Targets: len(st.Targets),
				Elapsed: el, Timeout: o.Timeout, Seconds: math.Round(el.Seconds()*10) / 10, Deadline: o.Timeout.Seconds()})
		}
		ready := st.Desired > 0 && st.Running == st.Desired && allHealthy(st.Targets)
		left := time.Until(deadline)
		if ready || left <= 0 || c.emulatorRunsNothing(st) {
			break
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(min(wait, left)):
		}
		wait = min(wait*2, 15*time.Second)
	}
	v := &Verification{Checks: []Check{c.countCheck(st), c.targetCheck(st), c.urlCheck(ctx, st, o, time.Until(deadline))}}
	if v.Checks[1].Result == "fail" {
		if pc := c.portCheck(ctx, st, o.Port); pc != nil {
			v.Checks = append(v.Checks, *pc)
		}
	}
	for _, f := range st.Failed() {
		// the service may still answer, from what the failed operation left
		v.Checks = append([]Check{{"stack " + f.Name, "fail", f.Recovery.Summary() + "; " + f.Hint}}, v.Checks...)
	}
	if strings.HasPrefix(st.URL, "https://") {
		v.Checks = append(v.Checks, c.redirectCheck(ctx, st, o, time.Until(deadline)))
	}
	if c.emulatorRunsNothing(st) {
		v.Note = c.skipReason()
	}
	return v, nil
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
		return Check{"running == desired", "skip", detail}
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
		return Check{"targets healthy", "skip", detail}
	}
	return Check{"targets healthy", "fail", detail}
}

func (c *Clients) urlCheck(ctx context.Context, st *Status, o VerifyOptions, left time.Duration) Check {
	name := "GET " + st.URL
	if c.emulatorRunsNothing(st) || c.Emulated != "" && !loopback(st.URL) {
		// an emulator's load balancer names a public domain that serves nothing: asking
		// for it would only send a DNS query out of the machine
		return Check{name, "skip", "the endpoint is an emulator, and its load balancer's name (" + st.URL + ") is not one that serves"}
	}
	resp, err := get(ctx, verifyClient(o, left, false), st.URL)
	if err != nil {
		// over HTTPS this is also where a certificate that is not valid for the name fails
		return Check{name, "fail", err.Error()}
	}
	if resp.StatusCode != http.StatusOK {
		return Check{name, "fail", resp.Status}
	}
	detail := resp.Status
	if resp.TLS != nil && len(resp.TLS.PeerCertificates) > 0 {
		cert := resp.TLS.PeerCertificates[0]
		detail += fmt.Sprintf(", %s, certificate valid for %s until %s", tlsVersion(resp.TLS.Version), resp.Request.URL.Hostname(), cert.NotAfter.Format("2006-01-02"))
	}
	return Check{name, "pass", detail}
}

// redirectCheck: plain HTTP on the service's domain answers with a permanent redirect
// to the same place over HTTPS, and nothing else; on the service's path, which is all
// of the name that is the service's when it shares it (the environment's distribution,
// or a host of the environment's load balancer).
func (c *Clients) redirectCheck(ctx context.Context, st *Status, o VerifyOptions, left time.Duration) Check {
	u, _ := url.Parse(st.URL)
	p := cmp.Or(u.Path, "/")
	plain := "http://" + u.Host + p
	name := "GET " + plain + " redirects to HTTPS"
	if c.emulatorRunsNothing(st) || c.Emulated != "" && !loopback(st.URL) {
		return Check{name, "skip", "the endpoint is an emulator, and " + u.Host + " is not a name that serves"}
	}
	resp, err := get(ctx, verifyClient(o, left, true), plain)
	if err != nil {
		return Check{name, "fail", err.Error()}
	}
	// the load balancer writes the port it redirects to: https://host:443/
	want := "https://" + u.Host + p
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusMovedPermanently || loc != want && loc != "https://"+u.Host+":443"+p {
		return Check{name, "fail", fmt.Sprintf("%s, Location %q; want 301 to %s", resp.Status, loc, want)}
	}
	return Check{name, "pass", resp.Status + " to " + resp.Header.Get("Location")}
}

// verifyClient is the caller's client, or one bounded by what is left of the timeout
// (a moment at least, to ask at all); noRedirect makes it stop at a redirect.
func verifyClient(o VerifyOptions, left time.Duration, noRedirect bool) *http.Client {
	client := &http.Client{Timeout: min(10*time.Second, max(left, 2*time.Second))}
	if o.HTTP != nil {
		cp := *o.HTTP
		client = &cp
	}
	if noRedirect {
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	return client
}

// get reads a URL's status and headers, and drops its body.
func get(ctx context.Context, client *http.Client, url string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp, nil
}

func tlsVersion(v uint16) string {
	switch v {
	case tls.VersionTLS13:
		return "TLS 1.3"
	case tls.VersionTLS12:
		return "TLS 1.2"
	}
	return fmt.Sprintf("TLS 0x%04x", v)
}

// loopback reports whether a URL's host is this machine.
func loopback(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	if u.Hostname() == "localhost" {
		return true
	}
	ip := net.ParseIP(u.Hostname())
	return ip != nil && ip.IsLoopback()
}
