package preflight

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/aws/aws-sdk-go-v2/service/servicequotas"
	sqtypes "github.com/aws/aws-sdk-go-v2/service/servicequotas/types"
	"github.com/aws/smithy-go"
)

// The fakes answer as the APIs do: the answers' shapes and errors are those of the SDK,
// some of them recorded from the emulator (testdata).

type fakeSQ struct {
	applied  map[string]float64 // quota code -> value applied to the account
	defaults map[string]float64 // quota code -> AWS's default, by ListAWSDefaultServiceQuotas
	denied   bool
	calls    []string
}

func (f *fakeSQ) GetServiceQuota(_ context.Context, in *servicequotas.GetServiceQuotaInput, _ ...func(*servicequotas.Options)) (*servicequotas.GetServiceQuotaOutput, error) {
	f.calls = append(f.calls, "GetServiceQuota:"+*in.QuotaCode)
	if f.denied {
		return nil, &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: servicequotas:GetServiceQuota"}
	}
	v, ok := f.applied[*in.QuotaCode]
	if !ok {
		return nil, &sqtypes.NoSuchResourceException{Message: aws.String("The request failed because the specified service does not exist.")}
	}
	return &servicequotas.GetServiceQuotaOutput{Quota: &sqtypes.ServiceQuota{QuotaCode: in.QuotaCode, ServiceCode: in.ServiceCode, Value: aws.Float64(v)}}, nil
}

func (f *fakeSQ) ListAWSDefaultServiceQuotas(_ context.Context, in *servicequotas.ListAWSDefaultServiceQuotasInput, _ ...func(*servicequotas.Options)) (*servicequotas.ListAWSDefaultServiceQuotasOutput, error) {
	f.calls = append(f.calls, "ListAWSDefaultServiceQuotas:"+*in.ServiceCode)
	if len(f.defaults) == 0 {
		return nil, &sqtypes.NoSuchResourceException{Message: aws.String("This service is not available in the current Region.")}
	}
	out := &servicequotas.ListAWSDefaultServiceQuotasOutput{}
	for code, v := range f.defaults {
		out.Quotas = append(out.Quotas, sqtypes.ServiceQuota{QuotaCode: aws.String(code), ServiceCode: in.ServiceCode, Value: aws.Float64(v)})
	}
	return out, nil
}

type fakeEC2 struct {
	EC2
	addresses, vpcs int
	zones           string            // a recorded DescribeAvailabilityZones answer (testdata)
	defaultSubnets  []string          // the zones with a default subnet
	subnets         map[string]string // subnet id -> zone
	offerings       string            // a recorded DescribeInstanceTypeOfferings answer (testdata)
	calls           []string
}

func (f *fakeEC2) DescribeAddresses(context.Context, *ec2.DescribeAddressesInput, ...func(*ec2.Options)) (*ec2.DescribeAddressesOutput, error) {
	f.calls = append(f.calls, "DescribeAddresses")
	return &ec2.DescribeAddressesOutput{Addresses: make([]ec2types.Address, f.addresses)}, nil
}

func (f *fakeEC2) DescribeVpcs(context.Context, *ec2.DescribeVpcsInput, ...func(*ec2.Options)) (*ec2.DescribeVpcsOutput, error) {
	f.calls = append(f.calls, "DescribeVpcs")
	return &ec2.DescribeVpcsOutput{Vpcs: make([]ec2types.Vpc, f.vpcs)}, nil
}

func (f *fakeEC2) DescribeAvailabilityZones(context.Context, *ec2.DescribeAvailabilityZonesInput, ...func(*ec2.Options)) (*ec2.DescribeAvailabilityZonesOutput, error) {
	f.calls = append(f.calls, "DescribeAvailabilityZones")
	out := &ec2.DescribeAvailabilityZonesOutput{}
	return out, recorded(f.zones, out)
}

func (f *fakeEC2) DescribeSubnets(_ context.Context, in *ec2.DescribeSubnetsInput, _ ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error) {
	f.calls = append(f.calls, "DescribeSubnets")
	out := &ec2.DescribeSubnetsOutput{}
	for _, id := range in.SubnetIds {
		out.Subnets = append(out.Subnets, ec2types.Subnet{SubnetId: aws.String(id), AvailabilityZone: aws.String(f.subnets[id])})
	}
	if len(in.Filters) > 0 && *in.Filters[0].Name == "default-for-az" {
		for _, z := range f.defaultSubnets {
			out.Subnets = append(out.Subnets, ec2types.Subnet{AvailabilityZone: aws.String(z), DefaultForAz: aws.Bool(true)})
		}
	}
	return out, nil
}

func (f *fakeEC2) DescribeInstanceTypeOfferings(_ context.Context, in *ec2.DescribeInstanceTypeOfferingsInput, _ ...func(*ec2.Options)) (*ec2.DescribeInstanceTypeOfferingsOutput, error) {
	f.calls = append(f.calls, "DescribeInstanceTypeOfferings")
	all := &ec2.DescribeInstanceTypeOfferingsOutput{}
	if err := recorded(f.offerings, all); err != nil {
		return nil, err
	}
	out := &ec2.DescribeInstanceTypeOfferingsOutput{}
	for _, o := range all.InstanceTypeOfferings {
		if slices.Contains(in.Filters[0].Values, aws.ToString(o.Location)) {
			out.InstanceTypeOfferings = append(out.InstanceTypeOfferings, o)
		}
	}
	return out, nil
}

func recorded(file string, into any) error {
	b, err := os.ReadFile("testdata/" + file)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, into)
}

type lb struct {
	name, typ string
	tags      map[string]string
	rules     int // non-default rules, on one listener
}

type fakeELB struct {
	lbs          []lb
	targetGroups int
	calls        []string
}

func arnOf(name string) string {
	return "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/" + name + "/50dc6c495c0c9188"
}

func listenerOf(name string) string {
	return "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/" + name + "/50dc6c495c0c9188/f2f7dc8efc522ab2"
}

func (f *fakeELB) DescribeLoadBalancers(_ context.Context, in *elb.DescribeLoadBalancersInput, _ ...func(*elb.Options)) (*elb.DescribeLoadBalancersOutput, error) {
	f.calls = append(f.calls, "DescribeLoadBalancers")
	out := &elb.DescribeLoadBalancersOutput{}
	for _, l := range f.lbs {
		if len(in.Names) == 0 || slices.Contains(in.Names, l.name) {
			out.LoadBalancers = append(out.LoadBalancers, elbtypes.LoadBalancer{LoadBalancerName: aws.String(l.name), LoadBalancerArn: aws.String(arnOf(l.name)), Type: elbtypes.LoadBalancerTypeEnum(l.typ)})
		}
	}
	if len(in.Names) > 0 && len(out.LoadBalancers) == 0 {
		return nil, &elbtypes.LoadBalancerNotFoundException{Message: aws.String("One or more load balancers not found")}
	}
	return out, nil
}

func (f *fakeELB) DescribeTags(_ context.Context, in *elb.DescribeTagsInput, _ ...func(*elb.Options)) (*elb.DescribeTagsOutput, error) {
	f.calls = append(f.calls, "DescribeTags")
	out := &elb.DescribeTagsOutput{}
	for _, l := range f.lbs {
		if arnOf(l.name) == in.ResourceArns[0] {
			td := elbtypes.TagDescription{ResourceArn: aws.String(in.ResourceArns[0])}
			for k, v := range l.tags {
				td.Tags = append(td.Tags, elbtypes.Tag{Key: aws.String(k), Value: aws.String(v)})
			}
			out.TagDescriptions = append(out.TagDescriptions, td)
		}
	}
	return out, nil
}

func (f *fakeELB) DescribeTargetGroups(context.Context, *elb.DescribeTargetGroupsInput, ...func(*elb.Options)) (*elb.DescribeTargetGroupsOutput, error) {
	f.calls = append(f.calls, "DescribeTargetGroups")
	return &elb.DescribeTargetGroupsOutput{TargetGroups: make([]elbtypes.TargetGroup, f.targetGroups)}, nil
}

func (f *fakeELB) DescribeListeners(_ context.Context, in *elb.DescribeListenersInput, _ ...func(*elb.Options)) (*elb.DescribeListenersOutput, error) {
	f.calls = append(f.calls, "DescribeListeners")
	out := &elb.DescribeListenersOutput{}
	for _, l := range f.lbs {
		if slices.Contains(in.ListenerArns, listenerOf(l.name)) || aws.ToString(in.LoadBalancerArn) == arnOf(l.name) {
			out.Listeners = append(out.Listeners, elbtypes.Listener{ListenerArn: aws.String(listenerOf(l.name)), LoadBalancerArn: aws.String(arnOf(l.name))})
		}
	}
	return out, nil
}

func (f *fakeELB) DescribeRules(_ context.Context, in *elb.DescribeRulesInput, _ ...func(*elb.Options)) (*elb.DescribeRulesOutput, error) {
	f.calls = append(f.calls, "DescribeRules")
	out := &elb.DescribeRulesOutput{Rules: []elbtypes.Rule{{IsDefault: aws.Bool(true), Priority: aws.String("default")}}}
	for _, l := range f.lbs {
		if listenerOf(l.name) == aws.ToString(in.ListenerArn) {
			for range l.rules {
				out.Rules = append(out.Rules, elbtypes.Rule{IsDefault: aws.Bool(false)})
			}
		}
	}
	return out, nil
}

type fakeRoute53 struct{ nameServers []string }

func (f fakeRoute53) GetHostedZone(_ context.Context, in *route53.GetHostedZoneInput, _ ...func(*route53.Options)) (*route53.GetHostedZoneOutput, error) {
	return &route53.GetHostedZoneOutput{HostedZone: &r53types.HostedZone{Id: aws.String("/hostedzone/" + *in.Id), Name: aws.String("example.com.")},
		DelegationSet: &r53types.DelegationSet{NameServers: f.nameServers}}, nil
}

// fakeDNS answers LookupNS from a table: no DNS query leaves a test.
type fakeDNS struct {
	ns    []string
	err   error
	asked []string
}

func (f *fakeDNS) LookupNS(_ context.Context, name string) ([]*net.NS, error) {
	f.asked = append(f.asked, name)
	if f.err != nil {
		return nil, f.err
	}
	var out []*net.NS
	for _, h := range f.ns {
		out = append(out, &net.NS{Host: h})
	}
	return out, nil
}

func hintOf(t *testing.T, err error) string {
	t.Helper()
	h, ok := err.(interface{ Hint() string })
	if !ok {
		t.Fatalf("%v: no hint", err)
	}
	return h.Hint()
}
