package main

import (
	"encoding/json"
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
need: the calls berth makes itself, and what CloudFormation's resource handlers call
with your credentials to create, update, delete and tag the resources of berth's
templates (from the published resource schemas). They do not fit one managed policy
(6,144 characters), so they come as a few, to attach together: a JSON array of
{"PolicyName", "PolicyDocument"}, or with --dir one file per policy and the AWS CLI
commands that create them. berth's own stacks, buckets, repositories, roles and log
groups are named in the resources; the infrastructure of the templates (VPCs,
instances, load balancers) cannot be narrowed before it exists. SSM parameters are
readable only under /aws/service/ (the public AMI parameters): grant your own
capacity.ami parameter if you use one. The tests check that every AWS call berth
makes is in them.`,
		Example: "  berth iam-policy --dir policies   # then run the commands it prints\n" +
			"  berth iam-policy > berth-policies.json\n" +
			"  berth iam-policy --region cn-north-1",
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			docs, err := identity.Policies(identity.PolicyOptions{Partition: session.PartitionOf(region)})
			if err != nil {
				return err
			}
			if dir == "" {
				enc := json.NewEncoder(c.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(docs)
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
