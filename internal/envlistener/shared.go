// Package envlistener is berth up's shared listener of an environment: as on AWS one
// load balancer takes the requests of every service of an environment by their routes
// (load_balancer.path and host, the same rules: internal/routing), so that the same
// URLs work locally. Each berth up of
// an environment runs its own service as before, behind its own balancer, now on a
// private loopback port; and one of them, whichever holds the environment's listener
// lock, also serves the environment's listener (8080, or the next free port) and sends
// each request to the balancer of the service whose route takes it: its own in the
// process, the others' through their private ports, which their control records
// announce. Why one of them rather than a process of its own: nothing is left running
// when the last berth up of an environment stops, and nothing new has to be started or
// found; the lock (flock, as the claim on a service) says who it is, and when that
// berth up stops, another takes the listener over within half a second, on the same
// address. A service with load_balancer.dedicated: true keeps a listener of its own,
// as before.
//
// It also opens the address of any listener berth up serves on (Listen): from 8080
// up, so that several services of an environment run side by side. It reads the
// control records of the environment's berth ups (control), never their Docker side;
// it imports nothing of berth up's above it (local) and nothing of the AWS path.
package envlistener

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/berthdev/berth/internal/control"
	"github.com/berthdev/berth/internal/hint"
	"github.com/berthdev/berth/internal/lb"
	"github.com/berthdev/berth/internal/manifest"
	"github.com/berthdev/berth/internal/routing"
	"github.com/gofrs/flock"
)

// sharedFile is where the environment's listener's address is kept, so that whoever
// takes the listener over serves it on the same address; listenerLock says who serves
// it; routesLock makes checking a route and announcing it one step. (Their names do not
// end in .json: they are no service's record.)
func sharedFiles(env string) (addr, listenerLock, routesLock string, err error) {
	dir, err := control.Dir()
	if err != nil {
		return "", "", "", err
	}
	base := filepath.Join(dir, env)
	if err := os.MkdirAll(base, 0o700); err != nil {
		return "", "", "", fmt.Errorf("control records: %w", err)
	}
	return filepath.Join(base, ".listener"), filepath.Join(base, ".listener.lock"), filepath.Join(base, ".routes.lock"), nil
}

// Shared is this berth up's part in the environment's listener.
type Shared struct {
	env, service string
	route        routing.Route
	addr         string // the environment's listener
	URL          string // where the service answers on it
	out          io.Writer
	idle, drain  time.Duration
	done         chan struct{} // closed once run has returned: the listener is drained

	mu        sync.Mutex
	upstreams map[string]*lb.Balancer // the other services' private listeners, by address

	// held is the environment's listener, bound by Join when no other berth up served
	// it then, with the lock that says so: Run serves it at once
	held     net.Listener
	heldLock *flock.Flock
}

// Join claims the service's route among the environment's berth ups (refused,
// naming both, when another one takes the same requests), opens the service's private
// listener and announces it with the route in the service's control record. ln is the
// private listener; the environment's listener is served by Run. listen is --listen,
// empty for the address the environment's listener has, or the default.
func Join(ctx context.Context, m *manifest.Manifest, env, listen string, ctl *control.Endpoint, out io.Writer) (*Shared, net.Listener, error) {
	addrFile, listenerLock, routesLock, err := sharedFiles(env)
	if err != nil {
		return nil, nil, err
	}
	lock := flock.New(routesLock, flock.SetPermissions(0o600))
	if ok, err := lock.TryLockContext(ctx, 50*time.Millisecond); err != nil || !ok {
		return nil, nil, fmt.Errorf("lock %s: %v", routesLock, err)
	}
	defer lock.Unlock()
	r := m.Route()
	for _, rec := range sharedRecords(env) {
		if rec.Service != m.Name && rec.Route != nil && routing.Same(*rec.Route, r) {
			return nil, nil, routeTaken(m, env, rec)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, fmt.Errorf("the service's listener: %w", err)
	}
	sh := &Shared{env: env, service: m.Name, route: r, out: out, upstreams: map[string]*lb.Balancer{}, done: make(chan struct{}),
		idle: time.Duration(m.LoadBalancer.IdleTimeout) * time.Second, drain: time.Duration(m.LoadBalancer.DeregistrationDelay) * time.Second}
	sh.addr = listen
	if b, err := os.ReadFile(addrFile); err == nil && sh.addr == "" {
		sh.addr = strings.TrimSpace(string(b))
	}
	if sh.addr == "" {
		sh.addr = DefaultListen
	}
	// when no berth up serves the environment's listener now, this one will: it binds
	// the address here, so that the URL it says is the one that answers (another
	// program on the address moves it, or with --listen refuses it, before anything runs)
	if l := flock.New(listenerLock, flock.SetPermissions(0o600)); tryLock(l) {
		var held net.Listener
		if listen != "" {
			if held, err = net.Listen("tcp", listen); err != nil {
				err = hint.Wrap(fmt.Errorf("--listen %s: %w", listen, err), "another program listens there: give --listen another address, or leave it out for the first free port from 8080")
			}
		} else {
			held, err = sh.bind()
		}
		if err != nil {
			l.Unlock()
			ln.Close()
			return nil, nil, err
		}
		sh.held, sh.heldLock, sh.addr = held, l, held.Addr().String()
	}
	sh.URL = "http://" + sh.addr + r.Path
	if err := ctl.Announce(r, ln.Addr().String()); err != nil {
		sh.release()
		ln.Close()
		return nil, nil, err
	}
	return sh, ln, nil
}

func tryLock(l *flock.Flock) bool {
	ok, err := l.TryLock()
	return err == nil && ok
}

// release gives up the environment's listener Join bound, if Run never served it.
func (sh *Shared) release() {
	if sh.held != nil {
		sh.held.Close()
		sh.heldLock.Unlock()
		sh.held = nil
	}
}

// routeTaken refuses a route another berth up of the environment serves, as a deploy
// refuses it: the manifest's line, both services, what to do.
func routeTaken(m *manifest.Manifest, env string, holder control.Record) error {
	key := "name"
	for _, k := range []string{"load_balancer.path", "load_balancer.host", "domain"} {
		if m.IsSet(k) {
			key = k
			break
		}
	}
	msg := fmt.Sprintf("service %s would answer %s on the listener of environment %s, which service %s answers already (berth up pid %d): two services cannot take the same requests",
		m.Name, m.Route(), env, holder.Service, holder.PID)
	if m.Route().Default() {
		msg = fmt.Sprintf("service %s would be the default of environment %s's listener (no load_balancer.path or host), and service %s is already (berth up pid %d)",
			m.Name, env, holder.Service, holder.PID)
	}
	return hint.Wrap(&manifest.Error{File: m.File, Line: m.Line(key), Key: key, Msg: msg},
		fmt.Sprintf("give %s another load_balancer.path (or host) in berth.yml, stop %s first (berth down --env %s --service %s), or set load_balancer.dedicated: true for a listener of its own", m.Name, holder.Service, env, holder.Service))
}

// sharedRecords are the records of the environment's berth ups that are alive and on
// its shared listener.
func sharedRecords(env string) []control.Record {
	dir, err := control.Dir()
	if err != nil {
		return nil
	}
	paths, _ := filepath.Glob(filepath.Join(dir, env, "*.json"))
	var out []control.Record
	for _, p := range paths {
		if info, err := os.Lstat(p); err != nil || !info.Mode().IsRegular() {
			continue
		}
		var rec control.Record
		b, err := os.ReadFile(p)
		if err != nil || json.Unmarshal(b, &rec) != nil || rec.Route == nil || rec.Backend == "" {
			continue
		}
		if host, _, err := net.SplitHostPort(rec.Backend); err != nil || host != "127.0.0.1" {
			continue // berth only ever listens on loopback
		}
		lock := flock.New(strings.TrimSuffix(p, ".json") + ".lock")
		if free, err := lock.TryLock(); err == nil && free {
			lock.Unlock() // nobody holds the service: whoever wrote this is gone
			continue
		}
		out = append(out, rec)
	}
	return out
}

// Run serves the environment's listener whenever this berth up holds it, until ctx
// ends: it waits for the lock, binds the address (the recorded one, else the first free
// port from 8080), and routes to own (this service's balancer) and to the others'
// private listeners, reading the routes again every half second.
func (sh *Shared) Run(ctx context.Context, own *lb.Balancer) {
	defer close(sh.done)
	addrFile, listenerLock, _, err := sharedFiles(sh.env)
	if err != nil {
		sh.printf("the environment's listener: %v", err)
		return
	}
	if sh.held != nil {
		ln, lock := sh.held, sh.heldLock
		sh.held = nil
		sh.serveOn(ctx, own, addrFile, ln)
		lock.Unlock()
		return
	}
	lock := flock.New(listenerLock, flock.SetPermissions(0o600))
	for ctx.Err() == nil {
		if ok, err := lock.TryLock(); err == nil && ok {
			sh.serve(ctx, own, addrFile)
			lock.Unlock()
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func (sh *Shared) serve(ctx context.Context, own *lb.Balancer, addrFile string) {
	ln, err := sh.bind()
	if err != nil {
		sh.printf("the environment's listener: %v", err)
		return
	}
	sh.serveOn(ctx, own, addrFile, ln)
}

// bind binds the environment's listener on its address or, when another program holds
// that, on the first free port from 8080, saying so.
func (sh *Shared) bind() (net.Listener, error) {
	ln, err := net.Listen("tcp", sh.addr)
	if err != nil {
		sh.printf("the environment's listener %s is taken (%v): another address", sh.addr, err)
		ln, err = Listen("", 8080, sh.out)
	}
	return ln, err
}

// serveOn serves the environment's listener on ln, holding its lock, until ctx ends.
func (sh *Shared) serveOn(ctx context.Context, own *lb.Balancer, addrFile string, ln net.Listener) {
	os.WriteFile(addrFile, []byte(ln.Addr().String()), 0o600)
	router := lb.NewRouter(sh.idle)
	go router.Serve(ln)
	sh.printf("serving the listener of environment %s on http://%s for its services' routes", sh.env, ln.Addr())
	var last string
	for {
		routes, text := sh.routes(own)
		router.SetRoutes(routes)
		if text != last {
			sh.printf("routes of environment %s: %s", sh.env, text)
			last = text
		}
		select {
		case <-ctx.Done():
			// requests in flight finish, up to the deregistration delay, before the
			// replicas stop (berth up waits: wait); then the next berth up of the
			// environment takes the listener over
			shutdown, cancel := context.WithTimeout(context.Background(), sh.drain)
			if router.Shutdown(shutdown) != nil {
				router.Close()
			}
			cancel()
			sh.closeUpstreams(nil)
			return
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// routes are the environment's routes in the order the ALB's priorities give them, and
// how they read.
func (sh *Shared) routes(own *lb.Balancer) ([]lb.Route, string) {
	recs := sharedRecords(sh.env)
	slices.SortFunc(recs, func(a, b control.Record) int {
		switch {
		case routing.Less(*a.Route, *b.Route):
			return -1
		case routing.Less(*b.Route, *a.Route):
			return 1
		}
		return strings.Compare(a.Service, b.Service)
	})
	var out []lb.Route
	var text []string
	keep := map[string]bool{}
	seen := map[routing.Route]bool{}
	for _, rec := range recs {
		r := routing.Normal(rec.Route.Host, rec.Route.Path)
		if seen[r] {
			continue // two berth ups claimed it at once: the first in order serves it
		}
		seen[r] = true
		to := own
		if rec.Service != sh.service {
			to = sh.upstream(rec.Backend)
			keep[rec.Backend] = true
		}
		out = append(out, lb.Route{Host: r.Host, Path: r.Path, To: to})
		text = append(text, r.String()+" -> "+rec.Service)
	}
	sh.closeUpstreams(keep)
	if len(text) == 0 {
		return out, "none"
	}
	return out, strings.Join(text, ", ")
}

func (sh *Shared) upstream(addr string) *lb.Balancer {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if b := sh.upstreams[addr]; b != nil {
		return b
	}
	_, port, _ := net.SplitHostPort(sh.addr)
	p, _ := strconv.Atoi(port)
	b := lb.Upstream(addr, lb.Config{IdleTimeout: sh.idle, ListenerPort: p})
	sh.upstreams[addr] = b
	return b
}

// closeUpstreams closes the balancers of the services gone (all when keep is nil).
func (sh *Shared) closeUpstreams(keep map[string]bool) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	for addr, b := range sh.upstreams {
		if !keep[addr] {
			b.Close()
			delete(sh.upstreams, addr)
		}
	}
}

// Wait waits until the environment's listener, if this berth up served it, is drained.
func (sh *Shared) Wait() { <-sh.done }

// Port is the environment's listener's port, which the service's balancer reports in
// X-Forwarded-Port as the ALB reports its listener's.
func (sh *Shared) Port() int {
	_, port, _ := net.SplitHostPort(sh.addr)
	p, _ := strconv.Atoi(port)
	return p
}

// printf says one line on berth up's output.
func (sh *Shared) printf(format string, args ...any) { fmt.Fprintf(sh.out, format+"\n", args...) }
