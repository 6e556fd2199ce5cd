package main

import (
	"encoding/json"

	"github.com/berthdev/berth/internal/progress"
	"github.com/berthdev/berth/internal/teardown"
	"github.com/spf13/cobra"
)

func newDelete() *cobra.Command {
	o := &awsOptions{manifestOptional: true}
	var environment, force bool
	var ciRole string
	c := &cobra.Command{
		Use:   "delete",
		Short: "Remove the manifest's service; the environment goes with its last service",
		Long: `delete removes the manifest's service: its stack (and with it its load balancer and log
group), its templates in the artifact bucket and the image repository berth made for it,
with its images. When no other service remains in the environment, the cluster and the
network go too: the Auto Scaling group's instances lose their scale-in protection first
and the group is emptied, so that it deletes; the bucket goes once nothing else uses it.

--environment removes the whole environment. It refuses while services still run in it,
naming them, unless --force, which deletes them first. Without a manifest, --environment
is required. --ci-role removes the stack of "berth ci role" instead, with its OpenID
Connect provider once no other role trusts it.

It lists exactly what it will remove and asks; for an environment named like production
(prod, production, prd, live) the environment's name must be typed. Deleting what is
already gone succeeds.`,
		Example: "  berth delete\n  berth delete --env staging --yes\n  berth delete --env staging --environment --force --yes",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if force && !environment || ciRole != "" && environment {
				return usageErrorf("--force applies to --environment, which --ci-role excludes")
			}
			ch, err := o.begin(c, "deletes")
			if err != nil {
				return err
			}
			defer ch.stop()
			do := teardown.DeleteOptions{Env: o.env, Environment: environment, Force: force, CIRole: ciRole, Progress: ch.progress, Poll: ch.aws.Poll()}
			if !environment && ciRole == "" {
				if ch.m == nil {
					return withHint(usageErrorf("no manifest at %s: berth cannot tell which service to delete", o.file),
						"point -f at the service's manifest, or pass --environment to delete the whole environment")
				}
				do.Service = ch.m.Name
			}
			r, err := ch.deleter().PlanDelete(ch.ctx, ch.id, do)
			if err != nil {
				return err
			}
			out := c.OutOrStdout()
			if o.output == "json" {
				json.NewEncoder(out).Encode(map[string]any{"kind": "removal", "removal": r})
			} else {
				progress.WriteRemoval(out, r, styleOf(c))
			}
			if r.Empty() {
				return nil
			}
			if !o.yes && ch.cannotAsk != nil {
				return ch.cannotAsk
			} else if !o.yes {
				if err := progress.ConfirmRemoval(ch.ctx, c.InOrStdin(), c.OutOrStdout(), r); err != nil {
					return err
				}
				ch.progress.Restart()
			}
			return ch.deleter().Delete(ch.ctx, ch.id, do)
		},
	}
	o.flags(c)
	c.Flags().BoolVarP(&o.yes, "yes", "y", false, "delete without asking")
	c.Flags().BoolVar(&environment, "environment", false, "delete the whole environment: network, cluster and artifacts")
	c.Flags().BoolVar(&force, "force", false, "with --environment: delete the services still in it too")
	c.Flags().StringVar(&ciRole, "ci-role", "", "delete berth ci role's stack instead: github:OWNER/REPO, gitlab:GROUP/PROJECT or the stack's name")
	return c
}
