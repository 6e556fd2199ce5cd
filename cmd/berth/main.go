// Command berth puts a containerized API on Amazon ECS with EC2 capacity, and runs the
// same manifest on the local Docker engine.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/berthdev/berth/internal/ecsexec"
	"github.com/berthdev/berth/internal/exit"
	"github.com/berthdev/berth/internal/hint"
	"github.com/berthdev/berth/internal/manifest"
	"github.com/berthdev/berth/internal/version"
	"github.com/spf13/cobra"
)

func main() {
	if ecsexec.IsChild(os.Args) {
		ecsexec.RunChild(os.Args) // berth exec's Session Manager client: it never returns
	}
	collectLess(os.Args[1:])
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	root := newRoot()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	return exit.Report(stdout, stderr, root.Execute())
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "berth",
		Short: "Put a containerized API on Amazon ECS with EC2 capacity, the secure way",
		Long: `berth deploys one service, described in berth.yml, as an ECS service on EC2 capacity:
tasks in private subnets with no public IP, an internet-facing Application Load Balancer
as the only way in, NAT gateways as the only way out. "berth up" runs the same manifest
on the local Docker engine.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		// berth --version is answered here rather than by cobra's Version field, whose
		// output can only be changed by a text/template: a program that links
		// text/template keeps every exported method of every type it uses, since a
		// template may call any of them by name, and the AWS SDK's clients then weigh
		// 40 MB more and every command starts slower (docs/performance.md)
		RunE: func(c *cobra.Command, _ []string) error {
			if v, _ := c.Flags().GetBool("version"); v {
				fmt.Fprintf(c.OutOrStdout(), "berth %s\n", version.Line())
				return nil
			}
			return c.Help()
		},
	}
	root.Flags().BoolP("version", "v", false, "version for berth")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageErrorf("%v (see %s --help)", err, c.CommandPath())
	})
	root.AddCommand(newVersion(), newInit(), newSynth(), newCheck(), newUp(), newDown(), newReload(), newStatus(),
		newDeploy(), newRollback(), newDiff(), newVerify(), newLogs(), newExec(), newDelete(), newIAMPolicy(), newCost(), newCI())
	return root
}

// usageErrorf is a mistake in how berth was called; it exits 2.
func usageErrorf(format string, args ...any) error { return hint.Usage(fmt.Errorf(format, args...)) }

func withHint(err error, text string) error { return hint.Wrap(err, text) }

// validOutput checks --output, which every command that has it spells the same way.
func validOutput(o string) error {
	if o != "text" && o != "json" {
		return usageErrorf("--output %q: allowed: text, json", o)
	}
	return nil
}

func manifestFlag(c *cobra.Command, file *string) {
	c.Flags().StringVarP(file, "file", "f", manifest.DefaultFile, "manifest to read")
}
