package lb

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The request path is written for the cost per request, which on a laptop shares its
// cores with the client and the replicas: each request is forwarded in the goroutine
// that read it, over a pooled keep-alive connection to the target, with no goroutines
// or channels in between (net/http's Transport uses two goroutines per connection and
// hands every request and response across them).

// serve proxies one request and reports whether the client's connection may carry
// another; keep says whether the client asked for that. A request whose connection to
// a target could not be established is retried on another target, since that target
// never saw it; a request that was sent is not, since the target may have acted on it.
func (b *Balancer) serve(cc *clientConn, r *http.Request, keep bool) bool {
	if isUpgrade(r) {
		b.tunnel(cc, r)
		return false
	}
	var buf [4]*target
	tried := buf[:0]
	for {
		t := b.pick(tried)
		if t == nil {
			return b.noTarget(cc, len(tried) > 0, keep)
		}
		tried = append(tried, t)
		if done, k := b.forward(cc, r, t, keep); done {
			return k
		}
	}
}

func (b *Balancer) noTarget(cc *clientConn, tried, keep bool) bool {
	if tried {
		return writeError(cc.bw, http.StatusBadGateway, "502 Bad Gateway: could not connect to any target", keep) == nil && keep
	}
	return writeError(cc.bw, http.StatusServiceUnavailable, "503 Service Unavailable: no healthy target", keep) == nil && keep
}

// forward sends r to t and relays the answer. done is false when no connection to t
// could be established, so r can go elsewhere.
func (b *Balancer) forward(cc *clientConn, r *http.Request, t *target, keep bool) (done, keepAlive bool) {
	t.inflight.Add(1)
	defer t.inflight.Add(-1)
	for {
		bc := t.conns.get()
		if bc == nil {
			c, err := b.dialer.Dial("tcp", t.addr)
			if err != nil {
				return false, false
			}
			bc = newBackendConn(c)
		}
		resp, err := b.roundTrip(cc, bc, r, false)
		if err != nil {
			bc.Close()
			if bc.reused && stale(err) && replayable(r) {
				// the target closed an idle connection as the request went out: like
				// net/http's Transport, try once more on a new connection
				continue
			}
			return true, writeError(cc.bw, http.StatusBadGateway, "502 Bad Gateway", keep) == nil && keep
		}
		return true, b.relay(cc, r, resp, bc, t, keep)
	}
}

func newBackendConn(c net.Conn) *backendConn {
	return &backendConn{Conn: c, br: bufio.NewReaderSize(c, 4<<10), bw: bufio.NewWriterSize(c, 4<<10)}
}

// roundTrip writes r to the target and reads the answer's head.
func (b *Balancer) roundTrip(cc *clientConn, bc *backendConn, r *http.Request, upgrade bool) (*http.Response, error) {
	b.writeHead(bc.bw, r, cc.clientIP, upgrade)
	var werr error
	if r.ContentLength != 0 && strings.EqualFold(r.Header.Get("Expect"), "100-continue") {
		// the client waits for this before it sends the body
		cc.bw.WriteString("HTTP/1.1 100 Continue\r\n\r\n")
		werr = cc.bw.Flush()
	}
	if werr == nil {
		werr = writeBody(bc.bw, r)
	}
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
		if resp.StatusCode == http.StatusSwitchingProtocols && !upgrade {
			return nil, errors.New("target switched protocols on a request that did not ask to")
		}
		return resp, nil
	}
}

// writeHead writes the request line and headers as the target gets them: hop-by-hop
// headers dropped, X-Forwarded-For extended with the client's address,
// X-Forwarded-Proto and -Port set to the listener's, as the ALB does.
func (b *Balancer) writeHead(bw *bufio.Writer, r *http.Request, clientIP string, upgrade bool) {
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
	writeHeader(bw, r.Header, skipRequestHeader)
	bw.WriteString("X-Forwarded-For: ")
	for _, v := range r.Header["X-Forwarded-For"] {
		bw.WriteString(v)
		bw.WriteString(", ")
	}
	bw.WriteString(clientIP)
	bw.WriteString("\r\nX-Forwarded-Proto: ")
	bw.WriteString(b.proto)
	bw.WriteString("\r\nX-Forwarded-Port: ")
	bw.WriteString(b.port)
	bw.WriteString("\r\n")
	if upgrade {
		bw.WriteString("Connection: Upgrade\r\nUpgrade: ")
		bw.WriteString(r.Header.Get("Upgrade"))
		bw.WriteString("\r\n")
	}
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

// writeHeader writes the fields of h that stay on this hop: neither skipped nor named
// by the Connection header.
func writeHeader(bw *bufio.Writer, h http.Header, skip func(string) bool) {
	named := h["Connection"]
	for k, vv := range h {
		if skip(k) || named != nil && listed(named, k) {
			continue
		}
		writeField(bw, k, vv)
	}
}

func writeField(bw *bufio.Writer, k string, vv []string) {
	for _, v := range vv {
		bw.WriteString(k)
		bw.WriteString(": ")
		bw.WriteString(v)
		bw.WriteString("\r\n")
	}
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

// relay writes the answer to the client, and gives the connection to the target back
// to the pool when the answer was read to its end and the target keeps it open. It
// reports whether the client's connection may carry another request.
func (b *Balancer) relay(cc *clientConn, r *http.Request, resp *http.Response, bc *backendConn, t *target, keep bool) bool {
	bw := cc.bw
	hasBody := r.Method != http.MethodHead && bodyAllowed(resp.StatusCode)
	// without a length the body may be a stream (server-sent events, a long download
	// written as it is made): it is chunked to HTTP/1.1 clients, each piece sent as it
	// comes; an HTTP/1.0 client gets it until the connection closes
	chunked := hasBody && resp.ContentLength < 0 && r.ProtoAtLeast(1, 1)
	if hasBody && resp.ContentLength < 0 && !chunked {
		keep = false
	}
	bw.WriteString("HTTP/1.1 ")
	bw.WriteString(resp.Status)
	bw.WriteString("\r\n")
	writeHeader(bw, resp.Header, skipResponseHeader)
	if chunked {
		bw.WriteString("Transfer-Encoding: chunked\r\n")
		if len(resp.Trailer) > 0 {
			names := make([]string, 0, len(resp.Trailer))
			for k := range resp.Trailer {
				names = append(names, k)
			}
			bw.WriteString("Trailer: " + strings.Join(names, ", ") + "\r\n")
		}
	}
	switch {
	case !keep:
		bw.WriteString("Connection: close\r\n")
	case !r.ProtoAtLeast(1, 1):
		bw.WriteString("Connection: keep-alive\r\n")
	}
	bw.WriteString("\r\n")

	var err error
	if hasBody {
		bufp := buffers.Get().(*[]byte)
		err = copyBody(bw, resp.Body, *bufp, chunked, resp.ContentLength < 0)
		buffers.Put(bufp)
	}
	if err == nil && chunked {
		bw.WriteString("0\r\n")
		for k, vv := range resp.Trailer {
			writeField(bw, k, vv)
		}
		bw.WriteString("\r\n")
	}
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		// the client has part of an answer: its connection is cut rather than let a
		// truncated body pass for a whole one
		bc.Close()
		return false
	}
	if resp.Close {
		bc.Close()
	} else {
		t.conns.put(bc)
	}
	return keep
}

// copyBody copies a body to the client; a stream is flushed piece by piece.
func copyBody(bw *bufio.Writer, body io.Reader, buf []byte, chunked, stream bool) error {
	for {
		n, rerr := body.Read(buf)
		if n > 0 {
			if chunked {
				bw.WriteString(strconv.FormatInt(int64(n), 16))
				bw.WriteString("\r\n")
			}
			if _, err := bw.Write(buf[:n]); err != nil {
				return err
			}
			if chunked {
				bw.WriteString("\r\n")
			}
			if stream {
				if err := bw.Flush(); err != nil {
					return err
				}
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

// bodyAllowed is RFC 9110's rule: 1xx, 204 and 304 answers have no body.
func bodyAllowed(code int) bool {
	return code >= 200 && code != http.StatusNoContent && code != http.StatusNotModified
}

func isUpgrade(r *http.Request) bool {
	return r.Header["Upgrade"] != nil && listed(r.Header["Connection"], "Upgrade")
}

// tunnel serves a request that switches protocols (WebSocket, which the ALB
// supports): once the target answers 101, bytes flow both ways until either side
// closes.
func (b *Balancer) tunnel(cc *clientConn, r *http.Request) {
	var buf [4]*target
	tried := buf[:0]
	var t *target
	var bc *backendConn
	for bc == nil {
		if t = b.pick(tried); t == nil {
			b.noTarget(cc, len(tried) > 0, false)
			return
		}
		tried = append(tried, t)
		if c, err := b.dialer.Dial("tcp", t.addr); err == nil {
			bc = newBackendConn(c)
		}
	}
	t.inflight.Add(1)
	defer t.inflight.Add(-1)
	defer bc.Close()
	resp, err := b.roundTrip(cc, bc, r, true)
	if err != nil {
		writeError(cc.bw, http.StatusBadGateway, "502 Bad Gateway", false)
		return
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		resp.Close = true // this connection asked for an upgrade: not for the pool
		b.relay(cc, r, resp, bc, t, false)
		return
	}
	cc.bw.WriteString("HTTP/1.1 ")
	cc.bw.WriteString(resp.Status)
	cc.bw.WriteString("\r\n")
	for k, vv := range resp.Header {
		writeField(cc.bw, k, vv)
	}
	cc.bw.WriteString("\r\n")
	if cc.bw.Flush() != nil {
		return
	}
	cc.c.SetReadDeadline(time.Time{})
	done := make(chan struct{})
	go func() {
		io.Copy(bc.Conn, cc.br) // what the client sent after its request, then the rest
		bc.Conn.(interface{ CloseWrite() error }).CloseWrite()
		close(done)
	}()
	io.Copy(cc.c, bc.br)
	cc.c.Close()
	<-done
}

// skipRequestHeader drops the hop-by-hop headers (RFC 9110 7.6.1), what the balancer
// writes itself, and Expect: the balancer answers 100-continue itself, so the target
// gets the body without waiting.
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

// listed reports whether a Connection header names k.
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
		reset(err)
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
