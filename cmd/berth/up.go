package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/berthdev/berth/internal/local"
	"github.com/berthdev/berth/internal/manifest"
	"github.com/spf13/cobra"
)

type upOptions struct {
	file, env, listen string
	watch, viaPorts   bool
	awsProfile        string
}

func newUp() *cobra.Command {
	o := &upOptions{}
	c := &cobra.Command{
		Use:   "up",
		Short: "Run the service on the local Docker engine behind a local load balancer",
		Long: `up runs count replicas of the service on a private Docker network behind a load
balancer on 127.0.0.1:8080 that behaves like the ALB target group: health checks by the
manifest, traffic only to healthy replicas, drain on deregistration. Replicas that exit
or stay unhealthy past the grace period are replaced, with a backoff. Ctrl-C stops
accepting connections, lets requests in flight finish (up to deregistration_delay),
then removes everything; a second Ctrl-C quits at once ("berth down" cleans up).

"berth reload" from another shell (or SIGHUP to this process) reads berth.yml again,
rebuilds, applies count, health and deployment settings at once and rolls out new
replicas (max_percent / min_healthy_percent, like ECS) for a new image, env, cpu or
memory; it says what needs a restart (name, port). --watch does the same when berth.yml
or the sources of image.build change.

Secrets take their values from the environment, then from berth.secrets.env next to
berth.yml (NAME=value lines), which never goes into an image; a missing one stops berth
up. Replicas get no AWS credentials unless --aws-profile names a profile: then
short-lived ones, as the SDK resolves them.`,
		Example: "  berth up\n  berth up --watch --listen 127.0.0.1:9000\n  berth up -f examples/other.yml --env demo\n  berth up --aws-profile dev",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := manifest.ValidEnv(o.env); err != nil {
				return usageErrorf("--env: %v", err)
			}
			m, err := loadManifest(o.file)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(c.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			go func() {
				<-ctx.Done()
				stop() // a second Ctrl-C quits at once
			}()
			extra, err := newReplicaEnv(ctx, o.awsProfile)
			if err != nil {
				return err
			}
			if err := extra.describe(ctx, c.OutOrStdout(), m); err != nil {
				return err
			}
			cli, err := local.Connect(ctx)
			if err != nil {
				return err
			}
			defer cli.Close()
			reloads := make(chan local.Reload, 1)
			hup := make(chan os.Signal, 1)
			signal.Notify(hup, syscall.SIGHUP)
			defer signal.Stop(hup)
			go func() {
				for range hup {
					offer(reloads, local.Reload{Why: "reload requested", Force: true})
				}
			}()
			if o.watch {
				go watchSources(ctx, o.file, m.BuildDir(), reloads)
			}
			return local.Up(ctx, cli, local.Options{
				Manifest: m, Load: func() (*manifest.Manifest, error) { return manifest.Load(o.file) },
				Env: o.env, Listen: o.listen, ViaPorts: o.viaPorts,
				Out: c.OutOrStdout(), Reloads: reloads, ReplicaEnv: extra.vars,
			})
		},
	}
	manifestFlag(c, &o.file)
	envFlag(c, &o.env)
	c.Flags().StringVar(&o.listen, "listen", "127.0.0.1:8080", "address of the local load balancer")
	c.Flags().BoolVar(&o.watch, "watch", false, "apply berth.yml and roll out when it or the sources of image.build change")
	c.Flags().BoolVar(&o.viaPorts, "via-published-ports", local.DefaultViaPorts(), "reach replicas through their published loopback ports (needed on Docker Desktop)")
	c.Flags().StringVar(&o.awsProfile, "aws-profile", "", "give the replicas short-lived AWS credentials of this profile (none without it)")
	return c
}

func envFlag(c *cobra.Command, env *string) {
	c.Flags().StringVar(env, "env", "dev", "environment name")
}

func offer(ch chan local.Reload, r local.Reload) {
	select {
	case ch <- r:
	default: // a reload is pending already: it will read everything as it is then
	}
}

// watchSources polls the manifest and the build directory and asks for a reload when a
// file changes. Polling is portable and cheap at this size; a second is the debounce.
func watchSources(ctx context.Context, file, dir string, reloads chan local.Reload) {
	last := fingerprint(file, dir)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if fp := fingerprint(file, dir); fp != last {
				last = fp
				offer(reloads, local.Reload{Why: "files changed"})
			}
		}
	}
}

func fingerprint(file, dir string) string {
	h := sha256.New()
	if info, err := os.Stat(file); err == nil {
		fmt.Fprintf(h, "%s %d %d\n", file, info.Size(), info.ModTime().UnixNano())
	}
	if dir == "" {
		return fmt.Sprintf("%x", h.Sum(nil))
	}
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if info, err := d.Info(); err == nil {
			fmt.Fprintf(h, "%s %d %d\n", path, info.Size(), info.ModTime().UnixNano())
		}
		return nil
	})
	return fmt.Sprintf("%x", h.Sum(nil))
}

func newDown() *cobra.Command {
	var env string
	var all bool
	c := &cobra.Command{
		Use:     "down",
		Short:   "Remove the containers and network that berth up made",
		Long:    "down removes, by their labels, the replicas and network of an environment: what Ctrl-C on berth up removes, or what a crashed berth up left behind.",
		Example: "  berth down\n  berth down --env demo\n  berth down --all",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if all {
				env = ""
			}
			cli, err := local.Connect(c.Context())
			if err != nil {
				return err
			}
			defer cli.Close()
			n, nets, err := local.Down(c.Context(), cli, env)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "removed %d container(s) and %d network(s)\n", n, nets)
			return nil
		},
	}
	envFlag(c, &env)
	c.Flags().BoolVar(&all, "all", false, "every environment")
	return c
}

func newReload() *cobra.Command {
	var env string
	c := &cobra.Command{
		Use:     "reload",
		Short:   "Make a running berth up apply berth.yml again: rebuild, apply, roll out",
		Example: "  berth reload\n  berth reload --env demo",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			pid, err := local.RequestReload(env)
			if err != nil {
				return withHint(err, "start one with \"berth up\"")
			}
			fmt.Fprintf(c.OutOrStdout(), "asked berth up (pid %d) to apply berth.yml and roll out; its output shows the progress\n", pid)
			return nil
		},
	}
	envFlag(c, &env)
	return c
}
