package edge

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/berthdev/berth/internal/hint"
	"github.com/berthdev/berth/internal/manifest"
	"github.com/berthdev/berth/internal/synth"
)

// What CloudFront in front of a service (edge: cloudfront) needs from the account before
// a deploy: the region's id of CloudFront's origin-facing prefix list, which the load
// balancer admits, and a partition that has CloudFront VPC origins.

// EC2 is the part of the EC2 API the edge reads: the managed prefix lists.
type EC2 interface {
	DescribeManagedPrefixLists(context.Context, *ec2.DescribeManagedPrefixListsInput, ...func(*ec2.Options)) (*ec2.DescribeManagedPrefixListsOutput, error)
}

// OriginFacingPrefixList is the id, in this region, of the AWS-managed prefix list of
// CloudFront's origin-facing servers ("Use the CloudFront managed prefix list",
// CloudFront Developer Guide): its id differs from region to region, so berth looks it
// up by name.
func (c *Clients) OriginFacingPrefixList(ctx context.Context) (string, error) {
	out, err := c.EC2.DescribeManagedPrefixLists(ctx, &ec2.DescribeManagedPrefixListsInput{
		Filters: []ec2types.Filter{{Name: aws.String("prefix-list-name"), Values: []string{synth.CloudFrontPrefixListName}}},
	})
	if err != nil {
		return "", fmt.Errorf("look up the prefix list %s: %w", synth.CloudFrontPrefixListName, err)
	}
	for _, pl := range out.PrefixLists {
		if aws.ToString(pl.PrefixListName) == synth.CloudFrontPrefixListName {
			return aws.ToString(pl.PrefixListId), nil
		}
	}
	return "", hint.Wrap(fmt.Errorf("the managed prefix list %s is not in %s: CloudFront cannot be put in front of a load balancer there", synth.CloudFrontPrefixListName, c.Region),
		"leave edge out of berth.yml, or deploy to a region that has it (aws ec2 describe-managed-prefix-lists --region REGION --filters Name=prefix-list-name,Values="+synth.CloudFrontPrefixListName+")")
}

// CheckCloudFrontRegion refuses edge: cloudfront where CloudFront VPC origins do not
// exist: the China and GovCloud partitions have no AWS::CloudFront::VpcOrigin
// (CloudFormation resource specification of those regions).
func CheckCloudFrontRegion(m *manifest.Manifest, region string) error {
	if strings.HasPrefix(region, "cn-") || strings.HasPrefix(region, "us-gov-") {
		return domainError(m, "edge", fmt.Sprintf("CloudFront VPC origins do not exist in %s, so CloudFront cannot reach an internal load balancer there", region),
			"leave edge out (the load balancer faces the internet, with HTTPS on your domain: domain:)")
	}
	return nil
}
