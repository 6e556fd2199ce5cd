package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/berthdev/berth/internal/ci"
	"github.com/berthdev/berth/internal/deploy"
	"github.com/berthdev/berth/internal/docker"
	"github.com/berthdev/berth/internal/exit"
	"github.com/berthdev/berth/internal/progress"
	"github.com/berthdev/berth/internal/version"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/cobra"
)

func newDeploy() *cobra.Command {
	o := &awsOptions{}
	c := &cobra.Command{
		Use:   "deploy",
		Short: "Create or update the environment's stacks and the service's in AWS",
		Long: `deploy works out a plan first: it reads the environment, builds the image when the
manifest says image.build (without pushing it), and asks CloudFormation for the change
set of every deployed stack. It shows the plan — the image, every stack, every change,
what is replaced — and asks once; then it pushes the image and brings
berth-<env>-network, berth-<env>-cluster and berth-<env>-svc-<service> to the manifest
in that order. A plan with nothing to change asks nothing. Without a terminal it
requires --yes.`,
		Example: "  berth deploy\n  berth deploy --env prod --region eu-west-1 --yes\n  berth deploy -o json --yes",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			ch, err := o.begin(c, "changes stacks")
			if err != nil {
				return err
			}
			defer ch.stop()
			out := c.OutOrStdout()
			opts := o.deployOptions(ch.awsRun)
			opts.Progress = ch.progress
			if !o.yes {
				opts.Confirm = func(_ context.Context, pl *deploy.Plan) (bool, error) {
					return ch.ask(c, fmt.Sprintf("deploy this plan (%d change(s)) to %s? [y/N] ", pl.Count(), o.env))
				}
			}
			res, err := ch.deployer().Deploy(ch.ctx, ch.id, opts)
			ci.Summarize(c.ErrOrStderr(), func(w io.Writer) { progress.WriteDeployedMarkdown(w, res, err) })
			if err != nil {
				return err
			}
			if o.output == "json" {
				return json.NewEncoder(out).Encode(map[string]any{"kind": "result", "result": res})
			}
			progress.WriteDeployed(out, res, styleOf(c))
			return nil
		},
	}
	o.flags(c)
	c.Flags().BoolVarP(&o.yes, "yes", "y", false, "deploy the plan without asking")
	c.Flags().BoolVar(&o.refreshAMI, "refresh-ami", false, "read capacity.ami's SSM parameter again and roll the instances to the image it names now")
	c.Flags().BoolVar(&o.updateEnv, "update-env", false, "let this manifest change network or capacity keys that other services of the environment share")
	c.Flags().BoolVar(&o.rollback, "rollback", false, "deploy the image before the current one (berth rollback)")
	_ = c.Flags().MarkHidden("rollback")
	return c
}

// newRollback is deploy of the image the service ran before the current one.
func newRollback() *cobra.Command {
	c := newDeploy()
	c.Use, c.Short, c.Example = "rollback", "Deploy the image the service ran before the current one again, through its strategy", "  berth rollback\n  berth rollback --env prod --yes"
	c.Long = "rollback plans a new deployment of the image the service ran before the current one, through the manifest's strategy and alarms, and asks once, like deploy."
	c.Flags().Set("rollback", "true")
	return c
}

func newDiff() *cobra.Command {
	o := &awsOptions{}
	var exitCode bool
	c := &cobra.Command{
		Use:   "diff",
		Short: "Show the plan of a deploy, without changing anything",
		Long: `diff shows what deploy would do: the image (built to know whether the sources changed,
not pushed), every stack, every resource change with the properties that change and
what is replaced, from CloudFormation's change sets (deleted once read) and from
comparing the deployed templates and parameters with the new ones. With --exit-code it
exits 0 when nothing would change and 3 when something would (1 stays a failure).`,
		Example: "  berth diff\n  berth diff --env prod -o json",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			s, err := o.prepare(c)
			if err != nil {
				return err
			}
			defer s.stop()
			pl, err := s.deployer().Diff(s.ctx, s.id, o.deployOptions(s))
			if err != nil {
				return err
			}
			out := c.OutOrStdout()
			ci.Summarize(c.ErrOrStderr(), func(w io.Writer) { progress.WritePlanMarkdown(w, pl) })
			if o.output == "json" {
				err = json.NewEncoder(out).Encode(pl)
			} else {
				progress.WritePlan(out, pl, styleOf(c))
				if !pl.Changes() {
					fmt.Fprintln(out, "no changes")
				}
			}
			if exitCode && pl.Changes() && err == nil {
				return &exit.Silent{Code: exit.Changes}
			}
			return err
		},
	}
	o.flags(c)
	c.Flags().BoolVar(&exitCode, "exit-code", false, "exit 3 when the plan has changes, 0 when it has none")
	c.Flags().BoolVar(&o.refreshAMI, "refresh-ami", false, "plan as deploy --refresh-ami would")
	c.Flags().BoolVar(&o.updateEnv, "update-env", false, "plan as deploy --update-env would")
	return c
}

// deployOptions are what deploy and diff plan with.
func (o *awsOptions) deployOptions(r *awsRun) deploy.Options {
	opts := deploy.Options{Manifest: r.m, Env: o.env, Version: version.Short(), Poll: r.aws.Poll(), RefreshAMI: o.refreshAMI, UpdateEnv: o.updateEnv, Rollback: o.rollback}
	if r.m.Image.Build != "" {
		opts.Image = func(ctx context.Context, arch string) (v1.Image, error) { return docker.BuildFor(ctx, r.m, arch) }
	}
	return opts
}
