package preflight

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/servicequotas"
	sqtypes "github.com/aws/aws-sdk-go-v2/service/servicequotas/types"
	"github.com/berthdev/berth/internal/hint"
)

// A quota met halfway through a deploy fails it with some stacks made and others not:
// the fifth VPC of the region is made, the sixth Elastic IP is refused, and the network
// stack rolls back after minutes. So what a deploy adds is counted against what the
// account may have, before anything changes.

// ServiceQuotas is the part of the Service Quotas API berth reads: the value applied to
// the account, else AWS's default ("Service Quotas User Guide": a default value does not
// reflect any quota increases; GetServiceQuota "retrieves the applied quota value ...
// If the applied quota value is not available for a quota, the quota is not retrieved").
type ServiceQuotas interface {
	GetServiceQuota(context.Context, *servicequotas.GetServiceQuotaInput, ...func(*servicequotas.Options)) (*servicequotas.GetServiceQuotaOutput, error)
	ListAWSDefaultServiceQuotas(context.Context, *servicequotas.ListAWSDefaultServiceQuotasInput, ...func(*servicequotas.Options)) (*servicequotas.ListAWSDefaultServiceQuotasOutput, error)
}

// EC2 is the part of the EC2 API the checks read: addresses and VPCs (what the quotas
// count), zones, subnets and instance type offerings.
type EC2 interface {
	DescribeAddresses(context.Context, *ec2.DescribeAddressesInput, ...func(*ec2.Options)) (*ec2.DescribeAddressesOutput, error)
	DescribeVpcs(context.Context, *ec2.DescribeVpcsInput, ...func(*ec2.Options)) (*ec2.DescribeVpcsOutput, error)
	DescribeAvailabilityZones(context.Context, *ec2.DescribeAvailabilityZonesInput, ...func(*ec2.Options)) (*ec2.DescribeAvailabilityZonesOutput, error)
	DescribeSubnets(context.Context, *ec2.DescribeSubnetsInput, ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error)
	DescribeInstanceTypeOfferings(context.Context, *ec2.DescribeInstanceTypeOfferingsInput, ...func(*ec2.Options)) (*ec2.DescribeInstanceTypeOfferingsOutput, error)
}

// ELB is the part of the Elastic Load Balancing API the checks read: the load
// balancers, target groups and rules the quotas count, and who holds a name.
type ELB interface {
	DescribeLoadBalancers(context.Context, *elb.DescribeLoadBalancersInput, ...func(*elb.Options)) (*elb.DescribeLoadBalancersOutput, error)
	DescribeTargetGroups(context.Context, *elb.DescribeTargetGroupsInput, ...func(*elb.Options)) (*elb.DescribeTargetGroupsOutput, error)
	DescribeListeners(context.Context, *elb.DescribeListenersInput, ...func(*elb.Options)) (*elb.DescribeListenersOutput, error)
	DescribeRules(context.Context, *elb.DescribeRulesInput, ...func(*elb.Options)) (*elb.DescribeRulesOutput, error)
	DescribeTags(context.Context, *elb.DescribeTagsInput, ...func(*elb.Options)) (*elb.DescribeTagsOutput, error)
}

// Quota is one of the account's quotas a deploy can run into, as Service Quotas names
// it, with its documented default for when Service Quotas has no value.
type Quota struct {
	What        string // what the refusal calls it: "Elastic IPs"
	ServiceCode string
	Code        string
	Name        string
	Default     float64
}

// The quotas berth counts, per region. Codes from Service Quotas; defaults from
// "Amazon VPC quotas" / "Amazon Virtual Private Cloud endpoints and quotas" (5 VPCs and 5
// Elastic IP addresses per Region) and "Quotas for your Application Load Balancers" (50
// load balancers and 3,000 target groups per Region, shared with Network Load
// Balancers; 100 rules per load balancer, default rules excluded).
var (
	ElasticIPs    = Quota{"Elastic IPs", "ec2", "L-0263D0A3", "EC2-VPC Elastic IPs", 5}
	VPCs          = Quota{"VPCs", "vpc", "L-F678F1CE", "VPCs per Region", 5}
	LoadBalancers = Quota{"Application Load Balancers", "elasticloadbalancing", "L-53DA6B97", "Application Load Balancers per Region", 50}
	TargetGroups  = Quota{"target groups", "elasticloadbalancing", "L-B22855CB", "Target Groups per Region", 3000}
	ListenerRules = Quota{"listener rules", "elasticloadbalancing", "L-7EED9B64", "Rules per Application Load Balancer", 100}
)

// Consumes is what a deploy adds to what the quotas count.
type Consumes struct {
	VPCs, ElasticIPs, LoadBalancers, TargetGroups int
	// Rules are listener rules added to a load balancer that exists already (one that
	// several services share), by the ARN of the listener they go on: such a deploy may
	// consume 0 load balancers and 1 rule.
	Rules map[string]int
}

// ConsumesOf counts what the stacks add: every resource of a stack to be made, and the
// resources an update adds or replaces (CloudFormation makes the new one before it
// deletes the old). What an update removes is deleted at its end, so it frees nothing
// in time for the rest.
func ConsumesOf(stacks []Stack) Consumes {
	out := Consumes{Rules: map[string]int{}}
	for _, s := range stacks {
		for _, r := range s.added("") {
			res := s.Template.Resources[r]
			switch res.Type {
			case "AWS::EC2::VPC":
				out.VPCs++
			case "AWS::EC2::EIP":
				out.ElasticIPs++
			case "AWS::ElasticLoadBalancingV2::LoadBalancer":
				if t, _ := res.Properties["Type"].(string); t == "" || t == "application" {
					out.LoadBalancers++
				}
			case "AWS::ElasticLoadBalancingV2::TargetGroup":
				out.TargetGroups++
			case "AWS::ElasticLoadBalancingV2::ListenerRule":
				// a rule on a listener of its own stack goes on a load balancer made with
				// it; one on a listener passed in goes on a load balancer that exists
				ref, _ := res.Properties["ListenerArn"].(map[string]any)["Ref"].(string)
				if _, own := s.Template.Resources[ref]; !own && s.Params[ref] != "" {
					out.Rules[s.Params[ref]]++
				}
			}
		}
	}
	return out
}

// checkQuotas refuses a deploy that would go over a quota, with the numbers.
func (c *Clients) checkQuotas(ctx context.Context, d Deploy) ([]string, error) {
	need := ConsumesOf(d.Stacks)
	single := d.Manifest != nil && d.Manifest.Network.NAT == "single"
	nat := "a NAT gateway per zone"
	if single {
		nat = "one NAT gateway"
	}
	type count struct {
		q     Quota
		n     int
		why   string
		usage func(context.Context) (int, error)
	}
	counts := []count{
		{VPCs, need.VPCs, "the environment's network", c.vpcsInUse},
		{ElasticIPs, need.ElasticIPs, nat, c.addressesInUse},
		{LoadBalancers, need.LoadBalancers, "the service's load balancer", c.loadBalancersInUse},
		{TargetGroups, need.TargetGroups, "the service's target groups", c.targetGroupsInUse},
	}
	var notes, over, fixes []string
	eips := false // the Elastic IPs are short
	for _, ct := range counts {
		if ct.n == 0 {
			continue
		}
		limit, note := c.quota(ctx, ct.q)
		if note != "" {
			notes = append(notes, note)
			continue
		}
		used, err := ct.usage(ctx)
		if err != nil {
			notes = append(notes, unread("how many "+ct.q.What+" are in use", err))
			continue
		}
		if float64(used+ct.n) > limit {
			over = append(over, fmt.Sprintf("%s in %s: %d of %s in use, this deploy needs %d (%s)", ct.q.What, c.Region, used, number(limit), ct.n, ct.why))
			fixes = append(fixes, c.increase(ct.q, used+ct.n))
			eips = eips || ct.q == ElasticIPs
		}
	}
	for _, listener := range slices.Sorted(maps.Keys(need.Rules)) {
		n := need.Rules[listener]
		limit, note := c.quota(ctx, ListenerRules)
		if note != "" {
			notes = append(notes, note)
			continue
		}
		lb, used, err := c.rulesInUse(ctx, listener)
		if err != nil {
			notes = append(notes, unread("the rules of the load balancer of "+listener, err))
			continue
		}
		if float64(used+n) > limit {
			over = append(over, fmt.Sprintf("listener rules on load balancer %s: %d of %s in use, this deploy needs %d (the service's rules)", lb, used, number(limit), n))
			fixes = append(fixes, c.increase(ListenerRules, used+n))
		}
	}
	if len(over) == 0 {
		return notes, nil
	}
	h := "request an increase: " + fixes[0]
	if len(fixes) > 1 {
		h = "request increases: " + strings.Join(fixes, "; ")
	}
	if eips {
		if need.ElasticIPs > 1 && !single {
			h += "; or set network.nat: single in berth.yml (one NAT gateway, and one Elastic IP, for every zone)"
		}
		h += "; or release the Elastic IPs nothing uses (aws ec2 describe-addresses --region " + c.Region + ")"
	}
	return notes, hint.Wrap(fmt.Errorf("%s: the account's quotas leave no room for this deploy, so nothing was changed", strings.Join(over, "; ")), h)
}

// increase is the command that asks AWS for a quota of at least want.
func (c *Clients) increase(q Quota, want int) string {
	return fmt.Sprintf("aws service-quotas request-service-quota-increase --service-code %s --quota-code %s --desired-value %d --region %s", q.ServiceCode, q.Code, want, c.Region)
}

func number(v float64) string { return fmt.Sprintf("%g", v) }

// quota is the value of q for this account and region: the applied one, else AWS's
// default (the documented one when Service Quotas has none either). A note says why it
// could not be read, and the quota is then not checked.
func (c *Clients) quota(ctx context.Context, q Quota) (float64, string) {
	out, err := c.SQ.GetServiceQuota(ctx, &servicequotas.GetServiceQuotaInput{ServiceCode: aws.String(q.ServiceCode), QuotaCode: aws.String(q.Code)})
	var none *sqtypes.NoSuchResourceException
	switch {
	case err == nil && out.Quota != nil && out.Quota.Value != nil:
		return *out.Quota.Value, ""
	case err == nil && out.Quota != nil && out.Quota.ErrorReason != nil:
		return 0, fmt.Sprintf("not checked: the quota %s (%s) could not be read (%s: %s)", q.Name, q.Code, out.Quota.ErrorReason.ErrorCode, aws.ToString(out.Quota.ErrorReason.ErrorMessage))
	case err != nil && !errors.As(err, &none):
		return 0, unread(fmt.Sprintf("the quota %s (%s) could not be read", q.Name, q.Code), err)
	}
	// no value applied to the account: AWS's default is the quota
	p := servicequotas.NewListAWSDefaultServiceQuotasPaginator(c.SQ, &servicequotas.ListAWSDefaultServiceQuotasInput{ServiceCode: aws.String(q.ServiceCode)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			break
		}
		for _, d := range page.Quotas {
			if aws.ToString(d.QuotaCode) == q.Code && d.Value != nil {
				return *d.Value, ""
			}
		}
	}
	return q.Default, ""
}

func (c *Clients) addressesInUse(ctx context.Context) (int, error) {
	out, err := c.EC2.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{}) // not paginated: every address of the region
	if err != nil {
		return 0, err
	}
	return len(out.Addresses), nil
}

func (c *Clients) vpcsInUse(ctx context.Context) (int, error) {
	n := 0
	p := ec2.NewDescribeVpcsPaginator(c.EC2, &ec2.DescribeVpcsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return 0, err
		}
		n += len(page.Vpcs)
	}
	return n, nil
}

func (c *Clients) loadBalancersInUse(ctx context.Context) (int, error) {
	n := 0
	p := elb.NewDescribeLoadBalancersPaginator(c.ELB, &elb.DescribeLoadBalancersInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return 0, err
		}
		for _, lb := range page.LoadBalancers {
			if lb.Type == "application" {
				n++
			}
		}
	}
	return n, nil
}

func (c *Clients) targetGroupsInUse(ctx context.Context) (int, error) {
	n := 0
	p := elb.NewDescribeTargetGroupsPaginator(c.ELB, &elb.DescribeTargetGroupsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return 0, err
		}
		n += len(page.TargetGroups)
	}
	return n, nil
}

// rulesInUse counts the rules of the load balancer a listener belongs to, over all its
// listeners, default rules excluded (as the quota counts them).
func (c *Clients) rulesInUse(ctx context.Context, listener string) (string, int, error) {
	out, err := c.ELB.DescribeListeners(ctx, &elb.DescribeListenersInput{ListenerArns: []string{listener}})
	if err != nil {
		return "", 0, err
	}
	if len(out.Listeners) == 0 {
		return "", 0, fmt.Errorf("no listener %s", listener)
	}
	lb := aws.ToString(out.Listeners[0].LoadBalancerArn)
	n := 0
	p := elb.NewDescribeListenersPaginator(c.ELB, &elb.DescribeListenersInput{LoadBalancerArn: aws.String(lb)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return lb, 0, err
		}
		for _, l := range page.Listeners {
			in := &elb.DescribeRulesInput{ListenerArn: l.ListenerArn}
			for {
				rules, err := c.ELB.DescribeRules(ctx, in)
				if err != nil {
					return lb, 0, err
				}
				for _, r := range rules.Rules {
					if !aws.ToBool(r.IsDefault) {
						n++
					}
				}
				if rules.NextMarker == nil {
					break
				}
				in.Marker = rules.NextMarker
			}
		}
	}
	return lb, n, nil
}
