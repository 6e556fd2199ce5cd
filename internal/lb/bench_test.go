package lb

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// BenchmarkProxy is a small GET through the balancer over keep-alive connections, from
// parallel clients, to two targets: the per-request cost scripts/bench-local.sh
// measures end to end, here in-process so that a CPU profile shows the proxy's part:
//
//	go test ./internal/lb -run '^$' -bench Proxy -cpuprofile /tmp/lb.prof
//
// The clients and targets speak HTTP/1.1 by hand on raw connections and allocate
// nothing per request, so allocs/op is the balancer's own, and a change that makes it
// grow shows in review (TestProxyDoesNotAllocatePerRequest holds the line).
// cpu-µs/req is the whole process's user and system time per request (clients and
// targets included; theirs is small and constant).
func BenchmarkProxy(b *testing.B) { benchProxy(b, false) }

// BenchmarkProxySplit is the same through a split: 5 % of the requests to one target's
// group, the rest to the other's, as during berth up's canary.
func BenchmarkProxySplit(b *testing.B) { benchProxy(b, true) }

func benchProxy(b *testing.B, split bool) {
	hostport := proxyFixture(b, split)
	cpu0 := cpuTime()
	b.ReportAllocs()
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		c, err := newRawClient(hostport)
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

// Once its buffers are warm, the balancer allocates nothing to proxy a keep-alive GET
// with a sized answer, with or without a split: heads are parsed in place, and buffers
// and connections reused.
func TestProxyDoesNotAllocatePerRequest(t *testing.T) {
	if testing.Short() {
		t.Skip("measures")
	}
	for _, cloudfront := range []bool{false, true} { // and with the headers of CloudFront's
		for _, split := range []bool{false, true} { // and through a canary's split
			t.Run(fmt.Sprintf("cloudfront=%v,split=%v", cloudfront, split), func(t *testing.T) {
				c, err := newRawClient(proxyFixture(t, split, func(c *Config) { c.CloudFront = cloudfront }))
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				if allocs := allocsPerGet(t, c); allocs > 0.1 {
					// 0 in a quiet process; the runtime and the test's own timers may add
					// a few over 2000 runs
					t.Errorf("%.2f allocations per request, want none", allocs)
				}
			})
		}
	}
}

func allocsPerGet(t *testing.T, c *rawClient) float64 {
	// the same measure as testing.AllocsPerRun, over the whole process: the work is
	// in the balancer's goroutines
	return testing.AllocsPerRun(2000, func() {
		if err := c.get(); err != nil {
			t.Fatal(err)
		}
	})
}

// proxyFixture is a balancer with two raw targets answering a 180-byte body, about the
// example API's identity answer; with split, each target is a group of its own and 5 %
// of the requests go to b's.
func proxyFixture(tb testing.TB, split bool, configure ...func(*Config)) string {
	tb.Helper()
	cfg := testConfig()
	for _, f := range configure {
		f(&cfg)
	}
	cfg.IdleTimeout = time.Minute
	cfg.Health.Interval = time.Hour // no checks while measuring, after the first
	bal := New(cfg, nil)
	tb.Cleanup(bal.Close)
	for _, id := range []string{"a", "b"} {
		bal.RegisterIn(id, id, rawTarget(tb, strings.Repeat("x", 180)))
	}
	if split {
		bal.SetSplit(Split{Group: "b", Percent: 5})
	}
	for _, id := range []string{"a", "b"} {
		waitState(tb, bal, id, Healthy)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	srv := bal.Server()
	go srv.Serve(ln)
	tb.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// rawTarget answers every request on a connection with the same 200, allocating
// nothing per request: it reads up to each head's end and writes the prepared answer.
func rawTarget(tb testing.TB, body string) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	answer := []byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
		strconv.Itoa(len(body)) + "\r\n\r\n" + body)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	tb.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close() // the balancer's pooled connections: it is closed after this
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					// a request of the benchmark's has no body: its head ends the request
					for {
						line, err := br.ReadSlice('\n')
						if err != nil {
							return
						}
						if len(line) <= 2 {
							break
						}
					}
					if _, err := c.Write(answer); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// rawClient sends a GET on a keep-alive connection and reads the whole answer by its
// Content-Length, allocating nothing per request.
type rawClient struct {
	net.Conn
	br  *bufio.Reader
	req []byte
}

func newRawClient(hostport string) (*rawClient, error) {
	c, err := net.Dial("tcp", hostport)
	if err != nil {
		return nil, err
	}
	return &rawClient{Conn: c, br: bufio.NewReader(c),
		req: []byte("GET / HTTP/1.1\r\nHost: bench\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n")}, nil
}

var clPrefix = []byte("content-length: ")

func (c *rawClient) get() error {
	if _, err := c.Write(c.req); err != nil {
		return err
	}
	length, status := -1, false
	for {
		line, err := c.br.ReadSlice('\n')
		if err != nil {
			return err
		}
		if !status {
			if !bytes.HasPrefix(line, []byte("HTTP/1.1 200 ")) {
				return errStatus(line)
			}
			status = true
			continue
		}
		if len(line) <= 2 {
			break
		}
		if len(line) > len(clPrefix) && bytes.EqualFold(line[:len(clPrefix)], clPrefix) {
			length, _ = strconv.Atoi(string(bytes.TrimSpace(line[len(clPrefix):])))
		}
	}
	if length < 0 {
		return errStatus([]byte("no Content-Length"))
	}
	_, err := c.br.Discard(length)
	return err
}

type errStatus []byte

func (e errStatus) Error() string { return "unexpected answer: " + string(e) }
