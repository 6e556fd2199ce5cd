package deploy

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/berthdev/berth/internal/cfn"
	"github.com/berthdev/berth/internal/hint"
	"github.com/berthdev/berth/internal/manifest"
	"github.com/berthdev/berth/internal/synth"
)

// An environment is one network and one cluster, shared by every service deployed to
// it. Stack names cannot collide whatever a service is called: the shared stacks are
// berth-<env>-network and berth-<env>-cluster, a service's is berth-<env>-svc-<service>,
// and no environment name holds "svc" between hyphens (manifest.ValidEnv), so the first
// "-svc-" marks where the environment's name ends. (A double hyphen would mark it too,
// but CloudFormation derives generated names from the stack name, and a target group's
// name may not hold "--".)
func StackName(env, service string, s synth.Stack) string {
	if s == synth.Service {
		return "berth-" + env + "-" + manifest.ReservedEnvWord + "-" + service
	}
	return "berth-" + env + "-" + string(s)
}

// legacyServiceStack is the name berth gave service stacks before: berth-<env>-<service>,
// which a service named network or cluster shared with the environment's own stacks.
func legacyServiceStack(env, service string) string { return "berth-" + env + "-" + service }

// TagStack says which part of an environment a stack is: network, cluster or service.
const TagStack = "berth:stack"

// Environment is what berth has deployed under one environment name.
type Environment struct {
	Name     string
	Network  *Stack
	Cluster  *Stack
	Services map[string]*Stack // by service name
	// Settings are the network and capacity keys the shared stacks were made from.
	Settings map[string]string
}

// ServiceNames lists the environment's services, sorted.
func (e *Environment) ServiceNames() []string {
	names := make([]string, 0, len(e.Services))
	for n := range e.Services {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Others lists the services other than service.
func (e *Environment) Others(service string) []string {
	var out []string
	for _, n := range e.ServiceNames() {
		if n != service {
			out = append(out, n)
		}
	}
	return out
}

// Environment reads what is deployed under env: its shared stacks, the settings they
// were made from, and every service stack, found by the tags berth puts on its stacks.
func (c *Clients) Environment(ctx context.Context, env string) (*Environment, error) {
	e := &Environment{Name: env, Services: map[string]*Stack{}, Settings: map[string]string{}}
	p := cloudformation.NewDescribeStacksPaginator(c.CF, &cloudformation.DescribeStacksInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list the stacks of environment %s: %w", env, err)
		}
		for _, s := range page.Stacks {
			st := stackOf(s)
			if st == nil || st.Tags[TagEnv] != env || st.Status == reviewInProgress {
				continue
			}
			switch {
			case st.Name == StackName(env, "", synth.Network):
				e.Network = st
			case st.Name == StackName(env, "", synth.Cluster):
				e.Cluster = st
			case st.Tags[TagService] != "" && (st.Name == StackName(env, st.Tags[TagService], synth.Service) ||
				st.Name == legacyServiceStack(env, st.Tags[TagService]) && st.Tags[TagStack] == ""):
				e.Services[st.Tags[TagService]] = st
			}
		}
	}
	for _, st := range []*Stack{e.Network, e.Cluster} {
		if st == nil {
			continue
		}
		body, err := deployedTemplate(ctx, c.CF, st.Name)
		if err != nil {
			return nil, err
		}
		for k, v := range deployedSettings(body) {
			e.Settings[k] = v
		}
		if st == e.Network && e.Settings["network.cidr"] == "" {
			legacyNetworkSettings(body, e.Settings)
		}
	}
	return e, nil
}

// legacyNetworkSettings reads the range and zone count from a network template made
// before berth recorded its settings.
func legacyNetworkSettings(body []byte, into map[string]string) {
	doc, err := cfn.Parse(body)
	if err != nil {
		return
	}
	if cidr, ok := doc.Resources["VPC"].Properties["CidrBlock"].(string); ok {
		into["network.cidr"] = cidr
	}
	azs := 0
	for _, name := range doc.Order {
		if strings.HasPrefix(name, "PublicSubnet") && doc.Resources[name].Type == "AWS::EC2::Subnet" {
			azs++
		}
	}
	if azs > 0 {
		into["network.azs"] = fmt.Sprint(azs)
	}
}

// serviceStack is the stack of service in env: the one berth names today, or one that
// an older berth made under the old name, which keeps working.
func (c *Clients) serviceStack(ctx context.Context, env, service string) (string, *Stack, error) {
	name := StackName(env, service, synth.Service)
	st, err := describeStack(ctx, c.CF, name)
	if err != nil || st != nil {
		return name, st, err
	}
	legacy := legacyServiceStack(env, service)
	if legacy == StackName(env, "", synth.Network) || legacy == StackName(env, "", synth.Cluster) {
		return name, nil, nil
	}
	old, err := describeStack(ctx, c.CF, legacy)
	if err != nil || old == nil || old.Tags[TagService] != service || old.Tags[TagStack] != "" {
		return name, nil, err
	}
	return legacy, old, nil
}

// checkEnvironment refuses, before anything changes, a manifest that disagrees with the
// environment it would deploy to. A key the manifest leaves out is no disagreement: the
// service takes the environment's value (manifest.Inherit).
//   - network.cidr: a VPC's range cannot change, and load balancers cannot move to
//     another VPC: never in place.
//   - network.azs, network.placement, capacity.type while services run: their subnets
//     or capacity would be removed from under them (or a half-applied update left).
//   - any other environment key, when other services share the environment: changing it
//     changes their capacity too, so it takes --update-env.
func checkEnvironment(m *manifest.Manifest, e *Environment, updateEnv bool) error {
	if e == nil || (e.Network == nil && e.Cluster == nil) {
		return nil
	}
	others := e.Others(m.Name)
	for _, key := range append(append([]string{}, manifest.NetworkKeys...), manifest.CapacityKeys...) {
		deployed, ok := e.Settings[key]
		if key == "network.flow_logs" && !ok && e.Network != nil {
			// recorded only when on: an environment without the key has none
			deployed, ok = "off", true
		}
		if !ok || !m.IsSet(key) || m.Setting(key) == deployed {
			continue
		}
		runs := fmt.Sprintf("the environment %s runs %s and this manifest says %s", e.Name, deployed, m.Setting(key))
		switch {
		case key == "network.cidr":
			return conflict(m, key, runs+": a VPC's range cannot change, and load balancers cannot move to another VPC",
				"remove network.cidr to use the environment's, or deploy to a new environment (--env NAME) and delete this one")
		case movesTasks[key] != "" && len(e.Services) > 0:
			return conflict(m, key, fmt.Sprintf("%s, and service(s) %s run in it: %s", runs, strings.Join(e.ServiceNames(), ", "), movesTasks[key]),
				fmt.Sprintf("remove %s to use the environment's; to change it, delete the services first (berth delete), or deploy to a new environment", key))
		case len(others) > 0 && !updateEnv:
			return conflict(m, key, fmt.Sprintf("%s, and service(s) %s share it", runs, strings.Join(others, ", ")),
				fmt.Sprintf("remove %s to use the environment's value, or pass --update-env to change it for every service in %s", key, e.Name))
		}
	}
	return nil
}

// movesTasks are the environment keys whose change takes the ground from under running
// tasks: CloudFormation would remove subnets, or a capacity provider the services use,
// while they run, and leave a half-applied update.
var movesTasks = map[string]string{
	"network.azs":       "changing the zones would remove or add subnets under them",
	"network.placement": "the tasks' subnets (and the NAT gateways of private placement) would go from under them",
	"capacity.type":     "their capacity provider would be removed while they use it",
}

func conflict(m *manifest.Manifest, key, msg, what string) error {
	return hint.Wrap(&manifest.Error{File: m.File, Line: m.Line(key), Key: key, Msg: msg}, what)
}

// forEnvironment is the manifest as it deploys to e: checked against what e runs, with
// the environment keys it leaves out taken from e. The caller's manifest is unchanged.
func forEnvironment(m *manifest.Manifest, e *Environment, updateEnv bool) (*manifest.Manifest, error) {
	if err := checkEnvironment(m, e, updateEnv); err != nil {
		return nil, err
	}
	cp := *m
	if e != nil {
		if err := cp.Inherit(e.Settings); err != nil {
			return nil, fmt.Errorf("environment %s: %w", e.Name, err)
		}
	}
	return &cp, nil
}

// stackOf turns one described stack into berth's view of it (nil once deleted).
func stackOf(s cloudformationStack) *Stack {
	if s.StackStatus == "DELETE_COMPLETE" {
		return nil
	}
	st := &Stack{Name: aws.ToString(s.StackName), Status: string(s.StackStatus), Reason: aws.ToString(s.StackStatusReason),
		Outputs: map[string]string{}, Params: map[string]string{}, Resolved: map[string]string{}, Tags: map[string]string{}}
	for _, o := range s.Outputs {
		st.Outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	for _, p := range s.Parameters {
		st.Params[aws.ToString(p.ParameterKey)] = aws.ToString(p.ParameterValue)
		if p.ResolvedValue != nil {
			st.Resolved[aws.ToString(p.ParameterKey)] = aws.ToString(p.ResolvedValue)
		}
	}
	for _, t := range s.Tags {
		st.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return st
}
