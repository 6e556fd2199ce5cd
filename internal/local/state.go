package local

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/berthdev/berth/internal/control"
	"github.com/berthdev/berth/internal/docker"
	"github.com/berthdev/berth/internal/lb"
	"github.com/berthdev/berth/internal/localvitals"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
)

// State is what this berth up runs now, for the control endpoint.
func (r *Runner) State() control.State {
	r.mu.Lock()
	balancer, url, mon, view := r.lb, r.url, r.vitals, r.view
	r.mu.Unlock()
	now := time.Now()
	st := control.State{Service: r.o.Manifest.Name, Env: r.o.Env, URL: url, Updated: now.UTC(), Replicas: []control.ReplicaState{}}
	var traffic map[string]*localvitals.Traffic
	reps := r.snapshot()
	if mon != nil {
		started := map[string]time.Time{}
		for _, rep := range reps {
			started[rep.name] = rep.started
		}
		st.Traffic, traffic = mon.Traffic(now, started)
	}
	health := map[string][2]string{}
	if balancer != nil {
		for _, t := range balancer.Targets() {
			health[t.ID] = [2]string{string(t.State), t.Reason}
		}
		healthy := func(rep *replica) bool { return health[rep.name][0] == string(lb.Healthy) }
		st.Serving = serving(reps, healthy, balancer.Split())
	}
	if view != nil {
		v := *view
		st.Rollout = &v
	}
	for _, rep := range reps {
		h := health[rep.name]
		if h[0] == "" {
			h[0] = "starting"
			r.mu.Lock()
			if rep.stopping {
				h[0] = "stopping" // out of the load balancer already
			}
			r.mu.Unlock()
		}
		st.Replicas = append(st.Replicas, control.ReplicaState{Name: rep.name, Container: rep.id[:12], Addr: rep.addr, Revision: rep.dep.img.Revision, Health: h[0], Reason: h[1], Traffic: traffic[rep.name]})
	}
	sort.Slice(st.Replicas, func(i, j int) bool { return st.Replicas[i].Name < st.Replicas[j].Name })
	return st
}

// RequestReload is "berth reload" through the control endpoint: a forced reload, asked
// for once the manifest loads.
func (r *Runner) RequestReload(ctx context.Context) error {
	why := Reload{Why: "reload requested", Force: true}
	if r.o.Load != nil {
		m, err := r.o.Load()
		if err != nil {
			r.out.Printf("reload (%s): %v; nothing changed, the running configuration stays", why.Why, err)
			return err
		}
		if _, err := r.replicaEnv(ctx, m); err != nil {
			r.out.Printf("reload (%s): %v; nothing changed, the running configuration stays", why.Why, err)
			return err
		}
	}
	select {
	case r.ctlReloads <- why:
	default: // one is pending: it reads everything as it is then
	}
	return nil
}

// RequestStop is "berth down" through the control endpoint: a stop as Ctrl-C makes.
func (r *Runner) RequestStop() {
	r.out.Printf("stop requested through the control endpoint (berth down)")
	r.cancel()
}

// Status lists the services of env with their replicas as Docker sees them, and the
// health that their running berth ups report. A service whose berth up is gone (a
// crash) still shows its containers, for "berth down" to remove.
func Status(ctx context.Context, cli *client.Client, env string) ([]control.State, error) {
	byService := map[string]*control.State{}
	health := map[string]control.ReplicaState{}
	running, err := control.Running(ctx, env)
	if err != nil {
		return nil, err
	}
	silent := map[string]string{}
	for _, inst := range running {
		st := inst.State
		st.Service, st.Env, st.PID, st.Replicas = inst.Service, inst.Env, inst.PID, []control.ReplicaState{}
		byService[inst.Service] = &st
		if inst.Unresponsive != "" {
			silent[inst.Service] = inst.Unresponsive
		}
		for _, r := range inst.State.Replicas {
			health[r.Container] = r
		}
	}
	list, err := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: docker.Filter(env, "")})
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	for _, c := range list {
		svc := c.Labels[docker.LabelService]
		st := byService[svc]
		if st == nil {
			st = &control.State{Service: svc, Env: c.Labels[docker.LabelEnv]}
			byService[svc] = st
		}
		h, ok := health[c.ID[:12]]
		switch {
		case ok:
		case silent[svc] != "":
			h.Health = "unknown (its berth up does not answer: " + silent[svc] + ")"
		case st.PID != 0:
			h.Health = "not its berth up's (berth down --service " + svc + " removes it)"
		default:
			h.Health = "unknown (no berth up is running: berth down removes it)"
		}
		st.Replicas = append(st.Replicas, control.ReplicaState{
			Name: c.Labels[docker.LabelReplica], Container: c.ID[:12], Addr: h.Addr, Revision: c.Labels[docker.LabelRevision],
			Health: h.Health, Reason: h.Reason, Status: c.Status, Traffic: h.Traffic,
		})
	}
	out := make([]control.State, 0, len(byService))
	for _, st := range byService {
		sort.Slice(st.Replicas, func(i, j int) bool { return st.Replicas[i].Name < st.Replicas[j].Name })
		out = append(out, *st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Service < out[j].Service })
	return out, nil
}

// Down stops the berth ups running in env (every environment when env is empty; one
// service when service is set), each as Ctrl-C would, then removes what crashed ones
// left behind. stopped names the berth ups it stopped.
func Down(ctx context.Context, cli *client.Client, env, service string, progress func(string)) (stopped []control.Instance, containers, networks int, err error) {
	running, err := control.Running(ctx, env)
	if err != nil {
		return nil, 0, 0, err
	}
	for _, inst := range running {
		if service != "" && inst.Service != service {
			continue
		}
		if _, err := control.Answering(inst); err != nil {
			return stopped, 0, 0, err // its replicas are its own: never removed under it
		}
		progress(fmt.Sprintf("stopping the berth up of %s in environment %s (pid %d): it drains, then removes its replicas", inst.Service, inst.Env, inst.PID))
		wait, cancel := context.WithTimeout(ctx, 3*time.Minute)
		err := inst.Stop(wait)
		cancel()
		if err != nil {
			return stopped, 0, 0, err
		}
		stopped = append(stopped, inst)
	}
	containers, networks, err = docker.RemoveAll(ctx, cli, env, service, 10)
	return stopped, containers, networks, err
}
