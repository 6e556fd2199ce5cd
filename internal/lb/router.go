package lb

import (
	"bytes"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/berthdev/berth/internal/lb/wire"
)

// A listener that several services share, as the listener of an Application Load
// Balancer with a rule per service: each request goes to the balancer of the first
// route it matches, in the order the routes are given (the rules' priorities); what no
// route takes is answered 404 by the listener itself, as its default action would.

// Route sends the requests for Host (any host when empty; in any case, without the
// port) whose path is Path or below it (any path when empty) to a balancer, as a rule
// with a host-header and a path-pattern condition does (/orders and /orders/*).
type Route struct {
	Host, Path string
	To         *Balancer
}

// NewRouter makes a listener side that routes each request by the routes SetRoutes
// gives it, with the listener's idle timeout.
func NewRouter(idleTimeout time.Duration) *Server {
	return &Server{idleTimeout: idleTimeout, conns: map[*clientConn]struct{}{}, routes: &atomic.Pointer[[]Route]{}}
}

// SetRoutes replaces the routes, for the requests that come after.
func (s *Server) SetRoutes(rs []Route) {
	cp := append([]Route(nil), rs...)
	s.routes.Store(&cp)
}

// route is the balancer of the request in cc, nil when no route takes it.
func (s *Server) route(h *wire.RequestHead) *Balancer {
	rs := s.routes.Load()
	if rs == nil {
		return nil
	}
	host := h.Host
	if i := bytes.LastIndexByte(host, ':'); i >= 0 && bytes.LastIndexByte(host, ']') < i {
		host = host[:i] // the port
	}
	path := h.Target
	for i, c := range path {
		if c == '?' {
			path = path[:i]
			break
		}
	}
	for i := range *rs {
		r := &(*rs)[i]
		if r.Host != "" && !wire.EqualFold(host, r.Host) {
			continue
		}
		if r.Path == "" || string(path) == r.Path ||
			len(path) > len(r.Path) && path[len(r.Path)] == '/' && string(path[:len(r.Path)]) == r.Path {
			return r.To
		}
	}
	return nil
}

// noRoute answers a request no route takes.
func noRoute(cc *clientConn, keep bool) bool {
	keep = keep && !cc.bodyWithheld()
	return writeError(cc.bw, http.StatusNotFound, "404 Not Found: no service of this environment answers this host and path", keep) == nil && keep
}

// Upstream is a balancer of one target that it does not check: the listener of another
// balancer (another berth up of the environment), which answers for its own targets'
// health, 503 when none is healthy.
func Upstream(addr string, cfg Config) *Balancer {
	b := New(cfg, nil)
	t := &target{id: addr, addr: strings.TrimSpace(addr), stop: make(chan struct{}), health: newHealth(time.Now())}
	t.conns.maxIdle, t.conns.idleTimeout = 512, b.idleTimeout
	t.health.state, t.health.reason = Healthy, ""
	t.healthy.Store(true)
	b.targets = []*target{t}
	return b
}
