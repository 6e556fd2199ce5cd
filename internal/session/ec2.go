package session

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// EC2 is the SDK's EC2 client narrowed to the calls berth makes: the reads of an
// existing network. The SDK's client has some 750 operations, and the linker keeps
// every exported method of a type that reaches an interface, or a struct field of one
// (reflection could call them): held that way the client made berth 30 MB larger
// (47.3 → 77.8 MB, stripped). Kept here as method values, it is never such a type,
// only these five operations stay, and berth grows by 0.7 MB
// (TestTheEC2ClientKeepsOnlyItsReads).
type EC2 struct {
	describeVpcs         func(context.Context, *ec2.DescribeVpcsInput, ...func(*ec2.Options)) (*ec2.DescribeVpcsOutput, error)
	describeVpcAttribute func(context.Context, *ec2.DescribeVpcAttributeInput, ...func(*ec2.Options)) (*ec2.DescribeVpcAttributeOutput, error)
	describeSubnets      func(context.Context, *ec2.DescribeSubnetsInput, ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error)
	describeRouteTables  func(context.Context, *ec2.DescribeRouteTablesInput, ...func(*ec2.Options)) (*ec2.DescribeRouteTablesOutput, error)
	describeVpcEndpoints func(context.Context, *ec2.DescribeVpcEndpointsInput, ...func(*ec2.Options)) (*ec2.DescribeVpcEndpointsOutput, error)
	// the checks before a deploy: addresses and zones for the quotas, instance types
	describeAddresses             func(context.Context, *ec2.DescribeAddressesInput, ...func(*ec2.Options)) (*ec2.DescribeAddressesOutput, error)
	describeAvailabilityZones     func(context.Context, *ec2.DescribeAvailabilityZonesInput, ...func(*ec2.Options)) (*ec2.DescribeAvailabilityZonesOutput, error)
	describeInstanceTypeOfferings func(context.Context, *ec2.DescribeInstanceTypeOfferingsInput, ...func(*ec2.Options)) (*ec2.DescribeInstanceTypeOfferingsOutput, error)
	// CloudFront's origin-facing prefix list, which a load balancer behind it admits
	describeManagedPrefixLists func(context.Context, *ec2.DescribeManagedPrefixListsInput, ...func(*ec2.Options)) (*ec2.DescribeManagedPrefixListsOutput, error)
}

func newEC2(c *ec2.Client) *EC2 {
	return &EC2{c.DescribeVpcs, c.DescribeVpcAttribute, c.DescribeSubnets, c.DescribeRouteTables, c.DescribeVpcEndpoints,
		c.DescribeAddresses, c.DescribeAvailabilityZones, c.DescribeInstanceTypeOfferings, c.DescribeManagedPrefixLists}
}

// DescribeVpcs calls the SDK's.
func (e *EC2) DescribeVpcs(ctx context.Context, in *ec2.DescribeVpcsInput, opts ...func(*ec2.Options)) (*ec2.DescribeVpcsOutput, error) {
	return e.describeVpcs(ctx, in, opts...)
}

// DescribeVpcAttribute calls the SDK's.
func (e *EC2) DescribeVpcAttribute(ctx context.Context, in *ec2.DescribeVpcAttributeInput, opts ...func(*ec2.Options)) (*ec2.DescribeVpcAttributeOutput, error) {
	return e.describeVpcAttribute(ctx, in, opts...)
}

// DescribeSubnets calls the SDK's.
func (e *EC2) DescribeSubnets(ctx context.Context, in *ec2.DescribeSubnetsInput, opts ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error) {
	return e.describeSubnets(ctx, in, opts...)
}

// DescribeRouteTables calls the SDK's.
func (e *EC2) DescribeRouteTables(ctx context.Context, in *ec2.DescribeRouteTablesInput, opts ...func(*ec2.Options)) (*ec2.DescribeRouteTablesOutput, error) {
	return e.describeRouteTables(ctx, in, opts...)
}

// DescribeVpcEndpoints calls the SDK's.
func (e *EC2) DescribeVpcEndpoints(ctx context.Context, in *ec2.DescribeVpcEndpointsInput, opts ...func(*ec2.Options)) (*ec2.DescribeVpcEndpointsOutput, error) {
	return e.describeVpcEndpoints(ctx, in, opts...)
}

// DescribeAddresses calls the SDK's.
func (e *EC2) DescribeAddresses(ctx context.Context, in *ec2.DescribeAddressesInput, opts ...func(*ec2.Options)) (*ec2.DescribeAddressesOutput, error) {
	return e.describeAddresses(ctx, in, opts...)
}

// DescribeAvailabilityZones calls the SDK's.
func (e *EC2) DescribeAvailabilityZones(ctx context.Context, in *ec2.DescribeAvailabilityZonesInput, opts ...func(*ec2.Options)) (*ec2.DescribeAvailabilityZonesOutput, error) {
	return e.describeAvailabilityZones(ctx, in, opts...)
}

// DescribeInstanceTypeOfferings calls the SDK's.
func (e *EC2) DescribeInstanceTypeOfferings(ctx context.Context, in *ec2.DescribeInstanceTypeOfferingsInput, opts ...func(*ec2.Options)) (*ec2.DescribeInstanceTypeOfferingsOutput, error) {
	return e.describeInstanceTypeOfferings(ctx, in, opts...)
}

// DescribeManagedPrefixLists calls the SDK's.
func (e *EC2) DescribeManagedPrefixLists(ctx context.Context, in *ec2.DescribeManagedPrefixListsInput, opts ...func(*ec2.Options)) (*ec2.DescribeManagedPrefixListsOutput, error) {
	return e.describeManagedPrefixLists(ctx, in, opts...)
}
