package main

import (
	"fmt"

	"github.com/berthdev/berth/internal/version"
	"github.com/spf13/cobra"
)

func newVersion() *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print berth's version: release, commit and build date",
		Args:    cobra.NoArgs,
		Example: "  berth version\n  berth --version",
		RunE: func(c *cobra.Command, _ []string) error {
			fmt.Fprintf(c.OutOrStdout(), "berth %s\n", version.Line())
			return nil
		},
	}
}
