package main

import (
	"fmt"

	"github.com/berthdev/berth/internal/check"
	"github.com/berthdev/berth/internal/exit"
	"github.com/berthdev/berth/internal/manifest"
	"github.com/berthdev/berth/internal/synth"
	"github.com/spf13/cobra"
)

type checkOptions struct {
	file   string
	output string
	ignore []string
}

func newCheck() *cobra.Command {
	o := &checkOptions{}
	c := &cobra.Command{
		Use:   "check [TEMPLATE...]",
		Short: "Check templates against the rules that keep this architecture safe",
		Long: `check evaluates named rules on CloudFormation templates (YAML or JSON): tasks without
public IP, task ingress only from the load balancer on the container port, load balancer
open only on listener ports, IMDSv2, encrypted volumes, log retention, scoped task-role
trust, deployment circuit breaker, HTTPS only, no credentials in a task's plain
environment, a CI role's trust with an audience and a subject, and the form
CloudFormation accepts (no duplicate keys, no YAML aliases, resources that are
mappings). With no argument it checks what "berth synth" would write for the manifest.
It exits 1 when any rule fails, except the rules named with --ignore, whose failures
are listed as ignored.`,
		Example: "  berth check\n  berth check my-stack.yml other.json\n  berth check --ignore BERTH009   # plain HTTP, knowingly (no domain yet)",
		RunE: func(c *cobra.Command, args []string) error {
			if err := validOutput(o.output); err != nil {
				return err
			}
			inputs, err := o.templates(args)
			if err != nil {
				return err
			}
			results, err := check.Run(inputs, o.ignore)
			if err != nil {
				return err
			}
			if o.output == "json" {
				err = check.WriteJSON(c.OutOrStdout(), results)
			} else {
				check.WriteText(c.OutOrStdout(), results)
			}
			if n := check.Failed(results); n > 0 && err == nil {
				return &exit.Silent{Code: exit.Failure, Msg: fmt.Sprintf("%d check(s) failed", n)}
			}
			return err
		},
	}
	manifestFlag(c, &o.file)
	c.Flags().StringVarP(&o.output, "output", "o", "text", "text or json (one result per line)")
	c.Flags().StringSliceVar(&o.ignore, "ignore", nil, "rule IDs whose failures do not count (repeat, or separate with commas)")
	return c
}

func (o *checkOptions) templates(args []string) ([]check.Input, error) {
	if len(args) > 0 {
		return check.ReadFiles(args)
	}
	m, err := manifest.Open(o.file)
	if err != nil {
		return nil, err
	}
	files, err := synth.Render(m)
	if err != nil {
		return nil, err
	}
	var out []check.Input
	for _, s := range synth.StacksOf(m) {
		out = append(out, check.Input{Name: s.File(), Data: files[s.File()]})
	}
	return out, nil
}
