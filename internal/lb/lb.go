// Package lb is berth's local stand-in for an Application Load Balancer and its target
// group: health-checked targets, traffic only to healthy ones, drain on deregistration,
// X-Forwarded-* headers, an idle timeout, and a retry on another target only when a
// connection could not be established.
package lb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
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
	HealthPath          string
	Interval            time.Duration
	Timeout             time.Duration
	HealthyThreshold    int
	UnhealthyThreshold  int
	IdleTimeout         time.Duration
	DeregistrationDelay time.Duration
	ListenerPort        int // reported in X-Forwarded-Port
	// InitialInterval paces the checks of a target that has not passed yet, so that a
	// fresh replica takes traffic in well under a second instead of Interval x
	// HealthyThreshold; 0 uses Interval, as an ALB does.
	InitialInterval time.Duration
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
	inflight atomic.Int64
	stop     chan struct{}

	mu         sync.Mutex
	state      State
	reason     string
	okRun      int
	failRun    int
	everPassed bool
}

// Balancer routes requests to healthy targets.
type Balancer struct {
	cfg       Config
	transport *http.Transport
	checks    *http.Client
	proxy     *httputil.ReverseProxy

	mu       sync.Mutex
	targets  []*target
	next     uint64
	onChange func(Target)
}

// New makes a balancer; onChange, if set, hears every state change.
func New(cfg Config, onChange func(Target)) *Balancer {
	b := &Balancer{cfg: cfg, onChange: onChange}
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	b.transport = &http.Transport{
		DialContext:         dialer.DialContext,
		MaxIdleConns:        1024,
		MaxIdleConnsPerHost: 512,
		IdleConnTimeout:     cfg.IdleTimeout,
	}
	b.checks = &http.Client{
		Timeout:   cfg.Timeout,
		Transport: &http.Transport{DialContext: dialer.DialContext, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	b.proxy = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme = "http"
			pr.Out.URL.Host = "target" // replaced by the chosen target in RoundTrip
			pr.SetXForwarded()
			pr.Out.Host = pr.In.Host
			pr.Out.Header.Set("X-Forwarded-Port", strconv.Itoa(cfg.ListenerPort))
		},
		Transport:    roundTripper{b},
		BufferPool:   bufferPool{},
		ErrorHandler: b.proxyError,
	}
	return b
}

// ErrNoHealthyTarget is what a request gets when no target is healthy.
var ErrNoHealthyTarget = errors.New("no healthy target")

func (b *Balancer) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, ErrNoHealthyTarget) {
		http.Error(w, "503 Service Unavailable: no healthy target", http.StatusServiceUnavailable)
		return
	}
	if errors.Is(err, context.Canceled) {
		return // the client went away
	}
	http.Error(w, "502 Bad Gateway", http.StatusBadGateway)
}

// ServeHTTP proxies one request.
func (b *Balancer) ServeHTTP(w http.ResponseWriter, r *http.Request) { b.proxy.ServeHTTP(w, r) }

// Server is an http.Server for the balancer with the configured idle timeout.
func (b *Balancer) Server() *http.Server {
	return &http.Server{Handler: b, IdleTimeout: b.cfg.IdleTimeout, ReadHeaderTimeout: time.Minute}
}

type roundTripper struct{ b *Balancer }

// RoundTrip sends the request to a healthy target. A failure to connect is retried on
// another target, since the target never saw the request; any later failure is not,
// since the target may have acted on it.
func (rt roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	var tried []*target
	for {
		t := rt.b.pick(tried)
		if t == nil {
			if len(tried) > 0 {
				return nil, fmt.Errorf("connect to %d target(s): %w", len(tried), ErrNoHealthyTarget)
			}
			return nil, ErrNoHealthyTarget
		}
		tried = append(tried, t)
		// the request is the proxy's own copy, made for this round trip: point it at
		// the target in place rather than copy it again
		req.URL.Host = t.addr
		t.inflight.Add(1)
		resp, err := rt.b.transport.RoundTrip(req)
		if err != nil {
			t.inflight.Add(-1)
			if isDialError(err) {
				continue
			}
			return nil, err
		}
		resp.Body = &countedBody{ReadCloser: resp.Body, t: t}
		return resp, nil
	}
}

func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

type countedBody struct {
	io.ReadCloser
	t    *target
	once sync.Once
}

func (c *countedBody) Close() error {
	err := c.ReadCloser.Close()
	c.once.Do(func() { c.t.inflight.Add(-1) })
	return err
}

// pick chooses the next healthy target round-robin, skipping those already tried.
func (b *Balancer) pick(skip []*target) *target {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := len(b.targets)
	for i := range n {
		t := b.targets[(int(b.next)+i)%n]
		if t.current() != Healthy || containsTarget(skip, t) {
			continue
		}
		b.next = uint64((int(b.next) + i + 1) % n)
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
	return t.state
}

func (t *target) snapshot() Target {
	t.mu.Lock()
	defer t.mu.Unlock()
	return Target{ID: t.id, Addr: t.addr, State: t.state, Reason: t.reason, InFlight: t.inflight.Load()}
}

// Register adds a target in the initial state and starts checking it.
func (b *Balancer) Register(id, addr string) {
	t := &target{id: id, addr: addr, state: Initial, stop: make(chan struct{})}
	b.mu.Lock()
	b.targets = append(b.targets, t)
	b.mu.Unlock()
	b.notify(t)
	go b.check(t)
}

// Deregister stops sending new requests to the target, waits until its requests in
// flight are done or the deregistration delay has passed, and removes it.
func (b *Balancer) Deregister(ctx context.Context, id string) {
	t := b.find(id)
	if t == nil {
		return
	}
	t.mu.Lock()
	t.state, t.reason = Draining, "deregistration in progress"
	t.mu.Unlock()
	b.notify(t)
	deadline := time.Now().Add(b.cfg.DeregistrationDelay)
	for t.inflight.Load() > 0 && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
	close(t.stop)
	b.mu.Lock()
	for i, x := range b.targets {
		if x == t {
			b.targets = append(b.targets[:i], b.targets[i+1:]...)
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

// Close stops health checks and closes idle connections to targets.
func (b *Balancer) Close() {
	b.mu.Lock()
	for _, t := range b.targets {
		select {
		case <-t.stop:
		default:
			close(t.stop)
		}
	}
	b.targets = nil
	b.mu.Unlock()
	b.transport.CloseIdleConnections()
}

func (b *Balancer) notify(t *target) {
	if b.onChange != nil {
		b.onChange(t.snapshot())
	}
}

type bufferPool struct{}

var buffers = sync.Pool{New: func() any { b := make([]byte, 32*1024); return &b }}

func (bufferPool) Get() []byte  { return *(buffers.Get().(*[]byte)) }
func (bufferPool) Put(b []byte) { buffers.Put(&b) }
