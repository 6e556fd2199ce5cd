package main

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/berthdev/berth/internal/ci"
	"github.com/berthdev/berth/internal/cirole"
	"github.com/berthdev/berth/internal/deploy"
	"github.com/berthdev/berth/internal/manifest"
	"github.com/berthdev/berth/internal/progress"
	"github.com/berthdev/berth/internal/session"
	"github.com/berthdev/berth/internal/version"
	"github.com/spf13/cobra"
)

func newCI() *cobra.Command {
	c := &cobra.Command{Use: "ci", Short: "Deploy from CI without long-lived keys: the roles CI jobs assume, and their workflow", Args: cobra.NoArgs}
	c.AddCommand(newCIRole(), newCIInit())
	return c
}

func newCIRole() *cobra.Command {
	o, t := &awsOptions{}, cirole.Trust{}
	var github, gitlab string
	c := &cobra.Command{
		Use:   "role",
		Short: "Make the roles one repository's CI jobs assume, through OpenID Connect, to plan and to deploy",
		Long: `role makes the stack berth-<env>-ci-<provider>-<hash>: the CI service's OpenID Connect
provider (the account's, when it has one), a deploy role with berth's policy narrowed to
the environment, which only the repository's jobs on --branch (or in the GitHub
environment --ci-environment) may assume, and a plan role for pull requests, which only
reads and prepares change sets. It shows the plan, who may assume which role, and asks
once. Run it with credentials that may make roles; "berth delete --ci-role" removes it.`,
		Example: "  berth ci role --github acme/orders --branch main --env production\n  berth ci role --gitlab acme/platform/orders --branch main --env production --yes",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			t, err := cirole.Named(github, gitlab, t)
			if err != nil {
				return err
			}
			ch, err := o.begin(c, "makes roles")
			if err != nil {
				return err
			}
			defer ch.stop()
			out := c.OutOrStdout()
			co := deploy.CIRoleOptions{Env: o.env, Trust: t, Version: version.Short(), Progress: ch.progress, Poll: ch.aws.Poll(),
				Show: func(pl *deploy.CIRolePlan) { progress.WriteCIRolePlan(out, pl, o.output == "json", styleOf(c)) }}
			if !o.yes {
				co.Confirm = func(context.Context, *deploy.CIRolePlan) (bool, error) { return ch.ask(c, "make these roles? [y/N] ") }
			}
			res, err := ch.deployer().CIRole(ch.ctx, ch.id, co)
			if err != nil {
				return err
			} else if o.output == "json" {
				return writeJSON(out, map[string]any{"kind": "result", "result": res})
			}
			progress.WriteCIRoleResult(out, res, styleOf(c))
			return nil
		},
	}
	o.awsFlags(c)
	c.Flags().BoolVarP(&o.yes, "yes", "y", false, "make the roles without asking")
	c.Flags().StringVar(&github, "github", "", "the GitHub repository whose jobs may assume the roles: OWNER/REPO")
	c.Flags().StringVar(&gitlab, "gitlab", "", "the GitLab project whose jobs may assume the roles: GROUP/PROJECT")
	c.Flags().StringVar(&t.Branch, "branch", "", "only jobs on this branch may deploy")
	c.Flags().StringVar(&t.CIEnvironment, "ci-environment", "", "only jobs in this GitHub environment may deploy (instead of --branch)")
	c.Flags().BoolVar(&t.AnyBranch, "any-branch", false, "let every branch, tag and pull request of the repository deploy")
	c.Flags().BoolVar(&t.AnyRepo, "any-repository", false, "with --github OWNER/*: let every repository of OWNER deploy")
	return c
}

func newCIInit() *cobra.Command {
	w := ci.Workflow{}
	var out string
	var force bool
	c := &cobra.Command{
		Use:   "init github|gitlab",
		Short: "Write the CI workflow: berth check and diff on pull requests, berth deploy from the branch",
		Long: `init writes .github/workflows/berth.yml or .gitlab-ci.yml: on a pull (merge) request,
berth check and berth diff, the plan with its cost change in the job summary; on a push
to --branch, berth deploy --yes, one deploy of the environment at a time. Credentials
come only from OpenID Connect, through the roles of "berth ci role" (--role and
--plan-role, else the variables BERTH_ROLE_ARN and BERTH_PLAN_ROLE_ARN); actions are
pinned by commit SHA, berth by version and SHA-256. It overwrites nothing without --force.`,
		Example:   "  berth ci init github --env production --role ARN --plan-role ARN\n  berth ci init gitlab --env production --out .gitlab/berth.yml",
		Args:      cobra.MatchAll(cobra.ExactArgs(1), cobra.OnlyValidArgs),
		ValidArgs: []string{"github", "gitlab"},
		RunE: func(c *cobra.Command, args []string) error {
			m, err := manifest.Open(w.Manifest)
			if err != nil {
				return err
			}
			if !m.HTTPS() {
				w.CheckIgnore = []string{"BERTH009"} // plain HTTP until the manifest has a domain, as berth says
			}
			w.Provider, w.Generator = args[0], "berth "+version.Short()
			w.Region = cmp.Or(w.Region, session.ConfiguredRegion(c.Context()))
			w.BerthVersion = cmp.Or(w.BerthVersion, version.Short())
			path, err := w.Write(c.Context(), &http.Client{Timeout: 30 * time.Second}, out, force)
			if err == nil {
				fmt.Fprintf(c.OutOrStdout(), "wrote %s: review it, commit it; pull requests to %s get the plan, pushes to %s deploy to %s\n", path, w.Branch, w.Branch, w.Env)
			}
			return err
		},
	}
	envFlag(c, &w.Env)
	manifestFlag(c, &w.Manifest)
	c.Flags().StringVar(&w.Region, "region", "", "AWS region (default: AWS_REGION or the profile's)")
	c.Flags().StringVar(&w.Branch, "branch", "main", "the branch whose pushes deploy, and pull requests to which get the plan")
	c.Flags().StringVar(&w.CIEnvironment, "ci-environment", "", "the GitHub environment the deploy job runs in (berth ci role --ci-environment)")
	c.Flags().StringVar(&w.DeployRole, "role", "", "the deploy role's ARN (berth ci role prints it)")
	c.Flags().StringVar(&w.PlanRole, "plan-role", "", "the plan role's ARN (berth ci role prints it)")
	c.Flags().StringVar(&w.BerthVersion, "berth-version", "", "the berth release the jobs install (default: this one)")
	c.Flags().StringVar(&w.BerthSHA256, "berth-sha256", "", "the SHA-256 of its linux_amd64 archive (default: read from the release's SHA256SUMS)")
	c.Flags().StringVar(&out, "out", "", "the file to write (default: .github/workflows/berth.yml, .gitlab-ci.yml)")
	c.Flags().BoolVar(&force, "force", false, "overwrite an existing file")
	return c
}
