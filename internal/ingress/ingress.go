// Package ingress is the environment's load balancer as it runs: the routing table of
// its listeners (whose rule takes which host and path, at which priority, on which
// listener), read from the live rules, which are the truth whatever the templates say;
// and the checks a deploy makes against it before anything changes: a route another
// service holds, the priority a new rule gets, a host served over HTTPS.
//
// It reads; CloudFormation changes. It defines the narrow interface of the API it calls
// and must not import deploy, ops or any other package above it on the AWS path.
package ingress

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/berthdev/berth/internal/names"
	"github.com/berthdev/berth/internal/routing"
	"github.com/berthdev/berth/internal/synth"
)

// ELB is the part of the Elastic Load Balancing v2 API the routing table is read with:
// the listeners' rules, and the tags of the target groups they forward to, which say
// whose they are (CloudFormation puts its stack's tags, berth:service among them, on
// the target groups it makes: "CloudFormation resource tagging").
type ELB interface {
	DescribeRules(context.Context, *elb.DescribeRulesInput, ...func(*elb.Options)) (*elb.DescribeRulesOutput, error)
	DescribeTags(context.Context, *elb.DescribeTagsInput, ...func(*elb.Options)) (*elb.DescribeTagsOutput, error)
}

// Clients are the APIs the load balancer is read through.
type Clients struct {
	ELB ELB
}

// Table reads the routing table of the environment's load balancer, whose ingress
// stack has outputs: every rule of its listeners but the default ones and the HTTP
// twins of rules served over HTTPS (they redirect to them), by priority.
func (c *Clients) Table(ctx context.Context, outputs map[string]string) (routing.Table, error) {
	var t routing.Table
	groups := map[string]int{} // a target group's ARN -> the entry it serves
	for _, l := range []struct {
		arn   string
		https bool
	}{{outputs[synth.OutSharedHTTPSListener], true}, {outputs[synth.OutSharedHTTPListener], false}} {
		if l.arn == "" {
			continue
		}
		rules, err := c.rules(ctx, l.arn)
		if err != nil {
			return nil, err
		}
		for _, r := range rules {
			if aws.ToBool(r.IsDefault) {
				continue
			}
			tg := forwardsTo(r.Actions)
			if tg == "" {
				continue // a redirect to HTTPS: the rule it redirects to is listed
			}
			p := 0
			fmt.Sscan(aws.ToString(r.Priority), &p)
			groups[tg] = len(t)
			t = append(t, routing.Entry{Route: routeOf(r.Conditions), Priority: p, HTTPS: l.https})
		}
	}
	if err := c.owners(ctx, t, groups); err != nil {
		return nil, err
	}
	t.Sort()
	return t, nil
}

func (c *Clients) rules(ctx context.Context, listener string) ([]elbtypes.Rule, error) {
	var out []elbtypes.Rule
	in := &elb.DescribeRulesInput{ListenerArn: aws.String(listener)}
	for {
		page, err := c.ELB.DescribeRules(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("read the rules of the environment's load balancer: %w", err)
		}
		out = append(out, page.Rules...)
		if page.NextMarker == nil {
			return out, nil
		}
		in.Marker = page.NextMarker
	}
}

// owners names the service of each entry from its target group's tags (20 groups a
// call, DescribeTags' most); a rule berth did not make is named so.
func (c *Clients) owners(ctx context.Context, t routing.Table, groups map[string]int) error {
	arns := make([]string, 0, len(groups))
	for arn := range groups {
		arns = append(arns, arn)
	}
	for i := 0; i < len(arns); i += 20 {
		out, err := c.ELB.DescribeTags(ctx, &elb.DescribeTagsInput{ResourceArns: arns[i:min(i+20, len(arns))]})
		if err != nil {
			return fmt.Errorf("read whose the environment's rules are: %w", err)
		}
		for _, d := range out.TagDescriptions {
			for _, tag := range d.Tags {
				if aws.ToString(tag.Key) == names.TagService {
					t[groups[aws.ToString(d.ResourceArn)]].Service = aws.ToString(tag.Value)
				}
			}
		}
	}
	for i := range t {
		if t[i].Service == "" {
			t[i].Service = NotBerths
		}
	}
	return nil
}

// NotBerths names the service of a rule berth did not make.
const NotBerths = "(a rule berth did not make)"

// forwardsTo is the first target group a rule forwards to, "" for another action.
func forwardsTo(actions []elbtypes.Action) string {
	for _, a := range actions {
		if a.Type != elbtypes.ActionTypeEnumForward {
			continue
		}
		if a.ForwardConfig != nil && len(a.ForwardConfig.TargetGroups) > 0 {
			return aws.ToString(a.ForwardConfig.TargetGroups[0].TargetGroupArn)
		}
		return aws.ToString(a.TargetGroupArn)
	}
	return ""
}

// routeOf reads a route from a rule's conditions, in either of the two forms
// DescribeRules answers them (Values, or HostHeaderConfig / PathPatternConfig): the
// host, and the path of the pair berth writes (/orders and /orders/*); /* alone is the
// default route's.
func routeOf(conditions []elbtypes.RuleCondition) routing.Route {
	var host, path string
	for _, c := range conditions {
		switch aws.ToString(c.Field) {
		case "host-header":
			values := c.Values
			if c.HostHeaderConfig != nil && len(c.HostHeaderConfig.Values) > 0 {
				values = c.HostHeaderConfig.Values
			}
			if len(values) > 0 {
				host = values[0]
			}
		case "path-pattern":
			values := c.Values
			if c.PathPatternConfig != nil && len(c.PathPatternConfig.Values) > 0 {
				values = c.PathPatternConfig.Values
			}
			for _, v := range values {
				if !strings.HasSuffix(v, "/*") {
					path = v
					break
				}
			}
			if path == "" && len(values) > 0 {
				path = strings.TrimSuffix(values[0], "/*")
			}
		}
	}
	return routing.Normal(host, path)
}
