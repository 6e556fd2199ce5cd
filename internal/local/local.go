// Package local runs a manifest on the local Docker engine the way ECS runs it on AWS:
// count replicas on a private network, behind a load balancer that health-checks them,
// replaced when they exit or stay unhealthy, rolled out under the deployment's maximum
// and minimum-healthy percentages.
package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/berthdev/berth/internal/lb"
	"github.com/berthdev/berth/internal/manifest"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/client"
)

// Options configure one "berth up".
type Options struct {
	Manifest *manifest.Manifest
	Env      string
	Listen   string // the load balancer's address, 127.0.0.1:8080 by default
	// ViaPorts reaches replicas through their published loopback ports rather than
	// their container addresses; required where the host cannot reach container
	// addresses (Docker Desktop), and the default there.
	ViaPorts bool
	Out      io.Writer // progress and replica logs
	// Rollouts asks for a rebuild and rollout (SIGHUP, --watch); nil for none.
	Rollouts <-chan string
	// Ready, if set, is closed once the first replicas are healthy.
	Ready chan<- string
}

// DefaultViaPorts is true where the host cannot reach container addresses.
func DefaultViaPorts() bool { return runtime.GOOS != "linux" }

type replica struct {
	name, id, addr, revision string
	started                  time.Time
	stopping                 bool
}

// Runner is one running "berth up".
type Runner struct {
	o       Options
	m       *manifest.Manifest
	cli     *client.Client
	out     *syncWriter
	lb      *lb.Balancer
	network string
	image   Image
	state   *stateFile

	mu       sync.Mutex
	replicas map[string]*replica // by container id
	serial   int
	failures int // consecutive replicas that failed before they were healthy
	changed  chan struct{}
}

// Up runs the service until ctx ends, then drains and removes everything it made.
func Up(ctx context.Context, cli *client.Client, o Options) error {
	m := o.Manifest
	r := &Runner{o: o, m: m, cli: cli, out: &syncWriter{w: o.Out}, replicas: map[string]*replica{}, changed: make(chan struct{}, 1)}

	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return &ListenError{Addr: o.Listen, Err: err}
	}
	defer ln.Close()
	url := "http://" + ln.Addr().String()
	r.state = newStateFile(o.Env, m.Name, url)

	started := time.Now()
	r.image, err = Resolve(ctx, cli, m, r.out)
	if err != nil {
		return err
	}
	r.out.Printf("image %s (revision %s) ready in %s", r.image.Ref, r.image.Revision, time.Since(started).Round(time.Millisecond))

	if n, _, err := removeAll(ctx, cli, o.Env); err != nil {
		return err
	} else if n > 0 {
		r.out.Printf("removed %d replica(s) left behind by an earlier run", n)
	}
	if r.network, err = ensureNetwork(ctx, cli, o.Env, m.Name); err != nil {
		return err
	}
	defer r.teardown()

	r.lb = lb.New(lbConfig(m, ln), r.onTargetChange)
	srv := r.lb.Server()
	go srv.Serve(ln)
	defer srv.Close()

	events, eventErrs := r.watchExits(ctx)
	for range m.Count.Min {
		if _, err := r.startReplica(ctx, r.image); err != nil {
			return err
		}
	}
	r.out.Printf("load balancer listening on %s: %d replica(s) of %s starting", url, m.Count.Min, m.Name)
	go r.announceReady(ctx, url)
	return r.schedule(ctx, events, eventErrs)
}

func lbConfig(m *manifest.Manifest, ln net.Listener) lb.Config {
	h := m.Health
	port := ln.Addr().(*net.TCPAddr).Port
	return lb.Config{
		Health: lb.HealthCheck{
			Path:               h.Path,
			Interval:           time.Duration(h.Interval) * time.Second,
			Timeout:            time.Duration(h.Timeout) * time.Second,
			HealthyThreshold:   h.HealthyThreshold,
			UnhealthyThreshold: h.UnhealthyThreshold,
			InitialInterval:    250 * time.Millisecond,
		},
		IdleTimeout:         time.Duration(m.LoadBalancer.IdleTimeout) * time.Second,
		DeregistrationDelay: time.Duration(m.LoadBalancer.DeregistrationDelay) * time.Second,
		ListenerPort:        port,
	}
}

// ListenError says the load balancer's address is taken.
type ListenError struct {
	Addr string
	Err  error
}

func (e *ListenError) Error() string { return fmt.Sprintf("listen on %s: %v", e.Addr, e.Err) }

// Hint tells the user what to do.
func (e *ListenError) Hint() string {
	return "another process holds the address: stop it, or pass --listen 127.0.0.1:PORT"
}

func (r *Runner) announceReady(ctx context.Context, url string) {
	for ctx.Err() == nil {
		for _, t := range r.lb.Targets() {
			if t.State == lb.Healthy {
				r.out.Printf("ready: %s answers from %s", url, t.ID)
				if r.o.Ready != nil {
					close(r.o.Ready)
				}
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (r *Runner) spec(img Image) replicaSpec {
	r.mu.Lock()
	r.serial++
	n := r.serial
	r.mu.Unlock()
	vars := []string{"BERTH_SERVICE=" + r.m.Name, "BERTH_ENV=" + r.o.Env}
	for _, k := range r.m.EnvNames() {
		vars = append(vars, k+"="+r.m.Env[k])
	}
	return replicaSpec{
		name: r.m.Name + "-" + strconv.Itoa(n), image: img.Ref, network: r.network, env: r.o.Env,
		service: r.m.Name, revision: img.Revision, port: r.m.Port, cpu: r.m.CPU, memory: r.m.Memory, vars: vars,
	}
}

func (r *Runner) startReplica(ctx context.Context, img Image) (*replica, error) {
	s := r.spec(img)
	id, ip, published, err := startContainer(ctx, r.cli, s)
	if err != nil {
		return nil, err
	}
	addr := net.JoinHostPort(ip, strconv.Itoa(r.m.Port))
	if r.o.ViaPorts || ip == "" {
		addr = published
	}
	rep := &replica{name: s.name, id: id, addr: addr, revision: img.Revision, started: time.Now()}
	r.mu.Lock()
	r.replicas[id] = rep
	r.mu.Unlock()
	go streamLogs(context.Background(), r.cli, id, s.name, r.out)
	r.lb.Register(s.name, addr)
	r.out.Printf("%s started (revision %s, %s)", s.name, img.Revision, addr)
	r.saveState()
	return rep, nil
}

// stopReplica drains the replica from the load balancer, then stops it (SIGTERM, and
// SIGKILL after 10 s where ECS waits 30 s) and removes it.
func (r *Runner) stopReplica(ctx context.Context, rep *replica, why string) {
	r.mu.Lock()
	if rep.stopping {
		r.mu.Unlock()
		return
	}
	rep.stopping = true
	r.mu.Unlock()
	r.out.Printf("%s stopping: %s", rep.name, why)
	r.lb.Deregister(ctx, rep.name)
	timeout := 10
	r.cli.ContainerStop(context.Background(), rep.id, container.StopOptions{Timeout: &timeout})
	r.cli.ContainerRemove(context.Background(), rep.id, container.RemoveOptions{Force: true})
	r.mu.Lock()
	delete(r.replicas, rep.id)
	r.mu.Unlock()
	r.saveState()
}

func (r *Runner) onTargetChange(t lb.Target) {
	r.saveState()
	if t.State == lb.Healthy {
		r.mu.Lock()
		r.failures = 0
		r.mu.Unlock()
	}
	if t.State == lb.Healthy || t.State == lb.Unhealthy {
		msg := fmt.Sprintf("%s is %s", t.ID, t.State)
		if t.Reason != "" {
			msg += ": " + t.Reason
		}
		r.out.Printf("%s", msg)
	}
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

// watchExits reports the containers of this environment that exit.
func (r *Runner) watchExits(ctx context.Context) (<-chan events.Message, <-chan error) {
	f := labelFilter(r.o.Env)
	f.Add("type", "container")
	f.Add("event", "die")
	return r.cli.Events(ctx, events.ListOptions{Filters: f})
}

// schedule is the service scheduler: it replaces replicas that exit or stay unhealthy
// past the grace period, keeps the count, and runs rollouts, until ctx ends.
func (r *Runner) schedule(ctx context.Context, exits <-chan events.Message, errs <-chan error) error {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var nextStart time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-errs:
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("watch Docker events: %w", err)
		case ev := <-exits:
			r.mu.Lock()
			rep := r.replicas[ev.Actor.ID]
			r.mu.Unlock()
			if rep != nil && !r.isStopping(rep) {
				code := ev.Actor.Attributes["exitCode"]
				r.noteFailure(rep)
				r.stopReplica(ctx, rep, "exited with code "+code)
			}
		case reason := <-r.o.Rollouts:
			if err := r.rollout(ctx, reason); err != nil {
				r.out.Printf("rollout failed: %v", err)
			}
		case <-r.changed:
		case <-tick.C:
		}
		r.replaceUnhealthy(ctx)
		if missing := r.m.Count.Min - r.live(); missing > 0 && time.Now().After(nextStart) {
			for range missing {
				if _, err := r.startReplica(ctx, r.image); err != nil {
					r.out.Printf("start replica: %v", err)
				}
			}
			nextStart = time.Now().Add(r.backoff())
		}
	}
}

// noteFailure counts a replica that died before ever being healthy, for the backoff.
func (r *Runner) noteFailure(rep *replica) {
	if s, _ := r.lb.State(rep.name); s != lb.Healthy {
		r.mu.Lock()
		r.failures++
		r.mu.Unlock()
	}
}

// backoff throttles replacements of replicas that keep failing, as ECS does: 0 after a
// healthy replica, then doubling from one second to at most a minute.
func (r *Runner) backoff() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failures == 0 {
		return 0
	}
	return time.Duration(math.Min(60, math.Pow(2, float64(r.failures-1)))) * time.Second
}

func (r *Runner) replaceUnhealthy(ctx context.Context) {
	grace := time.Duration(r.m.Health.GracePeriod) * time.Second
	for _, rep := range r.snapshot() {
		if s, _ := r.lb.State(rep.name); s == lb.Unhealthy && time.Since(rep.started) > grace && !r.isStopping(rep) {
			r.noteFailure(rep)
			go r.stopReplica(ctx, rep, "failed its health checks")
		}
	}
}

// live counts the replicas that are not on their way out.
func (r *Runner) live() int {
	n := 0
	for _, rep := range r.snapshot() {
		if !r.isStopping(rep) {
			n++
		}
	}
	return n
}

// isStopping reads the flag stopReplica sets, under the lock it sets it with.
func (r *Runner) isStopping(rep *replica) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return rep.stopping
}

func (r *Runner) snapshot() []*replica {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*replica, 0, len(r.replicas))
	for _, rep := range r.replicas {
		out = append(out, rep)
	}
	return out
}

// teardown drains and removes every replica, then the network.
func (r *Runner) teardown() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	reps := r.snapshot()
	if len(reps) > 0 {
		r.out.Printf("draining %d replica(s)", len(reps))
	}
	var wg sync.WaitGroup
	for _, rep := range reps {
		wg.Add(1)
		go func() { defer wg.Done(); r.stopReplica(ctx, rep, "berth up is stopping") }()
	}
	wg.Wait()
	if r.lb != nil {
		r.lb.Close()
	}
	if _, _, err := removeAll(ctx, r.cli, r.o.Env); err != nil {
		r.out.Printf("cleanup: %v (run \"berth down\")", err)
	}
	r.state.remove()
	r.out.Printf("stopped: no container or network of berth's is left")
}

var errRolloutFailed = errors.New("new replicas did not become healthy: rolled back, the old ones keep serving")
