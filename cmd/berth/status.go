package main

import (
	"encoding/json"
	"io"
	"time"

	"github.com/berthdev/berth/internal/chart"
	"github.com/berthdev/berth/internal/localops"
	"github.com/berthdev/berth/internal/ops"
	"github.com/spf13/cobra"
)

func newStatus() *cobra.Command {
	o := &awsOptions{manifestOptional: true}
	var onLocal bool
	since := "1h"
	c := &cobra.Command{
		Use:     "status",
		Short:   "Show what runs and how it does: stacks, tasks, the vital signs of the last hour as charts",
		Example: "  berth status\n  berth status --since 6h\n  berth status --env prod -o json\n  berth status --local",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if onLocal && validOutput(o.output) == nil { // else awsStatus says what is wrong with it
				return localops.PrintStatus(c.Context(), c.OutOrStdout(), o.env, o.output == "json")
			}
			from, err := ops.ParseSince(since, time.Now())
			if err != nil {
				return usageErrorf("--since: %v", err)
			}
			return awsStatus(c, o, from)
		},
	}
	o.flags(c)
	c.Flags().BoolVar(&onLocal, "local", false, "the replicas of berth up instead of AWS")
	c.Flags().StringVar(&since, "since", since, "how far back the vital signs go: a duration (1h, 6h, 2d) or a time (RFC 3339)")
	return c
}

// awsStatus shows the manifest's service, or without a manifest the environment: its
// shared stacks and every service in it.
func awsStatus(c *cobra.Command, o *awsOptions, since time.Time) error {
	s, err := o.prepare(c)
	if err != nil {
		return err
	}
	defer s.stop()
	w := c.OutOrStdout()
	if s.m == nil {
		st, err := s.reader().EnvironmentStatus(s.ctx, o.env)
		if err != nil {
			return err
		}
		if o.output == "json" {
			return writeJSON(w, st)
		}
		return st.WriteText(w)
	}
	st, err := s.reader().Status(s.ctx, o.env, s.m.Name)
	if err != nil {
		return err
	}
	note, err := s.deployer().AMINote(s.ctx, o.env, s.m.Capacity.AMI)
	if err != nil {
		return err
	}
	if note != "" {
		st.Notes = append(st.Notes, note)
	}
	if st.Vitals, err = s.reader().Vitals(s.ctx, st, since, time.Now()); err != nil {
		return err
	}
	if o.output == "json" {
		return writeJSON(w, st)
	}
	st.WriteText(w)
	return st.Vitals.WriteText(w, chart.TerminalWidth(w), styleOf(c))
}

// writeJSON writes v indented, as the status commands print it.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
