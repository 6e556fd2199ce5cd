package lb

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func testConfig() Config {
	return Config{
		Health: HealthCheck{Path: "/health", Interval: 50 * time.Millisecond, Timeout: 40 * time.Millisecond,
			HealthyThreshold: 2, UnhealthyThreshold: 2},
		IdleTimeout: time.Second, ListenerPort: 8080,
	}
}

func backend(t *testing.T, name string, healthy *atomic.Bool) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/health" {
			if healthy != nil && !healthy.Load() {
				w.WriteHeader(http.StatusServiceUnavailable)
			}
			return
		}
		io.WriteString(w, name+" "+r.Header.Get("X-Forwarded-For")+" "+r.Header.Get("X-Forwarded-Proto")+" "+r.Header.Get("X-Forwarded-Port"))
	}))
	t.Cleanup(s.Close)
	return s
}

func addr(s *httptest.Server) string { return strings.TrimPrefix(s.URL, "http://") }

func waitState(t testing.TB, b *Balancer, id string, want State) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if s, _ := b.State(id); s == want {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	s, _ := b.State(id)
	t.Fatalf("%s is %s, want %s", id, s, want)
}

// front serves the balancer on a loopback listener and returns its URL.
func front(t testing.TB, b *Balancer) string {
	url, _ := frontServer(t, b)
	return url
}

func frontServer(t testing.TB, b *Balancer) (string, *Server) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := b.Server()
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String(), srv
}

// blocking is a target whose answers, but to health checks, wait for release.
func blocking(t *testing.T) (backend *httptest.Server, release chan struct{}) {
	release = make(chan struct{})
	backend = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/health" {
			<-release
			io.WriteString(w, "finished")
		}
	}))
	t.Cleanup(backend.Close)
	return backend, release
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestRoundRobinOverHealthyTargetsWithForwardedHeaders(t *testing.T) {
	b := New(testConfig(), nil)
	defer b.Close()
	url := front(t, b)
	if code, _ := get(t, url); code != http.StatusServiceUnavailable {
		t.Errorf("no targets: %d, want 503", code)
	}
	// the targets fail their checks until the test has asked once: a target passes
	// its first check within milliseconds, and the question is whether one that has
	// not passed yet takes traffic
	var up atomic.Bool
	b.Register("a", addr(backend(t, "a", &up)))
	b.Register("b", addr(backend(t, "b", &up)))
	if code, _ := get(t, url); code != http.StatusServiceUnavailable {
		t.Errorf("initial targets took traffic: %d", code)
	}
	up.Store(true)
	waitState(t, b, "a", Healthy)
	waitState(t, b, "b", Healthy)
	seen := map[string]int{}
	for range 10 {
		code, body := get(t, url)
		if code != 200 {
			t.Fatalf("%d %s", code, body)
		}
		seen[strings.Fields(body)[0]]++
		if !strings.HasSuffix(body, " 127.0.0.1 http 8080") {
			t.Errorf("forwarded headers: %q", body)
		}
	}
	if seen["a"] != 5 || seen["b"] != 5 {
		t.Errorf("round robin gave %v", seen)
	}
}

func TestUnhealthyTargetGetsNoTraffic(t *testing.T) {
	var ok atomic.Bool
	ok.Store(true)
	var mu sync.Mutex
	var changes []State
	b := New(testConfig(), func(tg Target) {
		if tg.ID == "sick" {
			mu.Lock()
			changes = append(changes, tg.State)
			mu.Unlock()
		}
	})
	defer b.Close()
	url := front(t, b)
	b.Register("sick", addr(backend(t, "sick", &ok)))
	b.Register("well", addr(backend(t, "well", nil)))
	waitState(t, b, "sick", Healthy)
	waitState(t, b, "well", Healthy)
	ok.Store(false)
	waitState(t, b, "sick", Unhealthy)
	for range 6 {
		if _, body := get(t, url); !strings.HasPrefix(body, "well") {
			t.Fatalf("request went to %q", body)
		}
	}
	ts := b.Targets()
	if ts[0].Reason != "Target.ResponseCodeMismatch: GET /health answered 503, want 200" {
		t.Errorf("reason %q", ts[0].Reason)
	}
	ok.Store(true)
	waitState(t, b, "sick", Healthy)
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(stateNames(changes), ",") != "initial,healthy,unhealthy,healthy" {
		t.Errorf("state changes %v", changes)
	}
}

func stateNames(s []State) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = string(x)
	}
	return out
}

// A target that stops listening between health checks costs no request: the connection
// fails, and the request goes to another target.
func TestDialFailureIsRetriedElsewhere(t *testing.T) {
	b := New(testConfig(), nil)
	defer b.Close()
	url := front(t, b)
	gone := backend(t, "gone", nil)
	b.Register("gone", addr(gone))
	b.Register("up", addr(backend(t, "up", nil)))
	waitState(t, b, "gone", Healthy)
	waitState(t, b, "up", Healthy)
	gone.Close()
	for range 4 {
		if code, body := get(t, url); code != 200 || !strings.HasPrefix(body, "up") {
			t.Fatalf("%d %q", code, body)
		}
	}
}

// A target that fails after it has the request is not retried: the client gets a 502.
func TestNoRetryAfterTheRequestWasSent(t *testing.T) {
	var hits atomic.Int32
	hangup := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/health" {
			return
		}
		hits.Add(1)
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	}))
	defer hangup.Close()
	cfg := testConfig()
	b := New(cfg, nil)
	defer b.Close()
	url := front(t, b)
	b.Register("hangup", addr(hangup))
	b.Register("fine", addr(backend(t, "fine", nil)))
	waitState(t, b, "hangup", Healthy)
	waitState(t, b, "fine", Healthy)
	codes := map[int]int{}
	for range 4 {
		code, _ := get(t, url)
		codes[code]++
	}
	if codes[502] != 2 || codes[200] != 2 || hits.Load() != 2 {
		t.Errorf("codes %v, hangup hits %d: want two 502s, not retried", codes, hits.Load())
	}
}

func TestDeregisterDrainsInFlight(t *testing.T) {
	slow, release := blocking(t)
	cfg := testConfig()
	cfg.DeregistrationDelay = 5 * time.Second
	b := New(cfg, nil)
	defer b.Close()
	url := front(t, b)
	b.Register("slow", addr(slow))
	waitState(t, b, "slow", Healthy)
	got := make(chan string)
	go func() { _, body := get(t, url); got <- body }()
	time.Sleep(50 * time.Millisecond)
	done := make(chan struct{})
	go func() { b.Deregister(context.Background(), "slow"); close(done) }()
	time.Sleep(50 * time.Millisecond)
	if s, _ := b.State("slow"); s != Draining {
		t.Errorf("state %s, want draining", s)
	}
	if code, _ := get(t, url); code != 503 {
		t.Errorf("a draining target took a new request: %d", code)
	}
	select {
	case <-done:
		t.Fatal("deregistration finished with a request in flight")
	default:
	}
	close(release)
	if body := <-got; body != "finished" {
		t.Errorf("in-flight request got %q", body)
	}
	<-done
	if _, ok := b.State("slow"); ok {
		t.Error("still registered")
	}
}

func TestIdleTimeoutClosesClientConnections(t *testing.T) {
	cfg := testConfig()
	cfg.IdleTimeout = 200 * time.Millisecond
	b := New(cfg, nil)
	defer b.Close()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	srv := b.Server()
	go srv.Serve(ln)
	defer srv.Close()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	buf := make([]byte, 4096)
	n, _ := conn.Read(buf)
	if !strings.Contains(string(buf[:n]), "503") {
		t.Fatalf("response %q", buf[:n])
	}
	start := time.Now()
	for {
		if _, err := conn.Read(buf); err != nil {
			break
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("idle connection kept for %s", d)
	}
}

// The ALB's clock for failures: with the manifest's defaults (every 6 s, unhealthy
// after 10), a target that never passes is unhealthy after 9 intervals, however often
// the fast initial checks run; one passing check makes a new target healthy.
func TestInitialFailuresCountOnTheALBClock(t *testing.T) {
	hc := HealthCheck{Interval: 6 * time.Second, HealthyThreshold: 2, UnhealthyThreshold: 10, InitialInterval: 250 * time.Millisecond}
	t0 := time.Unix(1000, 0)
	h := newHealth(t0)
	var unhealthyAt time.Duration
	for at := time.Duration(0); at <= 2*time.Minute; at += h.wait(hc) {
		if h.observe(hc, t0.Add(at), false, "Target.FailedHealthChecks: connection refused") && h.state == Unhealthy {
			unhealthyAt = at
			break
		}
		if at < 54*time.Second && h.state != Initial {
			t.Fatalf("%s after registration: %s, want initial", at, h.state)
		}
	}
	if unhealthyAt != 54*time.Second {
		t.Errorf("unhealthy after %s, want 54s (10 failures, 6 s apart, the first at registration)", unhealthyAt)
	}
	if h.reason != "Target.FailedHealthChecks: connection refused" {
		t.Errorf("reason %q", h.reason)
	}

	// a slow starter: refused for 4 s, then passing
	h = newHealth(t0)
	at := time.Duration(0)
	for ; at < 4*time.Second; at += h.wait(hc) {
		h.observe(hc, t0.Add(at), false, "Target.FailedHealthChecks: connection refused")
	}
	if h.state != Initial || h.failRun != 1 {
		t.Errorf("after 4 s of fast failing checks: %s with %d counted failures, want initial with 1", h.state, h.failRun)
	}
	if !h.observe(hc, t0.Add(at), true, "") || h.state != Healthy {
		t.Errorf("a passing check left a new target %s", h.state)
	}
	if at > 4250*time.Millisecond {
		t.Errorf("healthy %s after registration, want within one fast interval of the app listening", at)
	}
	if h.wait(hc) != hc.Interval {
		t.Errorf("a healthy target is checked every %s, want the interval", h.wait(hc))
	}
}

// A new target is checked at once, then at doubling waits from 10 ms: an app that
// listens t after its start takes traffic by 2t + 10 ms, not a whole initial interval
// later (berth up's first 200 waits on it).
func TestANewTargetIsCheckedAsSoonAsItListens(t *testing.T) {
	hc := HealthCheck{Interval: 6 * time.Second, HealthyThreshold: 2, UnhealthyThreshold: 10, InitialInterval: 250 * time.Millisecond}
	t0 := time.Unix(1000, 0)
	for listens := time.Millisecond; listens < 2*time.Second; listens = listens*3/2 + time.Millisecond {
		h := newHealth(t0)
		at := time.Duration(0)
		for ; ; at += h.wait(hc) {
			if h.observe(hc, t0.Add(at), at >= listens, "Target.FailedHealthChecks: connection refused") {
				break
			}
		}
		if limit := min(2*listens+10*time.Millisecond, listens+hc.InitialInterval); at > limit {
			t.Errorf("an app listening %s after its start is healthy at %s, want by %s", listens, at, limit)
		}
	}
}

// Once in service, a target needs unhealthy_threshold consecutive failures to leave and
// healthy_threshold consecutive passes to come back; a pass resets the failures.
func TestThresholdsAfterTheFirstPass(t *testing.T) {
	hc := HealthCheck{Interval: time.Second, HealthyThreshold: 3, UnhealthyThreshold: 2}
	t0 := time.Unix(1000, 0)
	h := newHealth(t0)
	steps := []struct {
		ok   bool
		want State
	}{
		{true, Healthy}, {false, Healthy}, {true, Healthy}, {false, Healthy}, {false, Unhealthy},
		{true, Unhealthy}, {true, Unhealthy}, {false, Unhealthy}, {true, Unhealthy}, {true, Unhealthy}, {true, Healthy},
	}
	for i, s := range steps {
		h.observe(hc, t0.Add(time.Duration(i)*time.Second), s.ok, "Target.Timeout: no answer")
		if h.state != s.want {
			t.Fatalf("check %d (%v): %s, want %s", i+1, s.ok, h.state, s.want)
		}
	}
}

// Behind an HTTPS listener the target hears the request came in over HTTPS, on the
// listener's port, as behind the ALB's 443 listener.
func TestForwardedProtoFollowsTheListener(t *testing.T) {
	cfg := testConfig()
	cfg.Proto, cfg.ListenerPort = "https", 8443
	b := New(cfg, nil)
	defer b.Close()
	url := front(t, b)
	b.Register("a", addr(backend(t, "a", nil)))
	waitState(t, b, "a", Healthy)
	if code, body := get(t, url); code != 200 || !strings.HasSuffix(body, " 127.0.0.1 https 8443") {
		t.Errorf("%d %q", code, body)
	}
}
