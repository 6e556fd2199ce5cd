package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
)

// stateFile is where a running "berth up" publishes its replicas' health, for
// "berth status --local" and "berth reload" in another process.
type stateFile struct {
	mu   sync.Mutex
	path string
	snap State
}

// State is what a running "berth up" publishes.
type State struct {
	Service  string         `json:"service"`
	Env      string         `json:"env"`
	URL      string         `json:"url"`
	PID      int            `json:"pid"`
	Replicas []ReplicaState `json:"replicas"`
	Updated  time.Time      `json:"updated"`
}

// ReplicaState is one replica as status shows it.
type ReplicaState struct {
	Name      string `json:"name"`
	Container string `json:"container"`
	Addr      string `json:"addr,omitempty"`
	Revision  string `json:"revision"`
	Health    string `json:"health"`
	Reason    string `json:"reason,omitempty"`
	Status    string `json:"status,omitempty"`
}

func statePath(env string) string {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "berth", "up-"+env+".json")
}

func newStateFile(env, service, url string) *stateFile {
	return &stateFile{path: statePath(env), snap: State{Service: service, Env: env, URL: url, PID: os.Getpid()}}
}

func (r *Runner) saveState() {
	if r.state == nil || r.lb == nil {
		return
	}
	health := map[string][2]string{}
	for _, t := range r.lb.Targets() {
		health[t.ID] = [2]string{string(t.State), t.Reason}
	}
	var reps []ReplicaState
	for _, rep := range r.snapshot() {
		h := health[rep.name]
		reps = append(reps, ReplicaState{Name: rep.name, Container: rep.id[:12], Addr: rep.addr, Revision: rep.dep.img.Revision, Health: h[0], Reason: h[1]})
	}
	sort.Slice(reps, func(i, j int) bool { return reps[i].Name < reps[j].Name })
	s := r.state
	s.mu.Lock()
	defer s.mu.Unlock()
	s.snap.Replicas, s.snap.Updated = reps, time.Now().UTC()
	b, _ := json.MarshalIndent(s.snap, "", "  ")
	os.MkdirAll(filepath.Dir(s.path), 0o755)
	tmp := s.path + ".tmp"
	if os.WriteFile(tmp, b, 0o644) == nil {
		os.Rename(tmp, s.path)
	}
}

func (s *stateFile) remove() { os.Remove(s.path) }

// Status lists the replicas of env as Docker sees them, with the health a running
// "berth up" last published.
func Status(ctx context.Context, cli *client.Client, env string) (State, error) {
	var st State
	if b, err := os.ReadFile(statePath(env)); err == nil {
		json.Unmarshal(b, &st)
	}
	if st.PID != 0 && !alive(st.PID) {
		st = State{} // a crashed up: its health is stale
	}
	health := map[string]ReplicaState{}
	for _, r := range st.Replicas {
		health[r.Name] = r
	}
	list, err := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: labelFilter(env)})
	if err != nil {
		return st, fmt.Errorf("list containers: %w", err)
	}
	st.Env, st.Replicas = env, nil
	for _, c := range list {
		name := c.Labels[LabelReplica]
		h, ok := health[name]
		if !ok {
			h.Health = "unknown (no berth up is running: berth down removes it)"
		}
		st.Service = c.Labels[LabelService]
		st.Replicas = append(st.Replicas, ReplicaState{
			Name: name, Container: c.ID[:12], Addr: h.Addr, Revision: c.Labels[LabelRevision],
			Health: h.Health, Reason: h.Reason, Status: c.Status,
		})
	}
	sort.Slice(st.Replicas, func(i, j int) bool { return st.Replicas[i].Name < st.Replicas[j].Name })
	return st, nil
}

// RequestReload asks the "berth up" running for env to apply its manifest again: the
// trigger only (a SIGHUP to the PID in the state file); Runner.reload does the work.
func RequestReload(env string) (int, error) {
	b, err := os.ReadFile(statePath(env))
	if err != nil {
		return 0, errors.New("no berth up is running for environment " + env)
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil || st.PID == 0 || !alive(st.PID) {
		return 0, errors.New("no berth up is running for environment " + env)
	}
	return st.PID, syscall.Kill(st.PID, syscall.SIGHUP)
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

// Down removes what berth up made for env (all environments when env is empty), whether
// or not the berth up that made it is still running.
func Down(ctx context.Context, cli *client.Client, env string) (containers, networks int, err error) {
	containers, networks, err = removeAll(ctx, cli, env)
	if err == nil && env != "" {
		os.Remove(statePath(env))
	}
	return containers, networks, err
}
