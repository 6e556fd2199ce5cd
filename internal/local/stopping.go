package local

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/berthdev/berth/internal/docker"
	"github.com/berthdev/berth/internal/lb"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
)

// How berth up stops. Ctrl-C (or SIGTERM, or berth down) drains as the ALB and ECS
// do: no new connections, requests in flight get the deregistration delay, replicas
// get SIGTERM and 10 s. A second Ctrl-C stops at once: what is in flight is cut and
// the replicas are killed, and removed all the same. A third leaves before that is
// done, naming what is left and how to remove it, rather than leave it unsaid.

// OnInterrupt is berth up's Ctrl-C: the first (or SIGTERM) cancels ctx, a clean stop,
// and the ones after it come on more, for Options.Interrupts.
func OnInterrupt(parent context.Context) (ctx context.Context, more <-chan os.Signal, stop func()) {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithCancel(parent)
	later := make(chan os.Signal, 4)
	go func() {
		first := true
		for s := range sigs {
			if first {
				first = false
				cancel()
				continue
			}
			select {
			case later <- s:
			default:
			}
		}
	}()
	return ctx, later, func() {
		signal.Stop(sigs)
		close(sigs)
		cancel()
	}
}

func (r *Runner) hurried() bool {
	select {
	case <-r.hurry:
		return true
	default:
		return false
	}
}

// untilHurried is a context that ends after d, or at a second Ctrl-C.
func (r *Runner) untilHurried(d time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	go func() {
		select {
		case <-r.hurry:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// hurryUp is the second Ctrl-C: every replica is killed and removed now.
func (r *Runner) hurryUp() {
	close(r.hurry)
	r.out.Printf("%s stopping at once: requests in flight are cut, replicas killed without their drain; Ctrl-C once more leaves what is not removed yet (\"berth down --env %s --service %s\" removes it)",
		r.st.Yellow("second Ctrl-C:"), r.o.Env, r.m.Name)
	for _, rep := range r.snapshot() {
		go r.cli.ContainerRemove(context.Background(), rep.id, container.RemoveOptions{Force: true})
	}
}

// LeftBehindError says berth up left before it removed everything it made.
type LeftBehindError struct {
	Env, Service string
	Containers   []string
	Networks     []string
	Err          error // why the engine could not say what is left, if it could not
}

func (e *LeftBehindError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("stopped before the cleanup was done; what is left could not be listed: %v", e.Err)
	}
	var left []string
	if len(e.Containers) > 0 {
		left = append(left, fmt.Sprintf("container(s) %s", strings.Join(e.Containers, ", ")))
	}
	if len(e.Networks) > 0 {
		left = append(left, fmt.Sprintf("network %s", strings.Join(e.Networks, ", ")))
	}
	return "stopped before the cleanup was done: left " + strings.Join(left, " and ")
}

// Hint tells the user what to do.
func (e *LeftBehindError) Hint() string {
	return fmt.Sprintf("\"berth down --env %s --service %s\" removes them", e.Env, e.Service)
}

// leftBehind is the third Ctrl-C: what is left, as the engine lists it now; nil when
// nothing is.
func (r *Runner) leftBehind() error {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	e := &LeftBehindError{Env: r.o.Env, Service: r.m.Name}
	list, err := r.cli.ContainerList(ctx, container.ListOptions{All: true, Filters: docker.Filter(r.o.Env, r.m.Name)})
	if err != nil {
		e.Err = err
		return e
	}
	for _, c := range list {
		name := c.ID[:12]
		if len(c.Names) > 0 {
			name = strings.TrimPrefix(c.Names[0], "/")
		}
		e.Containers = append(e.Containers, name)
	}
	nets, err := r.cli.NetworkList(ctx, network.ListOptions{Filters: docker.Filter(r.o.Env, r.m.Name)})
	if err != nil {
		e.Err = err
		return e
	}
	for _, n := range nets {
		e.Networks = append(e.Networks, n.Name)
	}
	if len(e.Containers)+len(e.Networks) == 0 {
		r.out.Printf("stopped: nothing of berth's was left")
		return nil
	}
	return e
}

// drainListener stops accepting connections and lets the requests in flight finish,
// up to the deregistration delay, before the replicas are stopped: what the ALB does
// for a target that is deregistered, done here for all of them at once.
func (r *Runner) drainListener(srv *lb.Server) {
	delay := time.Duration(r.m.LoadBalancer.DeregistrationDelay) * time.Second
	r.out.Printf("stopping: no new connections; requests in flight get up to %s", delay)
	ctx, cancel := r.untilHurried(delay)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		srv.Close() // the delay is over: cut what is left, as the ALB does
		if r.hurried() {
			r.out.Printf("requests still in flight were cut")
		} else {
			r.out.Printf("deregistration delay over: requests still in flight were cut")
		}
	}
}

// remove drains the replica from the load balancer, then stops it (SIGTERM, and SIGKILL
// after 10 s where ECS waits 30 s) and removes it; after a second Ctrl-C it kills it.
func (r *Runner) remove(ctx context.Context, rep *replica) {
	r.lb.Deregister(ctx, rep.name)
	if !r.hurried() {
		timeout := 10
		r.cli.ContainerStop(context.Background(), rep.id, container.StopOptions{Timeout: &timeout})
	}
	r.cli.ContainerRemove(context.Background(), rep.id, container.RemoveOptions{Force: true})
	r.mu.Lock()
	delete(r.replicas, rep.id)
	r.mu.Unlock()
	r.poke()
}

// teardown drains and removes every replica, then the network.
func (r *Runner) teardown() {
	drain, cancel := r.untilHurried(40 * time.Second)
	defer cancel()
	reps := r.live()
	if len(reps) > 0 {
		r.out.Printf("stopping %d replica(s)", len(reps))
	}
	for _, rep := range reps {
		if r.markStopping(rep) {
			r.stops.Add(1)
			go func() { defer r.stops.Done(); r.remove(drain, rep) }()
		}
	}
	r.stops.Wait()
	if r.lb != nil {
		r.lb.Close()
	}
	ctx, cancelRemove := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancelRemove()
	grace := 10
	if r.hurried() {
		grace = 0
	}
	if _, _, err := docker.RemoveAll(ctx, r.cli, r.o.Env, r.m.Name, grace); err != nil {
		r.out.Printf("%s %v (run \"berth down\")", r.st.Red("cleanup:"), err)
		return
	}
	r.out.Printf("%s no container or network of berth's is left", r.st.Green("stopped:"))
}
