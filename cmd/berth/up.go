package main

import (
	"fmt"

	"github.com/berthdev/berth/internal/docker"
	"github.com/berthdev/berth/internal/envlistener"
	"github.com/berthdev/berth/internal/local"
	"github.com/berthdev/berth/internal/localops"
	"github.com/berthdev/berth/internal/manifest"
	"github.com/spf13/cobra"
)

func newUp() *cobra.Command {
	o := &local.UpFlags{}
	c := &cobra.Command{
		Use:   "up",
		Short: "Run the service on the local Docker engine behind a local load balancer",
		Long: `up runs count replicas of the service on a private Docker network behind a local
load balancer on 127.0.0.1:8080 (the next free port when taken) that behaves like the
ALB and its target group: health checks, traffic only to healthy replicas, drain on
deregistration; replicas that exit or stay unhealthy are replaced, with a backoff.
Ctrl-C drains and removes everything ("berth down" cleans up after a crash).
"berth reload" (or --watch, on a change of berth.yml or the sources) applies berth.yml
again and rolls out new replicas like ECS, through deployment.strategy and rollback_on
(--rollout-speed rehearses it faster). With a domain, or --tls, it serves HTTPS
from a local certificate authority. Secrets come from the environment, then from
berth.secrets.env next to berth.yml; replicas get AWS credentials only with
--aws-profile. docs/local.md has the details.`,
		Example: "  berth up\n  berth up --watch --listen 127.0.0.1:9000\n  berth up -f examples/other.yml --env demo\n  berth up --aws-profile dev",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			o.Out, o.Style, o.ListenSet, o.TLSSet, o.TLSListenSet = c.OutOrStdout(), styleOf(c), c.Flags().Changed("listen"), c.Flags().Changed("tls"), c.Flags().Changed("tls-listen")
			return local.RunUp(c.Context(), *o, manifest.Open)
		},
	}
	manifestFlag(c, &o.File)
	envFlag(c, &o.Env)
	c.Flags().StringVar(&o.Listen, "listen", envlistener.DefaultListen, "address of the local load balancer (default: the first free port from 8080)")
	c.Flags().BoolVar(&o.TLS, "tls", false, "serve HTTPS with a local certificate authority and redirect HTTP to it (the default when berth.yml has a domain or edge: cloudfront)")
	c.Flags().StringVar(&o.TLSListen, "tls-listen", "", "address of the HTTPS listener (default: the first free port from 127.0.0.1:8443)")
	c.Flags().BoolVar(&o.Watch, "watch", false, "apply berth.yml and roll out when it or the sources of image.build change")
	c.Flags().BoolVar(&o.ViaPorts, "via-published-ports", local.DefaultViaPorts(), "reach replicas through their published loopback ports (needed on Docker Desktop)")
	c.Flags().StringVar(&o.AWSProfile, "aws-profile", "", "give the replicas short-lived AWS credentials of this profile (none without it)")
	c.Flags().Float64Var(&o.RolloutSpeed, "rollout-speed", 1, "rehearse rollouts N times faster: traffic steps, bake, the rule's one-minute windows (10: a 3m bake takes 18s)")
	return c
}

func envFlag(c *cobra.Command, env *string) {
	c.Flags().StringVar(env, "env", "dev", "environment name")
}

func newDown() *cobra.Command {
	var env, service string
	var all bool
	c := &cobra.Command{
		Use:   "down",
		Short: "Stop berth up and remove the containers and networks it made",
		Long: `down stops the berth ups running in an environment (or one service of it) the way
Ctrl-C does: no new connections, requests in flight finish, replicas removed. Then it
removes, by their labels, what a berth up that crashed left behind. It finds a running
berth up through its control endpoint, never by a process id.`,
		Example: "  berth down\n  berth down --env demo --service orders\n  berth down --all",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if all {
				env, service = "", ""
			} else if err := localops.ValidTarget(env, service); err != nil {
				return err
			}
			cli, err := docker.Connect(c.Context())
			if err != nil {
				return err
			}
			defer cli.Close()
			w := c.OutOrStdout()
			stopped, n, nets, err := localops.Down(c.Context(), cli, env, service, func(msg string) { fmt.Fprintln(w, msg) })
			if err == nil {
				localops.WriteDown(w, stopped, n, nets)
			}
			return err
		},
	}
	envFlag(c, &env)
	c.Flags().StringVar(&service, "service", "", "only this service of the environment")
	c.Flags().BoolVar(&all, "all", false, "every environment")
	return c
}

func newReload() *cobra.Command {
	var env, service, file string
	c := &cobra.Command{
		Use:   "reload",
		Short: "Make a running berth up apply berth.yml again: rebuild, apply, roll out",
		Long: `reload asks a running berth up to read its berth.yml again, rebuild, apply what
changed and roll out new replicas. Where an environment runs several services, it is
the one --service names, else the one of the berth.yml at hand, else the only one.
It returns once asked: berth up's output shows the rollout and any rollback.`,
		Example: "  berth reload\n  berth reload --env demo --service orders",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return localops.AskReload(c.Context(), c.OutOrStdout(), file, env, service)
		},
	}
	manifestFlag(c, &file)
	envFlag(c, &env)
	c.Flags().StringVar(&service, "service", "", "the service, where the environment runs several")
	return c
}
