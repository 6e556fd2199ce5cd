package main

import (
	"fmt"

	"github.com/berthdev/berth/internal/identity"
	"github.com/berthdev/berth/internal/session"
	"github.com/spf13/cobra"
)

func newIAMPolicy() *cobra.Command {
	var region, dir string
	c := &cobra.Command{
		Use:   "iam-policy",
		Short: "Print the least-privilege IAM policies berth needs, as JSON",
		Long: `iam-policy prints the IAM policies that deploy, diff, status, verify, logs and delete
need: berth's own calls, and what CloudFormation's resource handlers call with your
credentials for the resources of berth's templates (from the published resource
schemas). They come as a few managed policies to attach together (each at most 6,144
characters): a JSON array, or with --dir a file each and the commands that create them.
docs/aws.md, "IAM permissions", says what is scoped and what is left out.`,
		Example: "  berth iam-policy --dir policies   # then run the commands it prints\n" +
			"  berth iam-policy > berth-policies.json\n" +
			"  berth iam-policy --region cn-north-1",
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := session.CheckRegion(region, "--region"); err != nil {
				return err
			}
			docs, err := identity.Policies(identity.PolicyOptions{Partition: session.PartitionOf(region)})
			if err != nil {
				return err
			}
			if dir == "" {
				return writeJSON(c.OutOrStdout(), docs)
			}
			commands, err := identity.WriteDir(dir, docs)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "wrote %d policies to %s; create them and attach each to berth's user or role:\n%s", len(docs), dir, commands)
			return nil
		},
	}
	c.Flags().StringVar(&region, "region", "", "a region of the partition the policy is for (aws-cn, aws-us-gov); default: the aws partition")
	c.Flags().StringVar(&dir, "dir", "", "write one JSON file per policy here, and print the commands that create them")
	return c
}
