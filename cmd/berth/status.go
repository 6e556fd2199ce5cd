package main

import (
	"github.com/spf13/cobra"
)

type statusOptions struct {
	file, env, output string
	local             bool
}

func newStatus() *cobra.Command {
	o := &statusOptions{}
	c := &cobra.Command{
		Use:     "status",
		Short:   "Show what runs: the AWS stacks and service, or with --local the berth up replicas",
		Example: "  berth status --local\n  berth status --local -o json",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := validOutput(o.output); err != nil {
				return err
			}
			if o.local {
				return printLocalStatus(c, o.env, o.output)
			}
			return awsStatus(c, o)
		},
	}
	manifestFlag(c, &o.file)
	envFlag(c, &o.env)
	c.Flags().BoolVar(&o.local, "local", false, "the replicas of berth up instead of AWS")
	c.Flags().StringVarP(&o.output, "output", "o", "text", "text or json")
	return c
}
