package main

import (
	"strings"

	"github.com/berthdev/berth/internal/ecsexec"
	"github.com/berthdev/berth/internal/localexec"
	"github.com/berthdev/berth/internal/manifest"
	"github.com/spf13/cobra"
)

func newExec() *cobra.Command {
	o := &awsOptions{output: "text"}
	var task string
	var onLocal bool
	c := &cobra.Command{
		Use:     "exec [--task ID] [-- CMD [ARG...]]",
		Short:   "Open a shell (or run CMD) in a running task through ECS Exec (exec: true); --local: in a berth up replica",
		Example: "  berth exec\n  berth exec --task 0123456789abcdef -- env\n  berth exec --local -- /app/api --version",
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) > 0 && c.ArgsLenAtDash() != 0 {
				return usageErrorf("put the command after --: berth exec -- %s", strings.Join(args, " "))
			}
			if onLocal {
				return localExec(c, o, task, args)
			}
			s, err := o.prepare(c)
			if err != nil {
				return err
			}
			defer s.stop()
			return ecsexec.New(s.aws).Run(s.ctx, ecsexec.Options{Env: o.env, Service: s.m.Name, Task: task, Command: args, ManifestExec: s.m.Exec}, s.aws.Region, o.profile)
		},
	}
	manifestFlag(c, &o.file)
	envFlag(c, &o.env)
	c.Flags().StringVar(&o.region, "region", "", "AWS region (default: AWS_REGION or the profile's)")
	c.Flags().StringVar(&o.profile, "profile", "", "AWS profile (default: AWS_PROFILE or default)")
	c.Flags().StringVar(&task, "task", "", "the task's id (--local: the replica's name) to run in; default: the first running")
	c.Flags().BoolVar(&onLocal, "local", false, "run in a replica of berth up instead of an AWS task")
	return c
}

func localExec(c *cobra.Command, o *awsOptions, task string, args []string) error {
	m, err := manifest.Open(o.file)
	if err != nil {
		return err
	}
	if err := manifest.ValidEnv(o.env); err != nil {
		return usageErrorf("--env: %v", err)
	}
	return localexec.ExecIn(c.Context(), localexec.ExecOptions{Env: o.env, Service: m.Name, Replica: task, Command: args, In: c.InOrStdin(), Out: c.OutOrStdout(), Err: c.ErrOrStderr()})
}
