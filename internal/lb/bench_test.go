package lb

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// BenchmarkProxy is a small GET through the balancer over keep-alive connections, from
// parallel clients, to two targets: the per-request cost scripts/bench-local.sh
// measures end to end, here in-process so that a CPU profile shows the proxy's part:
//
//	go test ./internal/lb -run '^$' -bench Proxy -cpuprofile /tmp/lb.prof
func BenchmarkProxy(b *testing.B) {
	body := strings.Repeat("x", 180) // about the example API's identity answer
	var targets []string
	for range 2 {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, body)
		}))
		b.Cleanup(s.Close)
		targets = append(targets, strings.TrimPrefix(s.URL, "http://"))
	}
	cfg := testConfig()
	cfg.IdleTimeout = time.Minute
	bal := New(cfg, nil)
	b.Cleanup(bal.Close)
	for i, t := range targets {
		bal.Register(string(rune('a'+i)), t)
	}
	for _, id := range []string{"a", "b"} {
		for s, _ := bal.State(id); s != Healthy; s, _ = bal.State(id) {
			time.Sleep(10 * time.Millisecond)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := bal.Server()
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Close() })
	url := "http://" + ln.Addr().String() + "/"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

	b.ReportAllocs()
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Get(url)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
}
