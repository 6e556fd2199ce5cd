package lb

import (
	"bufio"
	"net"
	"sync"
	"time"

	"github.com/berthdev/berth/internal/lb/wire"
)

// backendConn is a keep-alive connection to a target, used by one request at a time.
type backendConn struct {
	net.Conn
	br       *bufio.Reader
	bw       *bufio.Writer
	sock     *sockIO // nil where br and bw use net.Conn
	resp     wire.ResponseHead
	body     wire.Body
	trailer  []byte
	reused   bool
	idleFrom time.Time
}

// connPool keeps a target's idle keep-alive connections, most recently used first
// (those are the least likely to have been closed by the target meanwhile).
type connPool struct {
	maxIdle     int
	idleTimeout time.Duration

	mu     sync.Mutex
	idle   []*backendConn
	closed bool
}

// get returns an idle connection, or nil when there is none.
func (p *connPool) get() *backendConn {
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	for n := len(p.idle); n > 0; n = len(p.idle) {
		c := p.idle[n-1]
		p.idle = p.idle[:n-1]
		if p.idleTimeout > 0 && now.Sub(c.idleFrom) > p.idleTimeout {
			c.Close()
			continue
		}
		c.reused = true
		return c
	}
	return nil
}

// put keeps c for the next request, or closes it when the pool is full or closed.
func (p *connPool) put(c *backendConn) {
	c.idleFrom = time.Now()
	p.mu.Lock()
	if p.closed || len(p.idle) >= p.maxIdle {
		p.mu.Unlock()
		c.Close()
		return
	}
	p.idle = append(p.idle, c)
	p.mu.Unlock()
}

func (p *connPool) close() {
	p.mu.Lock()
	idle := p.idle
	p.idle, p.closed = nil, true
	p.mu.Unlock()
	for _, c := range idle {
		c.Close()
	}
}
