package lb

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// serve puts the balancer on a loopback listener, with one healthy target running h.
func serve(t *testing.T, h http.HandlerFunc) (url string, backend *httptest.Server) {
	t.Helper()
	backend = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/health" {
			return
		}
		h(w, r)
	}))
	t.Cleanup(backend.Close)
	b := New(testConfig(), nil)
	t.Cleanup(b.Close)
	b.Register("t", addr(backend))
	waitState(t, b, "t", Healthy)
	return front(t, b), backend
}

// A body written piece by piece reaches the client piece by piece.
func TestStreamingResponseIsNotBuffered(t *testing.T) {
	next := make(chan struct{})
	url, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: one\n\n")
		w.(http.Flusher).Flush()
		<-next
		io.WriteString(w, "data: two\n\n")
	})
	resp, err := http.Get(url + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	got := make(chan string, 1)
	go func() { line, _ := br.ReadString('\n'); got <- line }()
	select {
	case line := <-got:
		if line != "data: one\n" {
			t.Errorf("first piece %q", line)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("the first piece did not arrive before the second was written")
	}
	close(next)
	rest, _ := io.ReadAll(br)
	if string(rest) != "\ndata: two\n\n" || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Errorf("rest %q, content type %q", rest, resp.Header.Get("Content-Type"))
	}
}

// A request body without a length (chunked) and one with a length both arrive whole;
// Expect: 100-continue is answered by the balancer.
func TestRequestBodiesArriveWhole(t *testing.T) {
	url, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%d %v %s", r.ContentLength, r.TransferEncoding, b)
	})
	pr, pw := io.Pipe()
	go func() { io.WriteString(pw, "streamed "); io.WriteString(pw, "body"); pw.Close() }()
	resp, err := http.Post(url+"/", "text/plain", pr)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "-1 [chunked] streamed body" {
		t.Errorf("chunked upload: %q", b)
	}
	req, _ := http.NewRequest("PUT", url+"/", strings.NewReader("0123456789"))
	req.Header.Set("Expect", "100-continue")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "10 [] 0123456789" {
		t.Errorf("sized upload: %q", b)
	}
}

// Hop-by-hop headers stay on their hop; X-Forwarded-For is extended, -Proto and -Port
// are the listener's; HEAD gets the length without a body.
func TestHeadersAsTheALBForwardsThem(t *testing.T) {
	url, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "5")
		w.Header().Set("Keep-Alive", "timeout=5")
		w.Header().Set("X-Seen", strings.Join([]string{r.Header.Get("X-Forwarded-For"), r.Header.Get("X-Forwarded-Proto"),
			r.Header.Get("X-Forwarded-Port"), r.Header.Get("X-Private"), r.Header.Get("Keep-Alive"), r.Host}, "|"))
		io.WriteString(w, "hello")
	})
	req, _ := http.NewRequest("HEAD", url+"/x?y=1", nil)
	req.Host = "api.example"
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	req.Header.Set("X-Forwarded-Proto", "https")
	req.Header.Set("Connection", "X-Private")
	req.Header.Set("X-Private", "hop")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("X-Seen"); got != "203.0.113.9, 127.0.0.1|http|8080|||api.example" {
		t.Errorf("the target saw %q", got)
	}
	if resp.ContentLength != 5 || resp.Header.Get("Keep-Alive") != "" {
		t.Errorf("HEAD: length %d, Keep-Alive %q", resp.ContentLength, resp.Header.Get("Keep-Alive"))
	}
}

// Requests reuse the balancer's connections to a target; a connection the target closed
// while idle costs no request.
func TestTargetConnectionsAreReused(t *testing.T) {
	var mu sync.Mutex
	conns := map[string]bool{} // the balancer's connections, by their source address
	url, backend := serve(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		conns[r.RemoteAddr] = true
		mu.Unlock()
		io.WriteString(w, "ok")
	})
	client := &http.Client{Transport: &http.Transport{}}
	for i := range 20 {
		resp, err := client.Get(url + "/")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("request %d: %d", i, resp.StatusCode)
		}
		if i == 9 {
			backend.CloseClientConnections() // the target drops its idle connections
		}
	}
	if n := len(conns); n > 2 {
		t.Errorf("%d connections to the target for 20 sequential requests", n)
	}
}

// A WebSocket-style upgrade is handed over: both directions flow after the 101.
func TestUpgradeSwitchesProtocols(t *testing.T) {
	url, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "echo" {
			http.Error(w, "want an upgrade", 400)
			return
		}
		conn, brw, _ := w.(http.Hijacker).Hijack()
		defer conn.Close()
		io.WriteString(conn, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
		line, _ := brw.ReadString('\n')
		io.WriteString(conn, "echo: "+line)
	})
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(conn, "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 101 {
		t.Fatalf("%v %v", resp, err)
	}
	io.WriteString(conn, "ping\n")
	if line, _ := br.ReadString('\n'); line != "echo: ping\n" {
		t.Errorf("after the upgrade: %q", line)
	}
}

// Two requests written back to back on one connection get their answers in order; an
// HTTP/1.0 client gets a body of unknown length until the connection closes.
func TestPipeliningAndHTTP10(t *testing.T) {
	url, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.(http.Flusher).Flush() // no length: chunked from the target
		io.WriteString(w, "path "+r.URL.Path)
	})
	hostport := strings.TrimPrefix(url, "http://")
	conn, err := net.Dial("tcp", hostport)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(conn, "GET /one HTTP/1.1\r\nHost: x\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(conn)
	for _, want := range []string{"path /one", "path /two"} {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		if string(b) != want || resp.TransferEncoding == nil {
			t.Errorf("got %q (%v), want %q chunked", b, resp.TransferEncoding, want)
		}
	}

	old, err := net.Dial("tcp", hostport)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	old.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(old, "GET /old HTTP/1.0\r\n\r\n")
	all, _ := io.ReadAll(old) // ends when the balancer closes
	if !strings.HasSuffix(string(all), "\r\n\r\npath /old") || !strings.Contains(string(all), "Connection: close") {
		t.Errorf("HTTP/1.0 answer %q", all)
	}
}

// Shutdown refuses new connections and waits for the request in flight.
func TestShutdownWaitsForRequestsInFlight(t *testing.T) {
	backend, release := blocking(t)
	b := New(testConfig(), nil)
	defer b.Close()
	b.Register("t", addr(backend))
	waitState(t, b, "t", Healthy)
	url, srv := frontServer(t, b)
	hostport := strings.TrimPrefix(url, "http://")
	got := make(chan string, 1)
	go func() {
		resp, err := http.Get(url + "/slow")
		if err != nil {
			got <- err.Error()
			return
		}
		body, _ := io.ReadAll(resp.Body)
		got <- string(body)
	}()
	time.Sleep(100 * time.Millisecond)
	done := make(chan error, 1)
	go func() { done <- srv.Shutdown(context.Background()) }()
	time.Sleep(100 * time.Millisecond)
	if c, err := net.DialTimeout("tcp", hostport, time.Second); err == nil {
		c.Close()
		t.Error("a new connection was accepted during shutdown")
	}
	select {
	case <-done:
		t.Fatal("shutdown returned with a request in flight")
	default:
	}
	close(release)
	if body := <-got; body != "finished" {
		t.Errorf("the request in flight got %q", body)
	}
	if err := <-done; err != nil {
		t.Errorf("shutdown: %v", err)
	}
}

// Behind CloudFront and an internal ALB (edge: cloudfront) the target sees what it
// will see there: the viewer's address then the edge's in X-Forwarded-For, the internal
// load balancer's HTTP listener in X-Forwarded-Proto and -Port, and CloudFront's own
// headers, which a viewer cannot set, for what the viewer used.
func TestHeadersAsCloudFrontAndTheALBForwardThem(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Seen", strings.Join([]string{r.Header.Get("X-Forwarded-For"), r.Header.Get("X-Forwarded-Proto"), r.Header.Get("X-Forwarded-Port"),
			r.Header.Get("CloudFront-Forwarded-Proto"), strings.Join(r.Header.Values("CloudFront-Viewer-Address"), ";"), r.Host}, "|"))
	}))
	t.Cleanup(backend.Close)
	cfg := testConfig()
	cfg.Proto, cfg.ListenerPort, cfg.CloudFront = "https", 8443, true
	b := New(cfg, nil)
	t.Cleanup(b.Close)
	b.Register("t", addr(backend))
	waitState(t, b, "t", Healthy)
	url := front(t, b)

	// the client's own source port, to compare with CloudFront-Viewer-Address
	var port string
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, a string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, a)
		if err == nil {
			_, port, _ = net.SplitHostPort(c.LocalAddr().String())
		}
		return c, err
	}}}
	req, _ := http.NewRequest("GET", url+"/x", nil)
	req.Host = "api.example.com"
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	req.Header.Set("CloudFront-Viewer-Address", "198.51.100.7:1")
	req.Header.Set("CloudFront-Forwarded-Proto", "http")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	want := "203.0.113.9, 127.0.0.1, 127.0.0.1|http|80|https|127.0.0.1:" + port + "|api.example.com"
	if got := resp.Header.Get("X-Seen"); got != want {
		t.Errorf("the target saw\n %q\nwant\n %q", got, want)
	}
}
