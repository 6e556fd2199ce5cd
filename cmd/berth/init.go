package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/berthdev/berth/internal/manifest"
	"github.com/spf13/cobra"
)

func newInit() *cobra.Command {
	var file string
	var force bool
	c := &cobra.Command{
		Use:     "init",
		Short:   "Write a commented starter berth.yml",
		Example: "  berth init\n  berth init -f api.yml --force",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if _, err := os.Stat(file); err == nil && !force {
				return withHint(usageErrorf("%s exists already", file), "use --force to overwrite it")
			} else if err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
			if err := os.WriteFile(file, []byte(manifest.Starter), 0o644); err != nil {
				return fmt.Errorf("write starter manifest: %w", err)
			}
			fmt.Fprintf(c.OutOrStdout(), "wrote %s: edit it, then run \"berth up\" to run it locally or \"berth deploy\" to deploy it\n", file)
			return nil
		},
	}
	manifestFlag(c, &file)
	c.Flags().BoolVar(&force, "force", false, "overwrite an existing file")
	return c
}
