package main

import (
	"fmt"

	"github.com/berthdev/berth/internal/instances"
	"github.com/berthdev/berth/internal/manifest"

	"github.com/berthdev/berth/internal/synth/templatedir"
	"github.com/spf13/cobra"
)

type synthOptions struct {
	file, out string
}

func newSynth() *cobra.Command {
	o := &synthOptions{}
	c := &cobra.Command{
		Use:   "synth",
		Short: "Write the CloudFormation templates of the manifest",
		Long: `synth writes network.yml (none with network.vpc), cluster.yml and service.yml (stacks
wired by parameters, as "berth deploy" deploys them) and parent.yml, which nests them for
"sam deploy" or "aws cloudformation package" + "deploy". Nothing is written when the
manifest is invalid, and a template whose file already holds its text is left as it is
(its modification time too).`,
		Example: "  berth synth\n  berth synth -f berth.yml -o out",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := templatedir.ValidDir(o.out); err != nil {
				return err
			}
			m, err := manifest.Open(o.file)
			if err != nil {
				return err
			}
			files, err := templatedir.Write(m, o.out)
			if err != nil {
				return err
			}
			for _, f := range files {
				fmt.Fprintln(c.OutOrStdout(), f)
			}
			if w := instances.RoomFor(m); w != "" {
				fmt.Fprintf(c.ErrOrStderr(), "warning: %s\n", w)
			}
			return nil
		},
	}
	manifestFlag(c, &o.file)
	c.Flags().StringVarP(&o.out, "output-dir", "o", "templates", "directory to write the templates to")
	return c
}
