package main

import (
	"time"

	"github.com/berthdev/berth/internal/ops"
	"github.com/spf13/cobra"
)

func newLogs() *cobra.Command {
	o := &awsOptions{}
	lo := ops.LogOptions{}
	since := "10m"
	c := &cobra.Command{
		Use:   "logs",
		Short: "Print the service's logs from CloudWatch, every task interleaved by time",
		Long: `logs prints what the service's tasks wrote, every task's stream interleaved by time, each
line with its task (in its own colour on a terminal). --since takes a duration (90s,
10m, 2h, 3d, 1d12h) or a time (RFC 3339, or a date). -o json prints one JSON object a
line. With no event it says where it looked and since when.`,
		Example: "  berth logs\n  berth logs --follow --since 1h\n  berth logs --since 2026-11-25T08:00:00Z -o json",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			var err error
			if lo.Since, err = ops.ParseSince(since, time.Now()); err != nil {
				return usageErrorf("--since: %v", err)
			}
			s, err := o.prepare(c)
			if err != nil {
				return err
			}
			defer s.stop()
			group, err := s.reader().LogGroup(s.ctx, o.env, s.m.Name, c.ErrOrStderr())
			if err != nil {
				return err
			}
			lo.Poll = s.aws.Poll() * 2
			w := c.OutOrStdout()
			lw := ops.NewLogWriter(w, o.output == "json", styleOf(c))
			if err := s.reader().ReadLogs(s.ctx, group, lo, lw.Write); err != nil {
				return err
			}
			if lw.Lines == 0 && !lo.Follow {
				lw.Nothing(c.ErrOrStderr(), group, lo.Since)
			}
			return nil
		},
	}
	o.flags(c)
	c.Flags().BoolVar(&lo.Follow, "follow", false, "keep printing new events")
	c.Flags().StringVar(&since, "since", since, "how far back to start: a duration (10m, 2h, 3d) or a time (RFC 3339, or a date)")
	return c
}
