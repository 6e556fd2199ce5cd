package lb

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/berthdev/berth/internal/lb/wire"
)

// Server is the balancer's listener side: HTTP/1.x with keep-alive and pipelining,
// the idle timeout, and a graceful shutdown.
//
// It is not net/http's Server because of what that costs per request on a laptop's
// shared cores: a goroutine reading in the background while each request is handled,
// and the read deadlines that stop it, roughly a third of the proxy's CPU under wrk.
// Heads and bodies are read by package wire, which also decides what is refused.
type Server struct {
	b           *Balancer
	idleTimeout time.Duration

	// stopping and each connection's busy flag are atomics, read on every request;
	// the lock is for the set of connections, which changes per connection.
	stopping atomic.Bool
	mu       sync.Mutex
	ln       net.Listener
	conns    map[*clientConn]struct{}
	done     chan struct{} // closed when the last connection is gone after Shutdown
	// routes, on a listener that several services share (NewRouter), say which
	// balancer takes a request; nil on a balancer's own listener
	routes *atomic.Pointer[[]Route]
}

// Server makes the balancer's listener side with the configured idle timeout.
func (b *Balancer) Server() *Server {
	return &Server{b: b, idleTimeout: b.idleTimeout, conns: map[*clientConn]struct{}{}}
}

type clientConn struct {
	busy     atomic.Bool // a request is being served
	deadline time.Time   // the read deadline last set
	c        net.Conn
	br       *bufio.Reader
	bw       *bufio.Writer
	clientIP string
	// behind CloudFront (Config.CloudFront): the viewer's port, and the address it
	// reached, which stands for the edge's
	clientPort, edgeIP string
	// the request being served: its head, its body, and whether the client was told
	// 100 Continue
	req       wire.RequestHead
	body      wire.Body
	continued bool
}

// Serve accepts connections on ln until Shutdown or Close.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	s.ln = ln
	s.mu.Unlock()
	if s.stopping.Load() {
		ln.Close()
		return http.ErrServerClosed
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			if s.stopping.Load() {
				return http.ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			return err
		}
		cc := &clientConn{c: c}
		s.mu.Lock()
		s.conns[cc] = struct{}{}
		s.mu.Unlock()
		if s.stopping.Load() {
			s.forget(cc)
			continue
		}
		go s.serveConn(cc)
	}
}

// setBusy records whether a request is being served; false when the server is
// stopping and the connection should not start (another) request. Shutdown sets
// stopping before it reads busy, and a connection sets busy before it reads stopping,
// so one of the two sees the other.
func (s *Server) setBusy(cc *clientConn, busy bool) bool {
	cc.busy.Store(busy)
	return !s.stopping.Load()
}

func (s *Server) forget(cc *clientConn) {
	s.mu.Lock()
	delete(s.conns, cc)
	if len(s.conns) == 0 && s.done != nil {
		close(s.done)
		s.done = nil
	}
	s.mu.Unlock()
	cc.c.Close()
}

var (
	readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4<<10) }}
	writers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 4<<10) }}
)

func (s *Server) serveConn(cc *clientConn) {
	defer s.forget(cc)
	var r io.Reader = cc.c
	var w io.Writer = cc.c
	if s := newSockIO(cc.c); s != nil {
		r, w = s, s
	}
	cc.br = readers.Get().(*bufio.Reader)
	cc.br.Reset(r)
	cc.bw = writers.Get().(*bufio.Writer)
	cc.bw.Reset(w)
	defer func() {
		cc.br.Reset(nil)
		readers.Put(cc.br)
		cc.bw.Reset(nil)
		writers.Put(cc.bw)
	}()
	if host, port, err := net.SplitHostPort(cc.c.RemoteAddr().String()); err == nil {
		cc.clientIP, cc.clientPort = host, port
	}
	if s.b != nil && s.b.cloudfront { // a router (NewRouter) has no balancer of its own
		cc.edgeIP, _, _ = net.SplitHostPort(cc.c.LocalAddr().String())
	}
	for {
		// the ALB's idle timeout: a connection that sends nothing for that long is
		// closed. The deadline is moved only when it is more than an eighth of the
		// timeout (at most a second) stale, since each move costs a timer update: a
		// connection may stay that much longer.
		if s.idleTimeout > 0 {
			if now := time.Now(); cc.deadline.Sub(now) < s.idleTimeout {
				cc.deadline = now.Add(s.idleTimeout + min(s.idleTimeout/8, time.Second))
				cc.c.SetReadDeadline(cc.deadline)
			}
		}
		if _, err := cc.br.Peek(1); err != nil {
			answerPlainHTTPOnTLS(err)
			return
		}
		if !s.setBusy(cc, true) {
			return
		}
		h := &cc.req
		if err := wire.ReadRequestHead(cc.br, h); err != nil {
			var he *wire.HeadError
			switch {
			case errors.As(err, &he):
				refuse(cc, he.Code, he.Why)
			case !errors.Is(err, io.EOF) && !isTimeout(err):
				refuse(cc, http.StatusBadRequest, "malformed request")
			}
			return
		}
		cc.continued = false
		cc.body.Reset(cc.br, max(h.ContentLength, 0), h.Chunked, false, nil)
		if h.ContentLength != 0 {
			cc.c.SetReadDeadline(time.Time{}) // a body may take its time
			cc.deadline = time.Time{}
		}
		if h.Chunked {
			// the first chunk's size is read before anything is forwarded, so that a
			// size no body has gets its 400 at once (see wire.Body.Start)
			if h.Expect100 {
				cc.continued = true
				cc.bw.WriteString("HTTP/1.1 100 Continue\r\n\r\n")
				if cc.bw.Flush() != nil {
					return
				}
			}
			if err := cc.body.Start(); err != nil {
				if errors.Is(err, wire.ErrMalformedBody) {
					refuse(cc, http.StatusBadRequest, err.Error())
				}
				return
			}
		}
		b := s.b
		if s.routes != nil {
			b = s.route(h)
		}
		var keep bool
		if b != nil {
			keep = b.serve(cc, !h.Close && !s.isStopping())
		} else {
			keep = noRoute(cc, !h.Close && !s.isStopping())
		}
		if keep && h.ContentLength != 0 && !cc.bodyWithheld() {
			// what the target did not read of the body stands before the next request
			n, err := io.CopyN(io.Discard, &cc.body, 256<<10+1)
			keep = n <= 256<<10 && errors.Is(err, io.EOF)
		}
		if !keep || !s.setBusy(cc, false) {
			return
		}
	}
}

// bodyWithheld reports a client that waits for 100 Continue before it sends its body
// and was not sent one: the body will not come, so the connection cannot carry
// another request (net/http's server closes such a connection too).
func (cc *clientConn) bodyWithheld() bool {
	return cc.req.Expect100 && cc.req.ContentLength != 0 && !cc.continued
}

// refuse answers a request that is not forwarded and closes the connection.
// Closing a socket with unread input makes the kernel reset the connection, and the
// reset can destroy the answer before the client reads it, so the balancer first
// half-closes and reads what the client still sends, for a moment (as net/http's
// server does).
func refuse(cc *clientConn, code int, why string) {
	if writeError(cc.bw, code, strconv.Itoa(code)+" "+http.StatusText(code)+": "+why, false) != nil {
		return
	}
	if c, ok := cc.c.(interface{ CloseWrite() error }); ok && c.CloseWrite() == nil {
		cc.c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		io.CopyN(io.Discard, cc.c, 256<<10)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// Shutdown stops accepting connections, closes those waiting for a request, and waits
// until the requests in flight are answered or ctx ends; then it returns ctx's error
// and the rest stay open for Close.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stopping.Store(true)
	s.mu.Lock()
	if s.ln != nil {
		s.ln.Close()
	}
	for cc := range s.conns {
		if !cc.busy.Load() {
			cc.c.Close() // its loop wakes, finds the server stopping, and forgets it
		}
	}
	done := make(chan struct{})
	if len(s.conns) == 0 {
		close(done)
	} else {
		s.done = done
	}
	s.mu.Unlock()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops the server at once, cutting the connections it has.
func (s *Server) Close() error {
	s.stopping.Store(true)
	s.mu.Lock()
	if s.ln != nil {
		s.ln.Close()
	}
	for cc := range s.conns {
		cc.c.Close()
	}
	s.mu.Unlock()
	return nil
}

// stopping reports whether the server is shutting down, so that answers say
// "Connection: close".
func (s *Server) isStopping() bool { return s.stopping.Load() }

// writeError answers with a short text body.
func writeError(bw *bufio.Writer, code int, text string, keep bool) error {
	bw.WriteString("HTTP/1.1 ")
	bw.WriteString(strconv.Itoa(code))
	bw.WriteByte(' ')
	bw.WriteString(http.StatusText(code))
	bw.WriteString("\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ")
	bw.WriteString(strconv.Itoa(len(text) + 1))
	if !keep {
		bw.WriteString("\r\nConnection: close")
	}
	bw.WriteString("\r\n\r\n")
	bw.WriteString(text)
	bw.WriteByte('\n')
	return bw.Flush()
}

// answerPlainHTTPOnTLS tells a client that spoke plain HTTP to the HTTPS listener what
// happened, as net/http's server does, rather than closing without a word.
func answerPlainHTTPOnTLS(err error) {
	var rh tls.RecordHeaderError
	if !errors.As(err, &rh) || rh.Conn == nil || !looksLikeHTTP(rh.RecordHeader[:]) {
		return
	}
	rh.Conn.SetWriteDeadline(time.Now().Add(time.Second))
	io.WriteString(rh.Conn, "HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nClient sent an HTTP request to an HTTPS server.\n")
}

func looksLikeHTTP(hdr []byte) bool {
	for _, m := range []string{"GET /", "HEAD ", "POST ", "PUT /", "OPTIO", "DELET", "PATCH"} {
		if string(hdr) == m {
			return true
		}
	}
	return false
}
