package lb

import (
	"bufio"
	"context"
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Server is the balancer's listener side: HTTP/1.x with keep-alive and pipelining,
// the idle timeout, and a graceful shutdown.
//
// It is not net/http's Server because of what that costs per request on a laptop's
// shared cores: a goroutine reading in the background while each request is handled,
// and the read deadlines that stop it, roughly a third of the proxy's CPU under wrk.
// Parsing stays net/http's (http.ReadRequest, http.ReadResponse); what is here is the
// connection loop and the writing of answers.
type Server struct {
	b           *Balancer
	idleTimeout time.Duration

	mu       sync.Mutex
	ln       net.Listener
	conns    map[*clientConn]bool // true while a request is being served
	stopping bool
	done     chan struct{} // closed when the last connection is gone after Shutdown
}

// Server makes the balancer's listener side with the configured idle timeout.
func (b *Balancer) Server() *Server {
	return &Server{b: b, idleTimeout: b.idleTimeout, conns: map[*clientConn]bool{}}
}

// maxHeaderBytes bounds a request's line and headers, as net/http's default does.
const maxHeaderBytes = 1 << 20

type clientConn struct {
	c        net.Conn
	lr       limitedReader
	br       *bufio.Reader
	bw       *bufio.Writer
	clientIP string
}

// limitedReader lets the request head be bounded without a new reader per request.
type limitedReader struct {
	r      io.Reader
	remain int64
}

var errHeaderTooLarge = errors.New("request header too large")

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.remain <= 0 {
		return 0, errHeaderTooLarge
	}
	if int64(len(p)) > l.remain {
		p = p[:l.remain]
	}
	n, err := l.r.Read(p)
	l.remain -= int64(n)
	return n, err
}

// Serve accepts connections on ln until Shutdown or Close.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	s.ln = ln
	stopping := s.stopping
	s.mu.Unlock()
	if stopping {
		ln.Close()
		return http.ErrServerClosed
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			s.mu.Lock()
			stopping := s.stopping
			s.mu.Unlock()
			if stopping {
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
		if !s.track(cc, false) {
			c.Close()
			continue
		}
		go s.serveConn(cc)
	}
}

// track records a connection's state; false when the server is stopping and the
// connection should not start (another) request.
func (s *Server) track(cc *clientConn, busy bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping {
		return false
	}
	s.conns[cc] = busy
	return true
}

func (s *Server) forget(cc *clientConn) {
	s.mu.Lock()
	delete(s.conns, cc)
	if s.stopping && len(s.conns) == 0 && s.done != nil {
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
	cc.lr.r = cc.c
	cc.br = readers.Get().(*bufio.Reader)
	cc.br.Reset(&cc.lr)
	cc.bw = writers.Get().(*bufio.Writer)
	cc.bw.Reset(cc.c)
	defer func() {
		cc.br.Reset(nil)
		readers.Put(cc.br)
		cc.bw.Reset(nil)
		writers.Put(cc.bw)
	}()
	if host, _, err := net.SplitHostPort(cc.c.RemoteAddr().String()); err == nil {
		cc.clientIP = host
	}
	for {
		// the ALB's idle timeout: a connection that sends nothing for that long is closed
		if s.idleTimeout > 0 {
			cc.c.SetReadDeadline(time.Now().Add(s.idleTimeout))
		}
		cc.lr.remain = maxHeaderBytes
		if _, err := cc.br.Peek(1); err != nil {
			return
		}
		if !s.track(cc, true) {
			return
		}
		req, err := http.ReadRequest(cc.br)
		if err != nil {
			if errors.Is(err, errHeaderTooLarge) {
				writeError(cc.bw, http.StatusRequestHeaderFieldsTooLarge, "431 Request Header Fields Too Large", false)
			} else if !errors.Is(err, io.EOF) && !isTimeout(err) {
				writeError(cc.bw, http.StatusBadRequest, "400 Bad Request", false)
			}
			return
		}
		cc.lr.remain = math.MaxInt64
		if req.ContentLength != 0 {
			cc.c.SetReadDeadline(time.Time{}) // a body may take its time
		}
		keep := s.b.serve(cc, req, wantsKeepAlive(req) && !s.isStopping())
		if keep && req.Body != http.NoBody {
			// what the target did not read of the body stands before the next request
			n, _ := io.CopyN(io.Discard, req.Body, 256<<10+1)
			keep = n <= 256<<10
		}
		if !keep || !s.track(cc, false) {
			return
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// wantsKeepAlive is HTTP/1.1's default, or HTTP/1.0's explicit keep-alive.
func wantsKeepAlive(r *http.Request) bool {
	if r.Close {
		return false
	}
	if r.ProtoAtLeast(1, 1) {
		return true
	}
	for _, v := range r.Header["Connection"] {
		if strings.EqualFold(strings.TrimSpace(v), "keep-alive") {
			return true
		}
	}
	return false
}

// Shutdown stops accepting connections, closes those waiting for a request, and waits
// until the requests in flight are answered or ctx ends; then it returns ctx's error
// and the rest stay open for Close.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.stopping = true
	if s.ln != nil {
		s.ln.Close()
	}
	for cc, busy := range s.conns {
		if !busy {
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
	s.mu.Lock()
	s.stopping = true
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
func (s *Server) isStopping() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopping
}

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
