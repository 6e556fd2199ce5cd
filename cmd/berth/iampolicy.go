package main

import (
	"fmt"

	"github.com/berthdev/berth/internal/identity"
	"github.com/berthdev/berth/internal/session"
	"github.com/spf13/cobra"
)

func newIAMPolicy() *cobra.Command {
	var region string
	c := &cobra.Command{
		Use:   "iam-policy",
		Short: "Print the least-privilege IAM policy berth needs, as JSON",
		Long: `iam-policy prints the IAM policy document that deploy, diff, status, verify, logs and
delete need: the calls berth makes itself, and what CloudFormation needs, with your
credentials, to create, update and delete the resources of berth's templates. berth's
own stacks, bucket, repositories, roles and log groups are named in the resources; the
infrastructure of the templates (VPCs, instances, load balancers) cannot be narrowed
before it exists. The tests check that every AWS call berth makes is in it.`,
		Example: "  berth iam-policy > berth-policy.json\n" +
			"  aws iam create-policy --policy-name berth --policy-document file://berth-policy.json\n" +
			"  berth iam-policy --region cn-north-1",
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			doc, err := identity.Policy(identity.PolicyOptions{Partition: session.PartitionOf(region)})
			if err != nil {
				return err
			}
			fmt.Fprintln(c.OutOrStdout(), string(doc))
			return nil
		},
	}
	c.Flags().StringVar(&region, "region", "", "a region of the partition the policy is for (aws-cn, aws-us-gov); default: the aws partition")
	return c
}
