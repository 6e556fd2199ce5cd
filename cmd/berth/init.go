package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/berthdev/berth/internal/appdir"
	"github.com/berthdev/berth/internal/manifest"
	"github.com/spf13/cobra"
)

func newInit() *cobra.Command {
	var file string
	var force bool
	c := &cobra.Command{
		Use:   "init",
		Short: "Write a commented berth.yml for the app in this directory",
		Long: `init reads the directory berth.yml goes in — the name, a Dockerfile or Go main
package to build, the port, a health path — and says what it guessed and why; every
other key is written with its default, commented.`,
		Example: "  berth init\n  berth init -f api.yml --force",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if _, err := os.Stat(file); err == nil && !force {
				return withHint(usageErrorf("%s exists already", file), "use --force to overwrite it")
			} else if err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
			g, err := appdir.Read(filepath.Dir(file))
			if err != nil {
				return err
			}
			text := manifest.Starter
			if g.Build != "" {
				text = manifest.StarterFor(g.Name, g.Build, g.Port, g.HealthPath)
			}
			if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
				return fmt.Errorf("write starter manifest: %w", err)
			}
			g.WriteText(c.OutOrStdout(), file)
			return nil
		},
	}
	manifestFlag(c, &file)
	c.Flags().BoolVar(&force, "force", false, "overwrite an existing file")
	return c
}
