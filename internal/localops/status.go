// Package localops is what the commands that act on running berth ups from outside
// do: berth status --local (each service's replicas as Docker lists them, with what
// their berth ups say of them), berth down (each berth up stopped as Ctrl-C stops it,
// then whatever crashed ones left in the engine) and berth reload (asked of the berth
// up that runs the service).
//
// It talks to berth up through control and to the engine through docker: it imports
// neither local nor anything of the AWS path.
package localops

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/berthdev/berth/internal/control"
	"github.com/berthdev/berth/internal/docker"
	"github.com/berthdev/berth/internal/hint"
	"github.com/berthdev/berth/internal/localvitals"
	"github.com/berthdev/berth/internal/manifest"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
)

// PrintStatus is berth status --local: the replicas of env's services, as text or
// indented JSON.
func PrintStatus(ctx context.Context, w io.Writer, env string, asJSON bool) error {
	if err := manifest.ValidEnv(env); err != nil {
		return hint.Usage(fmt.Errorf("--env: %w", err))
	}
	cli, err := docker.Connect(ctx)
	if err != nil {
		return err
	}
	defer cli.Close()
	services, err := Status(ctx, cli, env)
	if err != nil {
		return err
	}
	return WriteStatus(w, env, services, asJSON)
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

// WriteStatus prints the services berth up runs in env: the vital signs the load
// balancer saw, and a table of replicas each (their figures are the last minute's); or
// all of it as one JSON document.
func WriteStatus(w io.Writer, env string, services []control.State, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Env      string          `json:"env"`
			Services []control.State `json:"services"`
		}{env, services})
	}
	if len(services) == 0 {
		fmt.Fprintf(w, "nothing runs locally for environment %s (start it with \"berth up\")\n", env)
		return nil
	}
	for i, st := range services {
		if i > 0 {
			fmt.Fprintln(w)
		}
		url := st.URL
		if url == "" {
			url = "(no berth up is running for it)"
		} else if st.PID != 0 {
			url += fmt.Sprintf(" (berth up pid %d)", st.PID)
		}
		fmt.Fprintf(w, "service %s, environment %s, %s\n\n", st.Service, env, url)
		if t := st.Traffic; t != nil {
			fmt.Fprintf(w, "  last minute: %s\n  since berth up started (%s): %d requests, %s 5xx\n\n",
				t.LastMinute.Text(), time.Duration(t.Total.Seconds*float64(time.Second)).Round(time.Second), t.Total.Requests, localvitals.Percent(t.Total.ErrorShare))
		}
		writeServing(w, st)
		if len(st.Replicas) == 0 {
			fmt.Fprintln(w, "  no replica yet")
			continue
		}
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "REPLICA\tCONTAINER\tREVISION\tHEALTH\tREQ/S\t5XX\tP50\tP99\tADDRESS\tDOCKER")
		for _, r := range st.Replicas {
			health := r.Health
			if r.Reason != "" {
				health += " (" + r.Reason + ")"
			}
			rps, errs, p50, p99 := "-", "-", "-", "-"
			if t := r.Traffic; t != nil && t.LastMinute.Requests > 0 {
				v := t.LastMinute
				rps, errs, p50, p99 = localvitals.Rate(v.RequestsPerSecond), localvitals.Percent(v.ErrorShare), localvitals.Millis(v.P50Ms), localvitals.Millis(v.P99Ms)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, r.Container, r.Revision, health, rps, errs, p50, p99, r.Addr, r.Status)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// writeServing says which revision serves, and the rollout in progress or the last:
//
//	serving: revision 3f2a9c1d (deployment #1) 95 %, revision 7b1e0f42 (deployment #2) 5 %
//	rollout: deployment #2 (revision 7b1e0f42), canary, PRODUCTION_TRAFFIC_SHIFT
func writeServing(w io.Writer, st control.State) {
	if len(st.Serving) > 0 {
		var s []string
		for _, v := range st.Serving {
			s = append(s, fmt.Sprintf("revision %s (deployment #%d) %s %%", v.Revision, v.Deployment, trim1(v.Percent)))
		}
		fmt.Fprintf(w, "  serving: %s\n", strings.Join(s, ", "))
	}
	if x := st.Rollout; x != nil {
		fmt.Fprintf(w, "  rollout: deployment #%d (revision %s), %s, %s", x.Deployment, x.Revision, x.Strategy, x.Stage)
		if x.BakeLeftSeconds > 0 {
			fmt.Fprintf(w, ", bake %s left", time.Duration(x.BakeLeftSeconds*float64(time.Second)))
		}
		if x.Reason != "" {
			fmt.Fprintf(w, ": %s", x.Reason)
		}
		fmt.Fprintln(w)
	}
	if len(st.Serving) > 0 || st.Rollout != nil {
		fmt.Fprintln(w)
	}
}

func trim1(f float64) string { return strconv.FormatFloat(localvitals.Round(f, 1), 'f', -1, 64) }
