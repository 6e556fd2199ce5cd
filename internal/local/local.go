// Package local runs a manifest on the local Docker engine the way ECS runs it on AWS:
// count replicas on a private network, behind a load balancer that health-checks them,
// replaced when they exit or stay unhealthy, rolled out under the deployment's maximum
// and minimum-healthy percentages.
//
// It is berth up's scheduler and decides what happens in which order; the rooms below
// it do the rest: docker the engine, control the endpoint that status, reload and down
// talk to, envlistener the environment's shared listener, localvitals the vital signs,
// replicaenv the secrets and credentials. It must not import the AWS path, nor
// localops and localexec, which act on a running berth up from outside.
package local

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/berthdev/berth/internal/control"
	"github.com/berthdev/berth/internal/docker"
	"github.com/berthdev/berth/internal/envlistener"
	"github.com/berthdev/berth/internal/lb"
	"github.com/berthdev/berth/internal/localvitals"
	"github.com/berthdev/berth/internal/manifest"
	"github.com/berthdev/berth/internal/style"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
)

// Options configure one "berth up".
type Options struct {
	Manifest *manifest.Manifest
	// Load reads the manifest again for a reload; nil keeps Manifest.
	Load   func() (*manifest.Manifest, error)
	Env    string
	Listen string // the load balancer's address; empty: the first free port from 8080
	// TLS, when set, makes the load balancer serve HTTPS on TLSListen (empty: the
	// first free port from 8443) with X-Forwarded-Proto https, and Listen answer every
	// request with a permanent redirect to it: what the ALB does for a service with a
	// domain.
	TLS       *tls.Config
	TLSListen string
	// ViaPorts reaches replicas through their published loopback ports rather than
	// their container addresses; required where the host cannot reach container
	// addresses (Docker Desktop), and the default there.
	ViaPorts bool
	// Out is where progress and replica logs go: an *Output (NewOutput) colours them
	// for a terminal; another writer gets them plain, with the same elapsed times.
	Out io.Writer
	// Reloads asks to read the manifest again, rebuild, and apply what changed (SIGHUP,
	// "berth reload", --watch). Nil for none. How a request arrives is the caller's
	// business: this package only acts on it.
	Reloads <-chan Reload
	// Interrupts are the signals after the one that ended ctx (OnInterrupt): the first
	// makes berth up stop at once, the next leave before it is done. Nil for none.
	Interrupts <-chan os.Signal
	// RolloutSpeed runs the rollouts of reloads this many times faster than real time:
	// the traffic steps, the bake and the rule's one-minute windows. 0 is 1.
	RolloutSpeed float64
	// Ready, if set, is closed once the first replicas are healthy.
	Ready chan<- string
	// ReplicaEnv is what every replica gets besides the manifest's env: the values of
	// its secrets and, when asked for, AWS credentials. It is called before anything
	// starts (an error stops berth up), on a reload, and for each replica, so that
	// short-lived credentials are fresh. Nil for nothing. What it returns is never
	// printed.
	ReplicaEnv func(ctx context.Context, m *manifest.Manifest) ([]string, error)
}

// DefaultViaPorts is true where the host cannot reach container addresses.
func DefaultViaPorts() bool { return runtime.GOOS != "linux" }

type replica struct {
	name, id, addr string
	dep            *deployment
	started        time.Time
	stopping       bool
	looks          int  // looks at where it listens so far (ports.go)
	looking        bool // one is under way
}

// Runner is one running "berth up".
type Runner struct {
	o       Options
	cli     *client.Client
	out     *Output
	st      style.Style
	lb      *lb.Balancer
	network string
	url     string // where the load balancer answers
	cpus    int    // the engine's, for capping replicas' CPU limits

	// m is the service as applied: count, health, deployment and load balancer
	// settings. What a replica is started with (image, env, cpu, memory) belongs to its
	// deployment.
	m *manifest.Manifest

	mu       sync.Mutex
	replicas map[string]*replica // by container id
	serial   int
	primary  *deployment // what replicas are started from
	// previous is the last deployment that completed, while a newer one rolls out:
	// what the circuit breaker rolls back to. Nil when nothing rolls out.
	previous    *deployment
	deployments int // how many were made
	changed     chan struct{}
	stops       sync.WaitGroup
	warned      map[string]bool
	progress    progressLog
	vitals      *localvitals.Monitor // the load balancer's counters, read every few seconds
	rel         *release             // the rollout in progress (rollout.go); nil when none is
	view        *control.RolloutState
	readyOnce   sync.Once

	cancel     context.CancelFunc // a stop asked for through the control endpoint
	ctlReloads chan Reload        // reloads asked for through it
	hurry      chan struct{}      // closed on a second Ctrl-C: stop at once
}

// Up runs the service until ctx ends, then drains and removes everything it made. A
// stop by ctx is a clean stop: Up returns nil. While it stops, a signal on
// o.Interrupts (a second Ctrl-C) makes it stop at once, and another one makes it
// return before it is done, with a *LeftBehindError that names what is left.
func Up(ctx context.Context, cli *client.Client, o Options) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := NewOutput(o.Out, style.Plain())
	r := &Runner{o: o, m: o.Manifest, cli: cli, out: out, st: out.st, replicas: map[string]*replica{},
		changed: make(chan struct{}, 1), warned: map[string]bool{}, cancel: cancel, ctlReloads: make(chan Reload, 1),
		hurry: make(chan struct{})}
	done := make(chan error, 1)
	go func() { done <- r.up(ctx) }()
	for n := 0; ; n++ {
		select {
		case err := <-done:
			return err
		case <-o.Interrupts:
			if n == 0 {
				r.hurryUp()
				continue
			}
			return r.leftBehind()
		}
	}
}

func (r *Runner) up(ctx context.Context) error {
	o, m, cli := r.o, r.m, r.cli

	// First the claim on the service: a second berth up of it stops here, before it
	// touches anything of the first one's.
	ctl, err := control.Start(ctx, o.Env, m.Name, r)
	if err != nil {
		return err
	}
	defer ctl.Close()

	var sh *envlistener.Shared // on the environment's shared listener, else a listener of its own
	var ln net.Listener
	switch {
	case m.Shared() && o.TLS != nil:
		// the environment's listener is plain HTTP locally: HTTPS (a domain, --tls) keeps
		// a listener of the service's own, as before load balancers were shared
		r.out.Printf("HTTPS locally is a listener of %s's own: its route on the environment's listener is not served (--tls=false serves it there, over HTTP)", m.Name)
		ln, err = envlistener.Listen(o.Listen, 8080, r.out)
	case m.Shared():
		sh, ln, err = envlistener.Join(ctx, m, o.Env, o.Listen, ctl, r.out)
	default:
		ln, err = envlistener.Listen(o.Listen, 8080, r.out)
	}
	if err != nil {
		return err
	}
	defer ln.Close()
	url := "http://" + ln.Addr().String()
	if sh != nil {
		url = sh.URL
	}
	var redirect *http.Server
	if o.TLS != nil {
		secure, err := envlistener.Listen(o.TLSListen, 8443, r.out)
		if err != nil {
			return err
		}
		defer secure.Close()
		redirect = &http.Server{Handler: lb.RedirectToHTTPS(secure.Addr().(*net.TCPAddr).Port), ReadHeaderTimeout: 10 * time.Second}
		go redirect.Serve(ln)
		r.out.Printf("%s redirects to HTTPS (301), as the load balancer's port 80 does", url)
		ln = tls.NewListener(secure, o.TLS)
		url = "https://" + secure.Addr().String()
	}
	r.mu.Lock()
	r.url = url
	r.mu.Unlock()

	if _, err := r.replicaEnv(ctx, m); err != nil {
		return stopped(ctx, err)
	}
	// the engine's side is made ready while the image is: neither waits for the other
	prepared := make(chan engineSide, 1)
	go func() { prepared <- prepareEngine(ctx, cli, o.Env, m.Name) }()
	begun := time.Now()
	img, err := docker.Resolve(ctx, cli, m, r.out)
	side := <-prepared
	if err == nil {
		err = side.err
	}
	if err != nil {
		if side.network != "" { // not left behind by a start that fails
			docker.RemoveAll(context.Background(), cli, o.Env, m.Name, 0)
		}
		return stopped(ctx, err)
	}
	r.out.Printf("image %s (revision %s) %s in %s", img.Ref, img.Revision, img.How(), time.Since(begun).Round(time.Millisecond))
	r.primary, r.deployments = &deployment{id: 1, img: img, m: m}, 1
	r.cpus, r.network = side.cpus, side.network
	if side.removed > 0 {
		r.out.Printf("removed %d replica(s) left behind by an earlier run", side.removed)
	}
	defer r.teardown()

	cfg := lbConfig(m, ln)
	if o.TLS != nil {
		cfg.Proto, cfg.CloudFront = "https", m.CloudFront() // the headers the app gets behind CloudFront
	}
	if sh != nil {
		cfg.ListenerPort = sh.Port()
	}
	balancer := lb.New(cfg, r.onTargetChange)
	r.mu.Lock()
	r.lb, r.vitals = balancer, localvitals.NewMonitor(balancer.Traffic, time.Now())
	r.mu.Unlock()
	r.vitals.Style = r.st
	go r.vitals.Run(ctx, func(s string) { r.out.Printf("%s", s) })
	srv := r.lb.Server()
	go srv.Serve(ln)
	if sh != nil {
		if route := m.Route(); !route.Default() {
			r.out.Printf("on the listener of environment %s: %s (load_balancer.path and host)", o.Env, route)
		}
	}
	// said before the environment's listener says whether this berth up serves it, so
	// that the two read in one order
	r.out.Printf("load balancer listening on %s: %d replica(s) of %s starting", url, m.Count.Min, m.Name)
	if sh != nil {
		go sh.Run(ctx, balancer)
	}

	exits, exitErrs := r.watchExits(ctx)
	err = r.schedule(ctx, exits, exitErrs)
	if redirect != nil {
		redirect.Close() // a redirect has nothing in flight worth waiting for
	}
	r.drainListener(srv)
	if sh != nil {
		sh.Wait() // the environment's listener, drained alongside
	}
	return stopped(ctx, err)
}

// engineSide is what berth up prepares in the engine before replicas can start.
type engineSide struct {
	cpus    int
	removed int    // containers an earlier run left behind
	network string // made, or found
	err     error
}

// prepareEngine removes what an earlier run of the service left behind and makes its
// network.
func prepareEngine(ctx context.Context, cli *client.Client, env, service string) engineSide {
	s := engineSide{cpus: docker.CPUs(ctx, cli)}
	if s.removed, _, s.err = docker.RemoveAll(ctx, cli, env, service, 10); s.err == nil {
		s.network, s.err = docker.EnsureNetwork(ctx, cli, env, service)
	}
	return s
}

// stopped turns what an interrupted start returns into the clean stop it is: once a
// stop was asked for (Ctrl-C, berth down), whatever the step it cut short says (a
// build killed, a Docker request cancelled) is the stop, not a failure.
func stopped(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return err
}

func lbConfig(m *manifest.Manifest, ln net.Listener) lb.Config {
	return lb.Config{
		Health:              healthCheck(m),
		IdleTimeout:         time.Duration(m.LoadBalancer.IdleTimeout) * time.Second,
		DeregistrationDelay: time.Duration(m.LoadBalancer.DeregistrationDelay) * time.Second,
		ListenerPort:        ln.Addr().(*net.TCPAddr).Port,
	}
}

func healthCheck(m *manifest.Manifest) lb.HealthCheck {
	h := m.Health
	return lb.HealthCheck{
		Path:               h.Path,
		Interval:           time.Duration(h.Interval) * time.Second,
		Timeout:            time.Duration(h.Timeout) * time.Second,
		HealthyThreshold:   h.HealthyThreshold,
		UnhealthyThreshold: h.UnhealthyThreshold,
		InitialInterval:    250 * time.Millisecond,
	}
}

func (r *Runner) spec(dep *deployment) docker.Spec {
	r.mu.Lock()
	r.serial++
	n := r.serial
	r.mu.Unlock()
	m := dep.m
	vars := []string{"BERTH_SERVICE=" + m.Name, "BERTH_ENV=" + r.o.Env}
	for _, k := range m.EnvNames() {
		vars = append(vars, k+"="+m.Env[k])
	}
	return docker.Spec{
		Name: m.Name + "-" + strconv.Itoa(n), Image: dep.img.Ref, Network: r.network, Env: r.o.Env,
		Service: m.Name, Revision: dep.img.Revision, Port: m.Port, NanoCPUs: r.nanoCPUs(m.CPU),
		Memory: m.Memory, Vars: vars, Publish: r.o.ViaPorts, Serial: n,
	}
}

// replicaEnv is Options.ReplicaEnv, or nothing.
func (r *Runner) replicaEnv(ctx context.Context, m *manifest.Manifest) ([]string, error) {
	if r.o.ReplicaEnv == nil {
		return nil, nil
	}
	return r.o.ReplicaEnv(ctx, m)
}

// nanoCPUs is the replica's CPU limit. ECS CPU units that exceed what the engine has
// are valid on AWS (a c5.xlarge has 4 vCPUs) but make the engine refuse the container:
// they are capped to the engine's CPUs, which is what the replica could use anyway.
func (r *Runner) nanoCPUs(units int) int64 {
	nano := int64(units) * 1_000_000_000 / 1024
	if r.cpus > 0 && nano > int64(r.cpus)*1_000_000_000 {
		r.warnOnce(fmt.Sprintf("cpu %d", units), "cpu %d is %.4g vCPUs, more than the Docker engine's %d: replicas are limited to %d CPUs here (AWS gets %d units)",
			units, float64(units)/1024, r.cpus, r.cpus, units)
		return int64(r.cpus) * 1_000_000_000
	}
	return nano
}

func (r *Runner) warnOnce(key, format string, args ...any) {
	r.mu.Lock()
	seen := r.warned[key]
	r.warned[key] = true
	r.mu.Unlock()
	if !seen {
		r.out.Printf(format, args...)
	}
}

// startReplica starts one replica of dep and registers it with the load balancer. A
// replica that is gone before it could be registered is reported like any other exit.
func (r *Runner) startReplica(ctx context.Context, dep *deployment) (*replica, error) {
	s := r.spec(dep)
	extra, err := r.replicaEnv(ctx, dep.m)
	if err != nil {
		return nil, fmt.Errorf("start replica %s: %w", s.Name, err)
	}
	s.Vars = append(s.Vars, extra...)
	st, err := docker.Start(ctx, r.cli, s)
	if err != nil {
		if st.ID != "" {
			r.cli.ContainerRemove(context.Background(), st.ID, container.RemoveOptions{Force: true})
		}
		return nil, err
	}
	addr := st.Published
	if !r.o.ViaPorts && st.IP != "" {
		addr = net.JoinHostPort(st.IP, strconv.Itoa(dep.m.Port))
	}
	rep := &replica{name: s.Name, id: st.ID, addr: addr, dep: dep, started: time.Now()}
	r.mu.Lock()
	r.replicas[st.ID] = rep
	r.mu.Unlock()
	go docker.StreamLogs(context.Background(), r.cli, st.ID, r.st.Nth(s.Serial, fmt.Sprintf("%-10s|", s.Name))+" ", r.out)
	if st.Exited {
		r.exited(rep, strconv.Itoa(st.ExitCode))
		return rep, nil
	}
	if addr == "" {
		r.failed(rep, "the engine gave it no address to reach it at")
		return rep, nil
	}
	r.lb.RegisterIn(dep.group(), s.Name, addr)
	r.out.Printf("%s started (revision %s, %s)", s.Name, dep.img.Revision, addr)
	return rep, nil
}

// markStopping claims the replica for stopping; false when it is on its way out already.
func (r *Runner) markStopping(rep *replica) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if rep.stopping {
		return false
	}
	rep.stopping = true
	return true
}

// stop drains and removes the replica in the background.
func (r *Runner) stop(rep *replica, why string) {
	if !r.markStopping(rep) {
		return
	}
	r.out.Printf("%s stopping: %s", rep.name, why)
	r.stops.Add(1)
	go func() {
		defer r.stops.Done()
		r.remove(context.Background(), rep)
	}()
}

// exited handles a replica that exited on its own: it is reported with its exit code
// and last lines, counted as a failure if it never became healthy, and removed.
func (r *Runner) exited(rep *replica, code string) {
	if !r.markStopping(rep) {
		return
	}
	wasHealthy := r.noteFailure(rep)
	r.stops.Add(1)
	go func() {
		defer r.stops.Done()
		lines := docker.Tail(context.Background(), r.cli, rep.id, 10)
		when := "before it was healthy"
		if wasHealthy {
			when = "while healthy"
		}
		var b strings.Builder
		fmt.Fprintf(&b, "%s %s %s, %s after it started", rep.name, r.st.Red("exited with code "+code), when, time.Since(rep.started).Round(100*time.Millisecond))
		if len(lines) == 0 {
			b.WriteString("; it wrote nothing")
		} else {
			b.WriteString("; its last lines:")
			for _, l := range lines {
				b.WriteString("\n    | " + l)
			}
		}
		r.out.Printf("%s", b.String())
		r.remove(context.Background(), rep)
	}()
}

// failed replaces a replica that cannot serve (ECS stops a task that fails its load
// balancer health checks), counting the failure.
func (r *Runner) failed(rep *replica, why string) {
	r.mu.Lock()
	stopping := rep.stopping
	r.mu.Unlock()
	if stopping {
		return
	}
	r.noteFailure(rep)
	r.stop(rep, why)
}

// noteFailure counts a replica that ends before ever being healthy against its
// deployment (for the backoff and the circuit breaker), and reports whether it was
// healthy.
func (r *Runner) noteFailure(rep *replica) bool {
	if s, _ := r.lb.State(rep.name); s == lb.Healthy {
		return true
	}
	r.mu.Lock()
	rep.dep.failures++
	rep.dep.failed++
	rep.dep.nextStart = time.Now().Add(backoff(rep.dep.failures))
	r.mu.Unlock()
	r.poke()
	return false
}

func (r *Runner) onTargetChange(t lb.Target) {
	if t.State == lb.Healthy {
		r.mu.Lock()
		for _, rep := range r.replicas {
			if rep.name == t.ID {
				rep.dep.failures = 0
			}
		}
		r.mu.Unlock()
	}
	if t.State == lb.Healthy || t.State == lb.Unhealthy {
		msg := fmt.Sprintf("%s is %s", t.ID, stateWord(r.st, string(t.State)))
		if t.Reason != "" {
			msg += ": " + t.Reason
		}
		r.out.Printf("%s", msg)
	}
	if t.State == lb.Healthy {
		r.readyOnce.Do(func() {
			r.mu.Lock()
			url := r.url
			r.mu.Unlock()
			r.out.Printf("%s %s answers from %s", r.st.Green("ready:"), url, t.ID)
			if r.o.Ready != nil {
				close(r.o.Ready)
			}
		})
	}
	r.poke()
}

// poke wakes the scheduler.
func (r *Runner) poke() {
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

// live lists the replicas that are not on their way out.
func (r *Runner) live() []*replica {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*replica, 0, len(r.replicas))
	for _, rep := range r.replicas {
		if !rep.stopping {
			out = append(out, rep)
		}
	}
	return out
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
