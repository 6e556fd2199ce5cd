package lb

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"strconv"
	"sync"
	"time"

	"github.com/berthdev/berth/internal/lb/wire"
)

// The request path is written for the cost per request, which on a laptop shares its
// cores with the client and the replicas: each request is forwarded in the goroutine
// that read it, over a pooled keep-alive connection to the target, with no goroutines
// or channels in between (net/http's Transport uses two goroutines per connection and
// hands every request and response across them).

// serve proxies the request in cc.req and reports whether the client's connection may
// carry another; keep says whether the client asked for that. A request whose
// connection to a target could not be established is retried on another target,
// since that target never saw it; a request that was sent is not, since the target
// may have acted on it.
func (b *Balancer) serve(cc *clientConn, keep bool) bool {
	if cc.req.Upgrade != nil {
		b.tunnel(cc)
		return false
	}
	var buf [4]*target
	tried := buf[:0]
	var r route
	for {
		t := b.pick(tried, &r)
		if t == nil {
			return b.noTarget(cc, &r, len(tried) > 0, keep)
		}
		tried = append(tried, t)
		if done, k := b.forward(cc, t, keep); done {
			return k
		}
	}
}

func (b *Balancer) noTarget(cc *clientConn, r *route, tried, keep bool) bool {
	keep = keep && !cc.bodyWithheld()
	counts := &b.unrouted
	if r.unrouted != nil {
		counts = r.unrouted // the split's group's: its share found no target
	}
	if tried {
		counts.record(http.StatusBadGateway, -1)
		return writeError(cc.bw, http.StatusBadGateway, "502 Bad Gateway: could not connect to any target", keep) == nil && keep
	}
	counts.record(http.StatusServiceUnavailable, -1)
	return writeError(cc.bw, http.StatusServiceUnavailable, "503 Service Unavailable: no healthy target", keep) == nil && keep
}

// clientError is a failure on the client's side while a request went out: its body
// could not be read (cut short, or malformed), or the 100 Continue not written.
type clientError struct{ err error }

func (e *clientError) Error() string { return e.err.Error() }
func (e *clientError) Unwrap() error { return e.err }

// forward sends the request to t and relays the answer. done is false when no
// connection to t could be established, so the request can go elsewhere.
func (b *Balancer) forward(cc *clientConn, t *target, keep bool) (done, keepAlive bool) {
	t.inflight.Add(1)
	defer t.inflight.Add(-1)
	sent := time.Now() // TargetResponseTime starts as the request leaves for the target
	for {
		bc := t.conns.get()
		if bc == nil {
			c, err := b.dialer.Dial("tcp", t.addr)
			if err != nil {
				return false, false
			}
			bc = newBackendConn(c)
		}
		err := b.roundTrip(cc, bc, false)
		if err != nil {
			bc.Close() // the target may be waiting for the rest of a body: it gets an EOF
			var ce *clientError
			if errors.As(err, &ce) {
				t.stats.record(http.StatusBadRequest, -1) // the client's fault: a 4xx in the ALB's metrics
				if errors.Is(err, wire.ErrMalformedBody) {
					refuse(cc, http.StatusBadRequest, wire.ErrMalformedBody.Error())
				}
				return true, false
			}
			if bc.reused && stale(err) && replayable(&cc.req) {
				// the target closed an idle connection as the request went out: like
				// net/http's Transport, try once more on a new connection
				continue
			}
			// no answer, no response time: the ALB logs -1 for it
			t.stats.record(http.StatusBadGateway, -1)
			keep = keep && !cc.bodyWithheld()
			return true, writeError(cc.bw, http.StatusBadGateway, "502 Bad Gateway", keep) == nil && keep
		}
		t.stats.record(bc.resp.Code, time.Since(sent))
		return true, b.relay(cc, bc, t, keep)
	}
}

func newBackendConn(c net.Conn) *backendConn {
	bc := &backendConn{Conn: c, sock: newSockIO(c)}
	var r io.Reader = c
	var w io.Writer = c
	if bc.sock != nil {
		r, w = bc.sock, bc.sock
	}
	bc.br, bc.bw = bufio.NewReaderSize(r, 4<<10), bufio.NewWriterSize(w, 4<<10)
	return bc
}

// roundTrip writes the request to the target and reads the answer's head into bc.resp.
func (b *Balancer) roundTrip(cc *clientConn, bc *backendConn, upgrade bool) error {
	h := &cc.req
	b.writeHead(bc.bw, h, cc, upgrade)
	var werr error
	if h.ContentLength != 0 {
		if h.Expect100 && !cc.continued {
			// the client waits for this before it sends the body
			cc.continued = true
			cc.bw.WriteString("HTTP/1.1 100 Continue\r\n\r\n")
			if err := cc.bw.Flush(); err != nil {
				return &clientError{err}
			}
		}
		werr = writeBody(bc.bw, h, &cc.body)
		var ce *clientError
		if errors.As(werr, &ce) {
			return werr
		}
	}
	if werr == nil {
		if bc.sock != nil && !upgrade && h.ContentLength == 0 && bc.bw.Buffered() > 0 {
			// the request's last bytes go out in this one write, nothing can come back
			// before them: wait in it for the answer (sockIO.writeWait)
			bc.sock.setReplyWait()
		}
		werr = bc.bw.Flush()
	}
	for {
		// after a failed write the target may still have answered (and closed)
		if err := wire.ReadResponseHead(bc.br, &bc.resp); err != nil {
			if werr != nil {
				return werr
			}
			return err
		}
		code := bc.resp.Code
		if code < 200 && code != http.StatusSwitchingProtocols {
			continue // 1xx informational (103 Early Hints): the final answer follows
		}
		if code == http.StatusSwitchingProtocols && !upgrade {
			return errors.New("target switched protocols on a request that did not ask to")
		}
		return nil
	}
}

// writeHead writes the request line and headers as the target gets them: hop-by-hop
// headers dropped, X-Forwarded-For extended with the client's address,
// X-Forwarded-Proto and -Port set to the listener's, as the ALB does; behind CloudFront
// (Config.CloudFront) as the target gets them from CloudFront and an internal ALB.
func (b *Balancer) writeHead(bw *bufio.Writer, h *wire.RequestHead, cc *clientConn, upgrade bool) {
	bw.Write(h.Method)
	bw.WriteByte(' ')
	bw.Write(h.Target)
	bw.WriteString(" HTTP/1.1\r\nHost: ")
	bw.Write(h.Host)
	bw.WriteString("\r\n")
	for _, f := range h.Fields {
		if !skipRequestHeader(f.Name) && !h.Named(f.Name) && !(b.cloudfront && cloudFrontHeader(f.Name)) {
			writeField(bw, f)
		}
	}
	bw.WriteString("X-Forwarded-For: ")
	for _, f := range h.Fields {
		if wire.EqualFold(f.Name, "X-Forwarded-For") {
			bw.Write(f.Value)
			bw.WriteString(", ")
		}
	}
	bw.WriteString(cc.clientIP)
	if b.cloudfront {
		// CloudFront appends the viewer's address, the load balancer the edge's
		// ("Request and response behavior for custom origins": client IP addresses)
		bw.WriteString(", ")
		bw.WriteString(cc.edgeIP)
	}
	bw.WriteString("\r\nX-Forwarded-Proto: ")
	bw.WriteString(b.proto)
	bw.WriteString("\r\nX-Forwarded-Port: ")
	bw.WriteString(b.port)
	bw.WriteString("\r\n")
	if b.cloudfront {
		bw.WriteString("CloudFront-Forwarded-Proto: https\r\nCloudFront-Viewer-Address: ")
		bw.WriteString(cc.clientIP)
		bw.WriteByte(':')
		bw.WriteString(cc.clientPort)
		bw.WriteString("\r\n")
	}
	if upgrade {
		bw.WriteString("Connection: Upgrade\r\nUpgrade: ")
		bw.Write(h.Upgrade)
		bw.WriteString("\r\n")
	}
	switch {
	case h.ContentLength > 0:
		bw.WriteString("Content-Length: ")
		var n [20]byte
		bw.Write(strconv.AppendInt(n[:0], h.ContentLength, 10))
		bw.WriteString("\r\n")
	case h.ContentLength < 0:
		bw.WriteString("Transfer-Encoding: chunked\r\n")
	case string(h.Method) == "POST" || string(h.Method) == "PUT" || string(h.Method) == "PATCH":
		bw.WriteString("Content-Length: 0\r\n")
	}
	bw.WriteString("\r\n")
}

func writeField(bw *bufio.Writer, f wire.Field) {
	bw.Write(f.Name)
	bw.WriteString(": ")
	bw.Write(f.Value)
	bw.WriteString("\r\n")
}

// writeBody streams the request body: as is with a length, re-chunked without one.
// A failure to read it is the client's, a clientError.
func writeBody(bw *bufio.Writer, h *wire.RequestHead, body *wire.Body) error {
	src := clientBody{body}
	if h.ContentLength > 0 {
		_, err := io.Copy(bw, src)
		return err
	}
	cw := httputil.NewChunkedWriter(bw)
	if _, err := io.Copy(cw, src); err != nil {
		return err
	}
	if err := cw.Close(); err != nil {
		return err
	}
	_, err := bw.WriteString("\r\n")
	return err
}

// clientBody marks the errors of reading a request body as the client's.
type clientBody struct{ b *wire.Body }

func (c clientBody) Read(p []byte) (int, error) {
	n, err := c.b.Read(p)
	if err != nil && err != io.EOF {
		err = &clientError{err}
	}
	return n, err
}

// relay writes the answer to the client, and gives the connection to the target back
// to the pool when the answer was read to its end and the target keeps it open. It
// reports whether the client's connection may carry another request.
func (b *Balancer) relay(cc *clientConn, bc *backendConn, t *target, keep bool) bool {
	bw, h, resp := cc.bw, &cc.req, &bc.resp
	hasBody := string(h.Method) != "HEAD" && bodyAllowed(resp.Code)
	toClose := hasBody && resp.ContentLength < 0 && !resp.Chunked // the body ends when the target closes
	// without a length the body may be a stream (server-sent events, a long download
	// written as it is made): it is chunked to HTTP/1.1 clients, each piece sent as it
	// comes; an HTTP/1.0 client gets it until the connection closes
	chunked := hasBody && resp.ContentLength < 0 && h.Minor > 0
	if hasBody && resp.ContentLength < 0 && !chunked {
		keep = false
	}
	bw.WriteString("HTTP/1.1 ")
	bw.Write(resp.Status)
	bw.WriteString("\r\n")
	for _, f := range resp.Fields {
		if skipResponseHeader(f.Name) || resp.Named(f.Name) || resp.Chunked && wire.EqualFold(f.Name, "Content-Length") {
			continue
		}
		writeField(bw, f)
	}
	if chunked {
		bw.WriteString("Transfer-Encoding: chunked\r\n")
		for _, f := range resp.Fields {
			if wire.EqualFold(f.Name, "Trailer") {
				writeField(bw, f)
			}
		}
	}
	switch {
	case !keep:
		bw.WriteString("Connection: close\r\n")
	case h.Minor == 0:
		bw.WriteString("Connection: keep-alive\r\n")
	}
	bw.WriteString("\r\n")

	var err error
	if hasBody {
		var trailer *[]byte
		if chunked && resp.Chunked {
			trailer = &bc.trailer
		}
		bc.body.Reset(bc.br, resp.ContentLength, resp.Chunked, toClose, trailer)
		bufp := buffers.Get().(*[]byte)
		err = copyBody(bw, &bc.body, *bufp, chunked, resp.ContentLength < 0)
		buffers.Put(bufp)
	}
	if err == nil && chunked {
		bw.WriteString("0\r\n")
		bw.Write(bc.trailer)
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
	if resp.Close || toClose {
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
				var hex [16]byte
				bw.Write(strconv.AppendInt(hex[:0], int64(n), 16))
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

// tunnel serves a request that switches protocols (WebSocket, which the ALB
// supports): once the target answers 101, bytes flow both ways until either side
// closes.
func (b *Balancer) tunnel(cc *clientConn) {
	var buf [4]*target
	tried := buf[:0]
	var t *target
	var bc *backendConn
	var r route
	for bc == nil {
		if t = b.pick(tried, &r); t == nil {
			b.noTarget(cc, &r, len(tried) > 0, false)
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
	sent := time.Now()
	if err := b.roundTrip(cc, bc, true); err != nil {
		t.stats.record(http.StatusBadGateway, -1)
		writeError(cc.bw, http.StatusBadGateway, "502 Bad Gateway", false)
		return
	}
	t.stats.record(bc.resp.Code, time.Since(sent))
	if bc.resp.Code != http.StatusSwitchingProtocols {
		bc.resp.Close = true // this connection asked for an upgrade: not for the pool
		b.relay(cc, bc, t, false)
		return
	}
	cc.bw.WriteString("HTTP/1.1 ")
	cc.bw.Write(bc.resp.Status)
	cc.bw.WriteString("\r\n")
	for _, f := range bc.resp.Fields {
		writeField(cc.bw, f)
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
// Host is written on its own.
func skipRequestHeader(k []byte) bool {
	return hopByHop(k) || wire.EqualFold(k, "Host") || wire.EqualFold(k, "Content-Length") || wire.EqualFold(k, "Expect") ||
		wire.EqualFold(k, "X-Forwarded-For") || wire.EqualFold(k, "X-Forwarded-Proto") || wire.EqualFold(k, "X-Forwarded-Port")
}

func skipResponseHeader(k []byte) bool { return hopByHop(k) }

// cloudFrontHeader: the headers CloudFront writes itself, which a viewer cannot set.
func cloudFrontHeader(k []byte) bool {
	return wire.EqualFold(k, "CloudFront-Forwarded-Proto") || wire.EqualFold(k, "CloudFront-Viewer-Address")
}

func hopByHop(k []byte) bool {
	for _, h := range [...]string{"Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate",
		"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"} {
		if wire.EqualFold(k, h) {
			return true
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
func replayable(h *wire.RequestHead) bool {
	return h.ContentLength == 0 && (string(h.Method) == "GET" || string(h.Method) == "HEAD" ||
		string(h.Method) == "OPTIONS" || string(h.Method) == "TRACE")
}

var buffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}
