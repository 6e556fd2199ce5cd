package lb

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// serveRouter serves a router with routes on a loopback port.
func serveRouter(t *testing.T, routes []Route) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewRouter(time.Minute)
	srv.SetRoutes(routes)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// healthyBalancer is a balancer with one raw target that answers body.
func healthyBalancer(t *testing.T, body string) *Balancer {
	t.Helper()
	cfg := testConfig()
	cfg.Health.Interval = time.Hour
	b := New(cfg, nil)
	t.Cleanup(b.Close)
	b.Register("a", rawTarget(t, body))
	waitState(t, b, "a", Healthy)
	return b
}

// A shared listener sends each request to the first route it matches, by the path or
// below it (never /ordersx for /orders), the host in any case and without its port,
// the path without its query; what none takes gets the listener's own 404, and the
// connection carries the next request.
func TestARouterSendsEachRequestToItsRoute(t *testing.T) {
	orders, api, web := healthyBalancer(t, "orders"), healthyBalancer(t, "api"), healthyBalancer(t, "web")
	addr := serveRouter(t, []Route{
		{Host: "api.example.com", Path: "/v1", To: api},
		{Path: "/orders", To: orders},
		{Host: "web.example.com", To: web},
	})
	client := &http.Client{}
	get := func(host, path string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+path, nil)
		req.Host = host
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, c := range []struct {
		host, path string
		code       int
		body       string
	}{
		{"lb.local", "/orders", 200, "orders"},
		{"lb.local", "/orders/1?x=/v1", 200, "orders"},
		{"lb.local", "/ordersx", 404, "no service of this environment answers this host and path"},
		{"API.Example.com:8080", "/v1/items", 200, "api"},
		{"api.example.com", "/v2", 404, ""},
		{"web.example.com", "/anything", 200, "web"},
		{"lb.local", "/", 404, ""},
	} {
		code, body := get(c.host, c.path)
		if code != c.code || !strings.Contains(body, c.body) {
			t.Errorf("%s%s: %d %q, want %d %q", c.host, c.path, code, body, c.code, c.body)
		}
	}
}

// An upstream is the listener of another balancer: always sent to, never checked.
func TestAnUpstreamIsAnotherBalancersListener(t *testing.T) {
	inner := healthyBalancer(t, "inner")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := inner.Server()
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	up := Upstream(ln.Addr().String(), testConfig())
	t.Cleanup(up.Close)
	addr := serveRouter(t, []Route{{Path: "/inner", To: up}})
	resp, err := http.Get("http://" + addr + "/inner/x")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "inner" {
		t.Errorf("%d %q", resp.StatusCode, b)
	}
	if ts := up.Targets(); len(ts) != 1 || ts[0].State != Healthy {
		t.Errorf("targets %+v", ts)
	}
}

// Routing a request allocates nothing either: the shared listener costs what the
// balancer's own does.
func TestRoutingDoesNotAllocatePerRequest(t *testing.T) {
	if testing.Short() {
		t.Skip("measures")
	}
	b := healthyBalancer(t, strings.Repeat("x", 180))
	other := healthyBalancer(t, "other")
	addr := serveRouter(t, []Route{{Host: "api.example.com", Path: "/v1", To: other}, {Path: "/orders", To: other}, {To: b}})
	c, err := newRawClient(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	allocs := testing.AllocsPerRun(2000, func() {
		if err := c.get(); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 0.1 {
		t.Errorf("%.2f allocations per routed request, want none", allocs)
	}
}

// BenchmarkRoutedProxy is BenchmarkProxy through a shared listener whose third route
// takes the request: what routing adds to a request.
func BenchmarkRoutedProxy(b *testing.B) {
	cfg := testConfig()
	cfg.IdleTimeout = time.Minute
	cfg.Health.Interval = time.Hour
	bal := New(cfg, nil)
	b.Cleanup(bal.Close)
	for _, id := range []string{"a", "b"} {
		bal.Register(id, rawTarget(b, strings.Repeat("x", 180)))
	}
	for _, id := range []string{"a", "b"} {
		waitState(b, bal, id, Healthy)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := NewRouter(time.Minute)
	srv.SetRoutes([]Route{{Host: "api.example.com", Path: "/v1", To: bal}, {Path: "/orders", To: bal}, {To: bal}})
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Close() })
	cpu0 := cpuTime()
	b.ReportAllocs()
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		c, err := newRawClient(ln.Addr().String())
		if err != nil {
			b.Error(err)
			return
		}
		defer c.Close()
		for pb.Next() {
			if err := c.get(); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/1e3/float64(b.N), "cpu-µs/req")
	}
}
