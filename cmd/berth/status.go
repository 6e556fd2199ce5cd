package main

import (
	"encoding/json"
	"io"

	"github.com/berthdev/berth/internal/local"
	"github.com/spf13/cobra"
)

func newStatus() *cobra.Command {
	o := &awsOptions{manifestOptional: true}
	var onLocal bool
	c := &cobra.Command{
		Use:     "status",
		Short:   "Show what runs: the AWS stacks and service, or with --local the berth up replicas",
		Example: "  berth status\n  berth status --env prod -o json\n  berth status --local",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if onLocal && validOutput(o.output) == nil { // else awsStatus says what is wrong with it
				return local.PrintStatus(c.Context(), c.OutOrStdout(), o.env, o.output == "json")
			}
			return awsStatus(c, o)
		},
	}
	o.flags(c)
	c.Flags().BoolVar(&onLocal, "local", false, "the replicas of berth up instead of AWS")
	return c
}

// awsStatus shows the manifest's service, or without a manifest the environment: its
// shared stacks and every service in it.
func awsStatus(c *cobra.Command, o *awsOptions) error {
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
	if o.output == "json" {
		return writeJSON(w, st)
	}
	st.WriteText(w)
	return nil
}

// writeJSON writes v indented, as the status commands print it.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
