package local

import (
	"context"
	"sort"
	"time"

	"github.com/berthdev/berth/internal/control"
	"github.com/berthdev/berth/internal/lb"
	"github.com/berthdev/berth/internal/localvitals"
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
