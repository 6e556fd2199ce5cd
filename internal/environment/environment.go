// Package environment is what services share on AWS: the environment read from its
// stacks (network, cluster, the settings they were made from, the services deployed
// to it), a manifest checked against it and completed from it, the Auto Scaling group
// behind the capacity provider (instances rolled to a new launch template, released
// before a delete, launches that fail), and the AMI the instances run.
//
// It must not import deploy or any other package above it on the AWS path.
package environment

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/berthdev/berth/internal/names"
	"github.com/berthdev/berth/internal/stacks"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/berthdev/berth/internal/cfn"
	"github.com/berthdev/berth/internal/hint"
	"github.com/berthdev/berth/internal/manifest"
	"github.com/berthdev/berth/internal/synth"
)

// Clients are the AWS APIs the environment is read and its capacity managed through.
type Clients struct {
	CF  stacks.CloudFormation
	ASG AutoScaling
	ECS ECS
	SSM SSM
}

// Environment is one network and one cluster, shared by every service deployed to
// it (their stack names: names.Stack), and what berth has deployed under one environment name.
type Environment struct {
	Name     string
	Network  *stacks.Stack
	Cluster  *stacks.Stack
	Services map[string]*stacks.Stack // by service name
	// CI are the stacks of the roles CI jobs deploy to the environment with (berth ci
	// role), by name: they belong to the environment but are none of its parts.
	CI map[string]*stacks.Stack
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

// Read reads what is deployed under env: its shared stacks, the settings they
// were made from, and every service stack, found by the tags berth puts on its stacks.
func (c *Clients) Read(ctx context.Context, env string) (*Environment, error) {
	e := &Environment{Name: env, Services: map[string]*stacks.Stack{}, CI: map[string]*stacks.Stack{}, Settings: map[string]string{}}
	p := cloudformation.NewDescribeStacksPaginator(c.CF, &cloudformation.DescribeStacksInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list the stacks of environment %s: %w", env, err)
		}
		for _, s := range page.Stacks {
			st := stacks.Of(s)
			if st == nil || st.Tags[names.TagEnv] != env || st.Status == stacks.ReviewInProgress {
				continue
			}
			switch {
			case st.Name == names.Stack(env, "", synth.Network):
				e.Network = st
			case st.Name == names.Stack(env, "", synth.Cluster):
				e.Cluster = st
			case st.Tags[names.TagStack] == names.CIPart && st.Tags[names.TagService] == "":
				e.CI[st.Name] = st
			case st.Tags[names.TagService] != "" && (st.Name == names.Stack(env, st.Tags[names.TagService], synth.Service) ||
				st.Name == names.LegacyServiceStack(env, st.Tags[names.TagService]) && st.Tags[names.TagStack] == ""):
				e.Services[st.Tags[names.TagService]] = st
			}
		}
	}
	for _, st := range []*stacks.Stack{e.Network, e.Cluster} {
		if st == nil {
			continue
		}
		body, err := stacks.Template(ctx, c.CF, st.Name)
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

// ServiceStack is the stack of service in env: the one berth names today, or one that
// an older berth made under the old name, which keeps working.
func (c *Clients) ServiceStack(ctx context.Context, env, service string) (string, *stacks.Stack, error) {
	name := names.Stack(env, service, synth.Service)
	st, err := stacks.Describe(ctx, c.CF, name)
	if err != nil || st != nil {
		return name, st, err
	}
	legacy := names.LegacyServiceStack(env, service)
	if legacy == names.Stack(env, "", synth.Network) || legacy == names.Stack(env, "", synth.Cluster) {
		return name, nil, nil
	}
	old, err := stacks.Describe(ctx, c.CF, legacy)
	if err != nil || old == nil || old.Tags[names.TagService] != service || old.Tags[names.TagStack] != "" {
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

// ForEnvironment is the manifest as it deploys to e: checked against what e runs, with
// the environment keys it leaves out taken from e. The caller's manifest is unchanged.
func ForEnvironment(m *manifest.Manifest, e *Environment, updateEnv bool) (*manifest.Manifest, error) {
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

// deployedSettings are the manifest keys a stack berth deployed was made from, as its
// template's Metadata records them (synth.NetworkSettings, synth.ClusterSettings);
// empty for a template that records none.
func deployedSettings(body []byte) map[string]string {
	out := map[string]string{}
	doc, err := cfn.Parse(body)
	if err != nil || doc.Metadata == nil {
		return out
	}
	b, _ := doc.Metadata[synth.MetadataKey].(map[string]any)
	s, _ := b["settings"].(map[string]any)
	for k, v := range s {
		out[k] = fmt.Sprint(v)
	}
	return out
}
