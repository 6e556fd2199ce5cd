package main

import (
	"fmt"
	"os"
	"time"

	"github.com/berthdev/berth/internal/exit"
	"github.com/berthdev/berth/internal/ops"
	"github.com/spf13/cobra"
)

func newVerify() *cobra.Command {
	o := &awsOptions{}
	var timeout time.Duration
	var strict bool
	c := &cobra.Command{
		Use:   "verify",
		Short: "Wait until the service runs its desired count, its targets are healthy and its URL answers 200",
		Long: `verify is the reference's "test it out": it waits, with backoff, never past --timeout,
showing where it stands (tasks running, targets healthy), then reports each check as
pass, fail or skip and a summary. While tasks wait for capacity it says why the Auto
Scaling group could not launch instances, if it could not. Against an emulator (an
endpoint override) whose cluster has no container instance, the checks that need
running tasks are skipped, not passed, and --strict counts them as failures. It exits 1
when a check fails.`,
		Example: "  berth verify\n  berth verify --env prod --timeout 15m\n  berth verify --strict -o json",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			s, err := o.prepare(c)
			if err != nil {
				return err
			}
			defer s.stop()
			w := c.OutOrStdout()
			show, done := ops.VerifyView(w, o.output == "json", o.output == "text" && isTerminal(os.Stdout))
			v, err := s.reader().Verify(s.ctx, o.env, s.m.Name, ops.VerifyOptions{Timeout: timeout, Progress: show, Port: s.m.Port})
			if done(); err != nil {
				return err
			}
			if o.output == "json" {
				v.WriteJSON(w, strict)
			} else {
				v.WriteText(w, strict, styleOf(c))
			}
			if failed := v.Failed(strict); failed > 0 {
				return &exit.Silent{Code: exit.Failure, Msg: fmt.Sprintf("%d check(s) failed", failed)}
			}
			return nil
		},
	}
	o.flags(c)
	c.Flags().DurationVar(&timeout, "timeout", 10*time.Minute, "how long to wait for the service to settle")
	c.Flags().BoolVar(&strict, "strict", false, "count skipped checks as failures")
	return c
}
