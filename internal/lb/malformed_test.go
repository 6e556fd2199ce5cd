package lb

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// hostile is a balancer in front of one target that counts the requests it gets and
// marks its answers, so that a test can tell an answer of the balancer's own from a
// forwarded one.
func hostile(t testing.TB) (hostport string, reached *atomic.Int64) {
	t.Helper()
	reached = new(atomic.Int64)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/health" {
			return
		}
		reached.Add(1)
		io.Copy(io.Discard, r.Body)
		w.Header().Set("X-From-Target", "1")
		io.WriteString(w, "target")
	}))
	t.Cleanup(target.Close)
	b := New(testConfig(), nil)
	t.Cleanup(b.Close)
	b.Register("t", addr(target))
	waitState(t, b, "t", Healthy)
	return strings.TrimPrefix(front(t, b), "http://"), reached
}

// The balancer's answers to malformed requests, as the ALB gives them. The sources:
//   - "Quotas for your Application Load Balancers", HTTP headers
//     (docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html):
//     request line 16K, single header 16K, whole request header 64K;
//   - "Desync mitigation mode" (the load balancer attribute
//     routing.http.desync_mitigation_mode, docs.aws.amazon.com/elasticloadbalancing/
//     latest/application/application-load-balancers.html#desync-mitigation-mode) and
//     the classification of the library behind it (github.com/aws/http-desync-guardian,
//     docs/README.md): Content-Length with Transfer-Encoding, duplicate Content-Length
//     and multi-line headers are Ambiguous; different Content-Lengths, a bad
//     Content-Length, an unknown Transfer-Encoding, CR or NUL in a header are Severe.
//     Severe requests are blocked with a 400 and the connection closed; the strictest
//     mode blocks Ambiguous ones too, and so does the local balancer: a local stand-in
//     that let them through would hide what the ALB may refuse.
//
// Every case is answered at once, with Connection: close, the connection is closed,
// and the target never sees the request.
func TestMalformedRequestsAreAnsweredLikeTheALB(t *testing.T) {
	hostport, reached := hostile(t)
	long := func(n int) string { return strings.Repeat("a", n) }
	// a request line of exactly n bytes, CRLF not counted
	line := func(n int) string { return "GET /" + long(n-len("GET / HTTP/1.1")) + " HTTP/1.1" }
	field := func(n int) string { return "X-Big: " + long(n-len("X-Big: ")) } // a header line of n bytes
	for _, tc := range []struct {
		name string
		req  string
		code int // 0: forwarded to the target
	}{
		{"fine", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 0},
		{"HTTP/1.0 needs no Host", "GET / HTTP/1.0\r\n\r\n", 0},

		// desync: Ambiguous and Severe framing
		{"smuggling: Content-Length then Transfer-Encoding", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
		{"smuggling: Transfer-Encoding then Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", 400},
		{"duplicate Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx", 400},
		{"different Content-Lengths", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx", 400},
		{"Content-Length list", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1, 1\r\n\r\nx", 400},
		{"signed Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +1\r\n\r\nx", 400},
		{"unknown Transfer-Encoding", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 400},
		{"chunked twice", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
		{"Transfer-Encoding in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
		{"a header that normalizes to Transfer-Encoding", "POST / HTTP/1.1\r\nHost: x\r\nTransfer_Encoding: chunked\r\nContent-Length: 1\r\n\r\nx", 400},
		{"space before the colon", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\nContent-Length: 1\r\n\r\nx", 400},
		{"obsolete line folding", "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n 2\r\n\r\n", 400},
		{"bare LF everywhere", "GET / HTTP/1.1\nHost: x\n\n", 400},
		{"bare LF in one field", "GET / HTTP/1.1\r\nHost: x\nX-A: 1\r\n\r\n", 400},
		{"CR inside a field", "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r2\r\n\r\n", 400},
		{"NUL in a field", "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\x002\r\n\r\n", 400},
		{"no colon", "GET / HTTP/1.1\r\nHost: x\r\nX-A\r\n\r\n", 400},

		// the request line and Host
		{"no Host", "GET / HTTP/1.1\r\n\r\n", 400},
		{"two Hosts", "GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", 400},
		{"malformed Host", "GET / HTTP/1.1\r\nHost: x y\r\n\r\n", 400},
		{"two spaces", "GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400},
		{"no version (HTTP/0.9)", "GET /\r\n\r\n", 400},
		{"bad method", "G(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400},
		{"control character in the target", "GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n", 400},
		{"HTTP/2 on HTTP/1", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505},

		// sizes: request line 16K → 414, a header 16K or all of them 64K → 431
		{"request line of 16K", line(16<<10) + "\r\nHost: x\r\n\r\n", 0},
		{"request line over 16K", line(16<<10+1) + "\r\nHost: x\r\n\r\n", 414},
		{"header of 16K", "GET / HTTP/1.1\r\nHost: x\r\n" + field(16<<10) + "\r\n\r\n", 0},
		{"header over 16K", "GET / HTTP/1.1\r\nHost: x\r\n" + field(16<<10+1) + "\r\n\r\n", 431},
		{"headers over 64K", "GET / HTTP/1.1\r\nHost: x\r\n" + strings.Repeat(field(15<<10)+"\r\n", 5) + "\r\n", 431},

		// a chunk size no body has: refused before anything is forwarded, not waited for
		{"absurd chunk size", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nab", 400},
		{"chunk size over 64 bits", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\nab", 400},
		{"chunk size not hex", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := reached.Load()
			resp, closed, err := exchange(hostport, tc.req)
			if err != nil {
				t.Fatal(err)
			}
			forwarded := reached.Load() > before
			if tc.code == 0 {
				if resp.StatusCode != 200 || !forwarded || resp.Header.Get("X-From-Target") == "" {
					t.Errorf("%d, forwarded %v: want the target's 200", resp.StatusCode, forwarded)
				}
				return
			}
			if resp.StatusCode != tc.code || forwarded || resp.Header.Get("X-From-Target") != "" {
				t.Errorf("%d, forwarded %v: want the balancer's %d", resp.StatusCode, forwarded, tc.code)
			}
			if !resp.Close || !closed {
				t.Errorf("Connection: close %v, closed %v: want both", resp.Close, closed)
			}
		})
	}
}

// exchange writes req on a new connection, leaves it open, and reads one answer and
// whether the balancer then closed the connection; no answer within 3 s is an error.
func exchange(hostport, req string) (resp *http.Response, closed bool, err error) {
	c, err := net.Dial("tcp", hostport)
	if err != nil {
		return nil, false, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(3 * time.Second))
	go io.WriteString(c, req) // the balancer may answer before it has read it all
	br := bufio.NewReader(c)
	resp, err = http.ReadResponse(br, nil)
	if err != nil {
		return nil, false, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if !resp.Close {
		return resp, false, nil
	}
	_, err = br.ReadByte()
	return resp, errors.Is(err, io.EOF) || !errors.Is(err, os.ErrDeadlineExceeded), nil
}

// A client that stops in the middle of a body does not leave the balancer, or the
// target, waiting for the rest.
func TestTruncatedBodyDoesNotHang(t *testing.T) {
	hostport, _ := hostile(t)
	for _, req := range []string{
		"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab",
		"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
	} {
		c, err := net.Dial("tcp", hostport)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(3 * time.Second))
		io.WriteString(c, req)
		c.(*net.TCPConn).CloseWrite()
		_, err = io.ReadAll(c)
		c.Close()
		if err != nil {
			t.Errorf("%q: %v", req, err)
		}
	}
}

// FuzzRequestHead sends raw bytes to the balancer, as a client that then stops
// sending would. Whatever they are, the balancer closes the connection within a
// bounded time (it never waits on its own for bytes that will not come), and when
// the first request's framing is ambiguous (see ambiguousHead), no answer comes from
// the target: it was never forwarded.
//
//	go test ./internal/lb -run '^$' -fuzz FuzzRequestHead -fuzztime 30s
func FuzzRequestHead(f *testing.F) {
	for _, s := range []string{
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET / HTTP/1.0\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
		"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab",
		"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
		"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffff\r\n",
		"GET / HTTP/1.1\nHost: x\n\n",
		"GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n",
		"GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n",
		"PUT / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx",
	} {
		f.Add([]byte(s))
	}
	hostport, _ := hostile(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := net.Dial("tcp", hostport)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		go func() {
			c.Write(data)
			c.(*net.TCPConn).CloseWrite()
		}()
		got, err := io.ReadAll(c)
		if err != nil && !errors.Is(err, net.ErrClosed) && !isReset(err) {
			t.Fatalf("no close after the client stopped sending: %v", err)
		}
		if ambiguousHead(data) && bytes.Contains(got, []byte("X-From-Target")) {
			t.Fatalf("an ambiguous request was forwarded; answer %q", got)
		}
	})
}

func isReset(err error) bool { return reset(err) }

// ambiguousHead reports a first request whose framing two parsers may read
// differently, judged on its own from the raw bytes: a bare LF or a folded line in
// the head, or a body length given twice (Content-Length and Transfer-Encoding, or
// either more than once).
func ambiguousHead(data []byte) bool {
	end := bytes.Index(data, []byte("\n\r\n"))
	if lf := bytes.Index(data, []byte("\n\n")); lf >= 0 && (end < 0 || lf < end) {
		return true // a bare LF ends the head
	}
	if end < 0 {
		return false // no complete head: nothing to forward
	}
	lines := bytes.Split(data[:end+1], []byte("\n"))
	var cl, te int
	for i, l := range lines[:len(lines)-1] {
		if !bytes.HasSuffix(l, []byte("\r")) {
			return true
		}
		if i == 0 {
			continue
		}
		if len(l) > 0 && (l[0] == ' ' || l[0] == '\t') {
			return true
		}
		name, _, _ := bytes.Cut(l, []byte(":"))
		switch strings.ToLower(strings.TrimSpace(string(name))) {
		case "content-length":
			cl++
		case "transfer-encoding":
			te++
		}
	}
	return cl > 1 || te > 1 || cl > 0 && te > 0
}

// A client that waits for 100 Continue before it sends its body, and gets a final
// answer instead (no target), will not send the body: the balancer says it closes
// and closes, rather than wait for the body to skip it.
func TestExpectContinueWithoutTargetCloses(t *testing.T) {
	b := New(testConfig(), nil)
	defer b.Close()
	hostport := strings.TrimPrefix(front(t, b), "http://")
	resp, closed, err := exchange(hostport, "PUT / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n")
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 503 || !resp.Close || !closed {
		t.Errorf("%d, Connection: close %v, closed %v: want a 503 and the connection closed", resp.StatusCode, resp.Close, closed)
	}
}
