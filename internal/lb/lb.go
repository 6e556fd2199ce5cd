// Package lb is berth's local stand-in for an Application Load Balancer and its target
// groups: health-checked targets, traffic only to healthy ones, drain on deregistration,
// X-Forwarded-* headers, an idle timeout, a retry on another target only when a
// connection could not be established, and the weights of a rollout between two groups
// (split.go).
//
// It knows HTTP and targets, not Docker or manifests: it imports nothing of berth's
// but its HTTP/1.1 wire format (internal/lb/wire).
package lb

import (
	"cmp"
	"context"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// State is a target's state, named as the ALB names them.
type State string

// Target states.
const (
	Initial   State = "initial"
	Healthy   State = "healthy"
	Unhealthy State = "unhealthy"
	Draining  State = "draining"
)

// Config mirrors the manifest's health check and load balancer settings.
type Config struct {
	Health              HealthCheck
	IdleTimeout         time.Duration
	DeregistrationDelay time.Duration
	ListenerPort        int    // reported in X-Forwarded-Port
	Proto               string // reported in X-Forwarded-Proto: "http" (the default) or "https"
	// CloudFront writes the headers a target gets behind a CloudFront distribution and
	// an internal ALB, which CloudFront reaches over HTTP on port 80: X-Forwarded-For
	// ends with the viewer's address and the edge's (here the listener's own),
	// X-Forwarded-Proto is http and X-Forwarded-Port 80 (the internal load balancer's
	// listener), and CloudFront-Forwarded-Proto (https) and CloudFront-Viewer-Address
	// (the viewer's address and port) say what the viewer used; the viewer's own
	// CloudFront-* headers of those names are replaced. ListenerPort and Proto are then
	// not used.
	CloudFront bool
}

// Target is a snapshot of one target.
type Target struct {
	ID       string `json:"id"`
	Addr     string `json:"addr"`
	State    State  `json:"state"`
	Reason   string `json:"reason,omitempty"`
	InFlight int64  `json:"in_flight"`
}

type target struct {
	id, addr string
	group    string // the deployment it belongs to, for a Split and Traffic.Groups
	inflight atomic.Int64
	// healthy mirrors health.state == Healthy for the request path, which reads it
	// on every request and should not take the lock for it.
	healthy atomic.Bool
	stop    chan struct{}
	conns   connPool
	stats   stats

	mu     sync.Mutex
	health health
}

// Balancer routes requests to healthy targets.
type Balancer struct {
	port        string // X-Forwarded-Port
	proto       string // X-Forwarded-Proto
	cloudfront  bool   // the headers of a target behind CloudFront (Config.CloudFront)
	idleTimeout time.Duration
	dialer      *net.Dialer
	checks      *http.Client

	hc    atomic.Pointer[HealthCheck]
	drain atomic.Int64 // deregistration delay, ns

	// unrouted counts the requests no target got (503, or 502 when none could be
	// connected to); retired and gone keep the counts of targets that left.
	unrouted stats

	mu       sync.Mutex
	targets  []*target
	next     uint64
	onChange func(Target)
	retired  []retired
	split    splitter
	groups   map[string]*group

	trafficMu sync.Mutex // Traffic's: gone is the sum of targets that left long ago
	gone      Counts
}

// New makes a balancer; onChange, if set, hears every state change.
func New(cfg Config, onChange func(Target)) *Balancer {
	b := &Balancer{
		port:        strconv.Itoa(cfg.ListenerPort),
		proto:       cmp.Or(cfg.Proto, "http"),
		cloudfront:  cfg.CloudFront,
		idleTimeout: cfg.IdleTimeout,
		dialer:      &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second},
		onChange:    onChange,
	}
	if b.cloudfront {
		b.port, b.proto = "80", "http"
	}
	b.SetHealthCheck(cfg.Health)
	b.SetDeregistrationDelay(cfg.DeregistrationDelay)
	b.checks = &http.Client{
		// the ALB closes the connection after each check
		Transport: &http.Transport{DialContext: b.dialer.DialContext, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	return b
}

// SetHealthCheck changes the health check of every target from its next check on, as
// modifying an ALB target group's health check does.
func (b *Balancer) SetHealthCheck(hc HealthCheck) { b.hc.Store(&hc) }

// HealthCheck is the health check in force.
func (b *Balancer) HealthCheck() HealthCheck { return *b.hc.Load() }

// SetDeregistrationDelay changes how long deregistrations from now on may drain.
func (b *Balancer) SetDeregistrationDelay(d time.Duration) { b.drain.Store(int64(d)) }

// pick chooses the next healthy target round-robin, skipping those already tried,
// among those the request's route allows: its side of the split, decided at its first
// pick.
func (b *Balancer) pick(skip []*target, r *route) *target {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !r.decided {
		r.decided = true
		if s := &b.split; s.on {
			r.split, r.group, r.inGroup = true, s.group, s.side()
			if r.inGroup {
				r.unrouted = s.unrouted
			}
		}
	}
	n := len(b.targets)
	for i := range n {
		j := (int(b.next) + i) % n
		t := b.targets[j]
		if !t.healthy.Load() || !r.allows(t) || containsTarget(skip, t) {
			continue
		}
		b.next = uint64((j + 1) % n)
		return t
	}
	return nil
}

func containsTarget(list []*target, t *target) bool {
	for _, x := range list {
		if x == t {
			return true
		}
	}
	return false
}

func (t *target) current() State {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.health.state
}

func (t *target) snapshot() Target {
	t.mu.Lock()
	defer t.mu.Unlock()
	return Target{ID: t.id, Addr: t.addr, State: t.health.state, Reason: t.health.reason, InFlight: t.inflight.Load()}
}

// Register adds a target in the initial state and starts checking it.
func (b *Balancer) Register(id, addr string) { b.RegisterIn("", id, addr) }

// RegisterIn adds a target of a group (a deployment) in the initial state and starts
// checking it.
func (b *Balancer) RegisterIn(group, id, addr string) {
	t := &target{id: id, addr: addr, group: group, stop: make(chan struct{}), health: newHealth(time.Now())}
	t.conns.maxIdle, t.conns.idleTimeout = 512, b.idleTimeout
	b.mu.Lock()
	b.targets = append(b.targets, t)
	if group != "" {
		b.groupOf(group)
	}
	b.mu.Unlock()
	b.notify(t)
	go b.check(t)
}

// Deregister stops sending new requests to the target, waits until its requests in
// flight are done or the deregistration delay has passed, and removes it. A target
// with nothing in flight leaves at once, as on the ALB.
func (b *Balancer) Deregister(ctx context.Context, id string) {
	t := b.find(id)
	if t == nil {
		return
	}
	t.mu.Lock()
	t.health.state, t.health.reason = Draining, "Target.DeregistrationInProgress"
	t.healthy.Store(false)
	t.mu.Unlock()
	b.notify(t)
	deadline := time.Now().Add(time.Duration(b.drain.Load()))
	for t.inflight.Load() > 0 && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
	close(t.stop)
	t.conns.close()
	b.mu.Lock()
	for i, x := range b.targets {
		if x == t {
			b.targets = append(b.targets[:i], b.targets[i+1:]...)
			b.retired = append(b.retired, retired{at: time.Now(), s: &t.stats, group: t.group})
			break
		}
	}
	b.mu.Unlock()
}

func (b *Balancer) find(id string) *target {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, t := range b.targets {
		if t.id == id {
			return t
		}
	}
	return nil
}

// Targets lists the targets in registration order.
func (b *Balancer) Targets() []Target {
	b.mu.Lock()
	ts := append([]*target(nil), b.targets...)
	b.mu.Unlock()
	out := make([]Target, len(ts))
	for i, t := range ts {
		out[i] = t.snapshot()
	}
	return out
}

// State reports one target's state, and whether it is registered.
func (b *Balancer) State(id string) (State, bool) {
	if t := b.find(id); t != nil {
		return t.current(), true
	}
	return "", false
}

// Target reports one target, and whether it is registered.
func (b *Balancer) Target(id string) (Target, bool) {
	if t := b.find(id); t != nil {
		return t.snapshot(), true
	}
	return Target{}, false
}

// Close stops health checks and closes idle connections to targets.
func (b *Balancer) Close() {
	b.mu.Lock()
	for _, t := range b.targets {
		select {
		case <-t.stop:
		default:
			close(t.stop)
		}
		t.conns.close()
		b.retired = append(b.retired, retired{at: time.Now(), s: &t.stats, group: t.group})
	}
	b.targets = nil
	b.mu.Unlock()
}

func (b *Balancer) notify(t *target) {
	t.mu.Lock()
	t.healthy.Store(t.health.state == Healthy)
	t.mu.Unlock()
	if b.onChange != nil {
		b.onChange(t.snapshot())
	}
}
