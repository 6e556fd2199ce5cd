package localops

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/berthdev/berth/internal/control"
	"github.com/berthdev/berth/internal/docker"
	"github.com/berthdev/berth/internal/hint"
	"github.com/berthdev/berth/internal/manifest"
	"github.com/docker/docker/client"
)

// ValidTarget checks --env, and --service when given, as berth.yml's names are checked:
// a usage error (exit 2) when one is not a name.
func ValidTarget(env, service string) error {
	if err := manifest.ValidEnv(env); err != nil {
		return hint.Usage(fmt.Errorf("--env: %w", err))
	}
	if err := manifest.CheckName(service); service != "" && err != nil {
		return hint.Usage(fmt.Errorf("--service: %w", err))
	}
	return nil
}

// AskReload asks the berth up of the service to apply its manifest again: the one
// service names, else the manifest's (file), else the environment's only one. It
// returns once that berth up has taken the request, not when the rollout ends: a
// rollout takes as long as its strategy says (minutes, with canary's defaults) and may
// end in a rollback that berth up carries out by itself, which is no failure of the
// reload; w is told where to watch it.
func AskReload(ctx context.Context, w io.Writer, file, env, service string) error {
	mine := ""
	if m, err := manifest.Load(file); err == nil {
		mine = m.Name
	}
	if err := ValidTarget(env, service); err != nil {
		return err
	}
	running, err := control.Running(ctx, env)
	if err != nil {
		return err
	}
	inst, err := control.Pick(running, env, service, mine)
	if err != nil {
		return err
	}
	if err := inst.Reload(ctx); err != nil {
		return err
	}
	fmt.Fprintf(w, "asked the berth up of %s (pid %d) to apply berth.yml and roll out; its output shows the rollout, and \"berth status --local --env %s\" the revision serving\n", inst.Service, inst.PID, env)
	return nil
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

// WriteDown says what berth down stopped and removed.
func WriteDown(w io.Writer, stopped []control.Instance, containers, networks int) {
	for _, i := range stopped {
		fmt.Fprintf(w, "stopped the berth up of %s in environment %s\n", i.Service, i.Env)
	}
	if containers+networks > 0 || len(stopped) == 0 {
		fmt.Fprintf(w, "removed %d container(s) and %d network(s)\n", containers, networks)
	}
}
