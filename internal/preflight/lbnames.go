package preflight

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/berthdev/berth/internal/hint"
	"github.com/berthdev/berth/internal/lazyregexp"
	"github.com/berthdev/berth/internal/names"
)

// A load balancer's name "must be unique per region per account" (Elastic Load
// Balancing API reference, CreateLoadBalancer), and berth names a service's
// <service>-<environment>: service a-b in environment c and service a in environment
// b-c both give a-b-c. The second one's stack would fail at its load balancer, after the
// network and cluster were made. Deployed services keep their names (a new name would
// replace their load balancers, and their URLs); a load balancer about to be made is
// checked against the one that may hold its name already. Whose it is, its tags say: the
// stack's tags (berth:env, berth:service) and aws:cloudformation:stack-name, which
// CloudFormation puts on the resources it makes (CloudFormation Template Reference,
// "CloudFormation resource tagging").

// checkNames refuses a deploy whose new load balancer's name another one holds: one of
// another berth service or environment, or one berth did not make.
func (c *Clients) checkNames(ctx context.Context, d Deploy) ([]string, error) {
	for _, s := range d.Stacks {
		for _, name := range newLoadBalancerNames(s) {
			out, err := c.ELB.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{Names: []string{name}})
			var none *elbtypes.LoadBalancerNotFoundException
			if errors.As(err, &none) {
				continue
			}
			if err != nil {
				return []string{unread("whether another load balancer is named "+name, err)}, nil
			}
			if len(out.LoadBalancers) == 0 {
				continue
			}
			arn := aws.ToString(out.LoadBalancers[0].LoadBalancerArn)
			tags, err := c.ELB.DescribeTags(ctx, &elb.DescribeTagsInput{ResourceArns: []string{arn}})
			if err != nil {
				return []string{unread("whose load balancer "+name+" is", err)}, nil
			}
			held := map[string]string{}
			for _, td := range tags.TagDescriptions {
				for _, t := range td.Tags {
					held[aws.ToString(t.Key)] = aws.ToString(t.Value)
				}
			}
			if held["aws:cloudformation:stack-name"] == s.Name ||
				held[names.TagEnv] == s.Tags[names.TagEnv] && held[names.TagService] == s.Tags[names.TagService] {
				continue // this stack's own, from an earlier deploy
			}
			return nil, nameTaken(name, s, held)
		}
	}
	return nil, nil
}

func nameTaken(name string, s Stack, held map[string]string) error {
	ours := fmt.Sprintf("service %s in environment %s", s.Tags[names.TagService], s.Tags[names.TagEnv])
	if s.Tags[names.TagService] == "" {
		ours = "environment " + s.Tags[names.TagEnv]
	}
	whose := "a load balancer berth did not make"
	if stack := held["aws:cloudformation:stack-name"]; stack != "" {
		whose += " (stack " + stack + ")"
	}
	switch {
	case held[names.TagService] != "":
		whose = fmt.Sprintf("the load balancer of service %s in environment %s", held[names.TagService], held[names.TagEnv])
	case held[names.TagEnv] != "":
		whose = "the load balancer of environment " + held[names.TagEnv]
	}
	return hint.Wrap(fmt.Errorf("the load balancer name %s, which %s needs, is taken by %s: a load balancer's name is unique in an account and region; nothing was changed", name, ours, whose),
		"deploy under another service name (name: in berth.yml) or to another environment (--env); the names are <service>-<environment>, so hyphens in both can meet")
}

// newLoadBalancerNames are the names of the load balancers a stack makes: added, or
// replaced (a new name replaces a load balancer), whose name the template gives.
func newLoadBalancerNames(s Stack) []string {
	var out []string
	for _, r := range s.added("AWS::ElasticLoadBalancingV2::LoadBalancer") {
		if name, ok := resolve(s.Template.Resources[r].Properties["Name"], s.Params); ok {
			out = append(out, name)
		}
	}
	return out
}

var subVar = lazyregexp.New(`\$\{([^}!]+)\}`)

// resolve is a name given as a string or a Fn::Sub of parameters: the forms berth's
// templates name things with. Anything else is not known before the stack is made.
func resolve(v any, params map[string]string) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case map[string]any:
		sub, ok := x["Fn::Sub"].(string)
		if !ok || len(x) != 1 {
			return "", false
		}
		known := true
		out := subVar.ReplaceAllStringFunc(sub, func(m string) string {
			v, ok := params[m[2:len(m)-1]]
			known = known && ok
			return v
		})
		return out, known
	}
	return "", false
}
