package lb

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The request path is written for the cost per request, which on a laptop shares its
// cores with the client and the replicas: each request is forwarded in the goroutine
// that serves it, over a pooled keep-alive connection to the target, with no
// goroutines or channels in between (net/http's Transport uses two goroutines per
// connection and hands every request and response across them). Requests that switch
// protocols (WebSocket) take the general path in upgrade.go.

// ServeHTTP proxies one request. A request whose connection to a target could not be
// established is retried on another target, since that target never saw it; a request
// that was sent is not, since the target may have acted on it.
func (b *Balancer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header["Upgrade"] != nil {
		b.upgrades.ServeHTTP(w, r)
		return
	}
	var buf [4]*target
	tried := buf[:0]
	for {
		t := b.pick(tried)
		if t == nil {
			if len(tried) > 0 {
				http.Error(w, "502 Bad Gateway: could not connect to any target", http.StatusBadGateway)
				return
			}
			http.Error(w, "503 Service Unavailable: no healthy target", http.StatusServiceUnavailable)
			return
		}
		tried = append(tried, t)
		if b.forward(w, r, t) {
			return
		}
	}
}

// forward sends r to t and relays the answer; false means no connection to t could
// be established, so r can go elsewhere.
func (b *Balancer) forward(w http.ResponseWriter, r *http.Request, t *target) bool {
	t.inflight.Add(1)
	defer t.inflight.Add(-1)
	for {
		bc := t.conns.get()
		if bc == nil {
			c, err := b.dialer.DialContext(r.Context(), "tcp", t.addr)
			if err != nil {
				return r.Context().Err() != nil // a client that left needs no retry
			}
			bc = &backendConn{Conn: c, br: bufio.NewReaderSize(c, 4<<10), bw: bufio.NewWriterSize(c, 4<<10)}
		}
		// a client that goes away takes its request to the target with it
		stop := context.AfterFunc(r.Context(), func() { bc.SetDeadline(time.Unix(1, 0)) })
		resp, err := b.roundTrip(bc, r)
		if err != nil {
			stop()
			bc.Close()
			if bc.reused && stale(err) && replayable(r) {
				// the target closed an idle connection as the request went out: like
				// net/http's Transport, try once more on a new connection
				continue
			}
			if r.Context().Err() == nil {
				http.Error(w, "502 Bad Gateway", http.StatusBadGateway)
			}
			return true
		}
		b.relay(w, resp, bc, t, stop)
		return true
	}
}

// roundTrip writes r to the target and reads the answer's head.
func (b *Balancer) roundTrip(bc *backendConn, r *http.Request) (*http.Response, error) {
	b.writeHead(bc.bw, r)
	werr := writeBody(bc.bw, r)
	if werr == nil {
		werr = bc.bw.Flush()
	}
	for {
		resp, err := http.ReadResponse(bc.br, r)
		if err != nil {
			if werr != nil {
				return nil, werr
			}
			return nil, err
		}
		if resp.StatusCode < 200 && resp.StatusCode != http.StatusSwitchingProtocols {
			continue // 1xx informational (103 Early Hints): the final answer follows
		}
		if resp.StatusCode == http.StatusSwitchingProtocols {
			return nil, errors.New("target switched protocols on a request that did not ask to")
		}
		return resp, nil
	}
}

// writeHead writes the request line and headers as the target gets them: hop-by-hop
// headers dropped, X-Forwarded-For extended with the client's address,
// X-Forwarded-Proto and -Port set to the listener's, as the ALB does.
func (b *Balancer) writeHead(bw *bufio.Writer, r *http.Request) {
	uri := r.RequestURI
	if uri == "" || uri[0] != '/' && uri != "*" {
		uri = r.URL.RequestURI() // absolute-form: the target gets origin-form
	}
	bw.WriteString(r.Method)
	bw.WriteByte(' ')
	bw.WriteString(uri)
	bw.WriteString(" HTTP/1.1\r\nHost: ")
	bw.WriteString(r.Host)
	bw.WriteString("\r\n")
	named := r.Header["Connection"]
	for k, vv := range r.Header {
		if skipRequestHeader(k) || named != nil && listed(named, k) {
			continue
		}
		for _, v := range vv {
			bw.WriteString(k)
			bw.WriteString(": ")
			bw.WriteString(v)
			bw.WriteString("\r\n")
		}
	}
	bw.WriteString("X-Forwarded-For: ")
	for _, v := range r.Header["X-Forwarded-For"] {
		bw.WriteString(v)
		bw.WriteString(", ")
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		bw.WriteString(host)
	} else {
		bw.WriteString(r.RemoteAddr)
	}
	bw.WriteString("\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Port: ")
	bw.WriteString(b.port)
	bw.WriteString("\r\n")
	switch {
	case r.ContentLength > 0:
		bw.WriteString("Content-Length: ")
		bw.WriteString(strconv.FormatInt(r.ContentLength, 10))
		bw.WriteString("\r\n")
	case r.ContentLength < 0:
		bw.WriteString("Transfer-Encoding: chunked\r\n")
	case r.Method == http.MethodPost || r.Method == http.MethodPut || r.Method == http.MethodPatch:
		bw.WriteString("Content-Length: 0\r\n")
	}
	bw.WriteString("\r\n")
}

// writeBody streams the request body: as is with a length, re-chunked without one.
func writeBody(bw *bufio.Writer, r *http.Request) error {
	switch {
	case r.ContentLength > 0:
		_, err := io.Copy(bw, r.Body)
		return err
	case r.ContentLength < 0:
		cw := httputil.NewChunkedWriter(bw)
		if _, err := io.Copy(cw, r.Body); err != nil {
			return err
		}
		if err := cw.Close(); err != nil {
			return err
		}
		_, err := bw.WriteString("\r\n")
		return err
	}
	return nil
}

// relay copies the answer to the client and gives the connection back to the pool
// when the answer was read to its end and the target keeps it open.
func (b *Balancer) relay(w http.ResponseWriter, resp *http.Response, bc *backendConn, t *target, stop func() bool) {
	h := w.Header()
	named := resp.Header["Connection"]
	for k, vv := range resp.Header {
		if skipResponseHeader(k) || named != nil && listed(named, k) {
			continue
		}
		h[k] = vv
	}
	for k := range resp.Trailer {
		h.Add("Trailer", k)
	}
	w.WriteHeader(resp.StatusCode)
	// without a length the body may be a stream (server-sent events, a long download
	// written as it is made): each piece goes out as soon as it comes in
	streaming := resp.ContentLength < 0
	bufp := buffers.Get().(*[]byte)
	err := copyBody(w, resp.Body, *bufp, streaming)
	buffers.Put(bufp)
	reusable := stop() && err == nil && !resp.Close
	if err != nil {
		bc.Close()
		// the client has part of an answer: cut its connection rather than let a
		// truncated body pass for a whole one
		panic(http.ErrAbortHandler)
	}
	for k, vv := range resp.Trailer {
		h[http.TrailerPrefix+k] = vv
	}
	if reusable {
		t.conns.put(bc)
	} else {
		bc.Close()
	}
}

func copyBody(w http.ResponseWriter, body io.Reader, buf []byte, flush bool) error {
	var f http.Flusher
	if flush {
		f, _ = w.(http.Flusher)
	}
	for {
		n, rerr := body.Read(buf)
		if n > 0 {
			if _, err := w.Write(buf[:n]); err != nil {
				return err
			}
			if f != nil {
				f.Flush()
			}
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return rerr
		}
	}
}

// skipRequestHeader drops the hop-by-hop headers (RFC 9110 7.6.1), what the balancer
// writes itself, and Expect: the client's 100-continue is answered by this server when
// the body is read, so the target gets the body without waiting.
func skipRequestHeader(k string) bool {
	switch k {
	case "Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization",
		"Te", "Trailer", "Transfer-Encoding", "Upgrade",
		"Content-Length", "Expect", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Port":
		return true
	}
	return false
}

func skipResponseHeader(k string) bool {
	switch k {
	case "Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization",
		"Te", "Trailer", "Transfer-Encoding", "Upgrade":
		return true
	}
	return false
}

// listed reports whether a Connection header names k as hop-by-hop.
func listed(connection []string, k string) bool {
	for _, v := range connection {
		for f := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(f), k) {
				return true
			}
		}
	}
	return false
}

// stale reports an error that a connection closed by the target before it read the
// request gives: nothing came back at all.
func stale(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// replayable is net/http's rule for sending a request again: no body, and a method
// that does not change anything.
func replayable(r *http.Request) bool {
	if r.Body != nil && r.Body != http.NoBody {
		return false
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	return false
}

var buffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}
