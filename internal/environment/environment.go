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
	"slices"
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
// it (their stack names: names.Stack), the load balancer its services share (ingress,
// while one does), and what berth has deployed under one environment name.
type Environment struct {
	Name     string
	Network  *stacks.Stack
	Cluster  *stacks.Stack
	Ingress  *stacks.Stack
	Services map[string]*stacks.Stack // by service name
	// CI are the stacks of the roles CI jobs deploy to the environment with (berth ci
	// role), by name: they belong to the environment but are none of its parts.
	CI map[string]*stacks.Stack
	// Settings are the network, capacity and shared load balancer keys the shared
	// stacks were made from.
	Settings map[string]string
}

// Shared lists the services on the environment's load balancer: those whose stack
// says where they answer on it (synth.OutRoute).
func (e *Environment) Shared() []string {
	var out []string
	for _, n := range e.ServiceNames() {
		if _, ok := e.Services[n].Outputs[synth.OutRoute]; ok {
			out = append(out, n)
		}
	}
	return out
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

// Read reads what is deployed under env: its shared stacks, the settings they were
// made from, and every service stack. Service stacks are named by their service, which
// only they know, so this lists the account's stacks, finding the shared ones in the
// same listing: it is done only where the services matter (status of an environment,
// delete).
func (c *Clients) Read(ctx context.Context, env string) (*Environment, error) {
	e := &Environment{Name: env, Services: map[string]*stacks.Stack{}, CI: map[string]*stacks.Stack{}, Settings: map[string]string{}}
	if err := c.list(ctx, e, true); err != nil {
		return nil, err
	}
	return e, c.readSettings(ctx, e)
}

// ReadFor reads the environment m deploys to: its shared stacks by name, and its
// services only when the manifest sets an environment key to another value than the
// environment's, which is when they matter (checkEnvironment). A deploy then makes no
// account-wide stack listing.
func (c *Clients) ReadFor(ctx context.Context, env string, m *manifest.Manifest) (*Environment, error) {
	e, err := c.ReadShared(ctx, env)
	if err != nil || len(differing(m, e)) == 0 {
		return e, err
	}
	return e, c.list(ctx, e, false)
}

// ReadShared reads the environment's network, cluster and ingress stacks, by name, and
// the settings they were made from; it lists no service (Services stays empty).
func (c *Clients) ReadShared(ctx context.Context, env string) (*Environment, error) {
	e := &Environment{Name: env, Services: map[string]*stacks.Stack{}, CI: map[string]*stacks.Stack{}, Settings: map[string]string{}}
	for _, kind := range []synth.Stack{synth.Network, synth.Cluster, synth.Ingress} {
		st, err := stacks.Describe(ctx, c.CF, names.Stack(env, "", kind))
		if err != nil {
			return nil, fmt.Errorf("read environment %s: %w", env, err)
		}
		if st != nil && st.Tags[names.TagEnv] == env && st.Status != stacks.ReviewInProgress {
			e.put(st, true)
		}
	}
	return e, c.readSettings(ctx, e)
}

// list finds the environment's stacks among the account's by the tags berth puts on
// them: the services, and with shared also the network and the cluster.
func (c *Clients) list(ctx context.Context, e *Environment, shared bool) error {
	p := cloudformation.NewDescribeStacksPaginator(c.CF, &cloudformation.DescribeStacksInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list the stacks of environment %s: %w", e.Name, err)
		}
		for _, s := range page.Stacks {
			if st := stacks.Of(s); st != nil && st.Tags[names.TagEnv] == e.Name && st.Status != stacks.ReviewInProgress {
				e.put(st, shared)
			}
		}
	}
	return nil
}

// ListServices fills in e's services, by a listing of the account's stacks, unless
// they are known already (ReadFor read them, or Read did).
func (c *Clients) ListServices(ctx context.Context, e *Environment) error {
	if len(e.Services) > 0 {
		return nil
	}
	return c.list(ctx, e, false)
}

// put places one of the environment's stacks: the network, the cluster or the ingress
// (when asked for), or a service. (A service named ingress that an older berth deployed
// as berth-<env>-ingress is a service: its stack says so, and not that it is a part.)
func (e *Environment) put(st *stacks.Stack, shared bool) {
	env := e.Name
	switch {
	case st.Name == names.Stack(env, "", synth.Network):
		if shared {
			e.Network = st
		}
	case st.Name == names.Stack(env, "", synth.Cluster):
		if shared {
			e.Cluster = st
		}
	case st.Tags[names.TagStack] == names.CIPart && st.Tags[names.TagService] == "":
		e.CI[st.Name] = st
	case st.Name == names.Stack(env, "", synth.Ingress) && st.Tags[names.TagStack] == string(synth.Ingress):
		if shared {
			e.Ingress = st
		}
	case st.Tags[names.TagService] != "" && (st.Name == names.Stack(env, st.Tags[names.TagService], synth.Service) ||
		st.Name == names.LegacyServiceStack(env, st.Tags[names.TagService]) && st.Tags[names.TagStack] == ""):
		e.Services[st.Tags[names.TagService]] = st
	}
}

// readSettings reads the settings the shared stacks were made from, from their templates.
func (c *Clients) readSettings(ctx context.Context, e *Environment) error {
	for _, st := range []*stacks.Stack{e.Network, e.Cluster, e.Ingress} {
		if st == nil {
			continue
		}
		body, err := stacks.Template(ctx, c.CF, st.Name)
		if err != nil {
			return err
		}
		for k, v := range deployedSettings(body) {
			e.Settings[k] = v
		}
		if st == e.Network && e.Settings["network.cidr"] == "" {
			legacyNetworkSettings(body, e.Settings)
		}
	}
	return nil
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
//   - network.cidr, network.vpc: a VPC's range cannot change, and load balancers cannot
//     move to another VPC: never in place. Nor can an environment move between berth's
//     own network and an existing VPC (checkNetwork).
//   - network.azs, network.placement, capacity.type while services run: their subnets
//     or capacity would be removed from under them (or a half-applied update left).
//   - any other environment key, when other services share the environment: changing it
//     changes their capacity too, so it takes --update-env.
//   - a key of the shared load balancer (IngressKeys), for a service on it, when other
//     services share it: it changes their load balancer too, so it takes --update-env.
//     Its edge not even then, while any service is on it: CloudFront in front makes the
//     load balancer internal, a new one, under the services' rules.
func checkEnvironment(m *manifest.Manifest, e *Environment, updateEnv bool) error {
	if e == nil || (e.Network == nil && e.Cluster == nil && e.Ingress == nil) {
		return nil
	}
	if err := checkNetwork(m, e); err != nil {
		return err
	}
	others := e.Others(m.Name)
	for _, key := range differing(m, e) {
		deployed := deployedSetting(e, key)
		runs := fmt.Sprintf("the environment %s runs %s and this manifest says %s", e.Name, deployed, m.Setting(key))
		switch {
		case key == "network.cidr":
			return conflict(m, key, runs+": a VPC's range cannot change, and load balancers cannot move to another VPC",
				"remove network.cidr to use the environment's, or deploy to a new environment (--env NAME) and delete this one")
		case key == "network.vpc":
			return conflict(m, key, fmt.Sprintf("the environment %s runs in the existing VPC %s and this manifest names %s: every service of an environment runs in its one network, and load balancers and instances cannot move to another VPC", e.Name, deployed, m.Network.VPC),
				"remove network.vpc and the subnets to use the environment's network, or deploy to another environment (--env NAME)")
		case movesTasks[key] != "" && len(e.Services) > 0:
			return conflict(m, key, fmt.Sprintf("%s, and service(s) %s run in it: %s", runs, strings.Join(e.ServiceNames(), ", "), movesTasks[key]),
				fmt.Sprintf("remove %s to use the environment's; to change it, delete the services first (berth delete), or deploy to a new environment", key))
		case key == "edge" && len(e.Shared()) > 0:
			return conflict(m, key, fmt.Sprintf("the load balancer of environment %s has edge %s and this manifest says %s, and service(s) %s are on it: CloudFront in front makes the load balancer internal, in other subnets, which replaces it (and its listeners) under them, so --update-env does not change it", e.Name, deployedIngressSetting(e, key), m.Setting(key), strings.Join(e.Shared(), ", ")),
				fmt.Sprintf("remove edge to use the environment's, set load_balancer.dedicated: true for a load balancer (and edge) of the service's own, or deploy to a new environment (--env NAME); to change the edge of %s, delete the services on its load balancer first", e.Name))
		case slices.Contains(manifest.IngressKeys, key):
			if sharing := slices.DeleteFunc(e.Shared(), func(s string) bool { return s == m.Name }); len(sharing) > 0 && !updateEnv {
				return conflict(m, key, fmt.Sprintf("the load balancer of environment %s runs %s and this manifest says %s, and service(s) %s share it", e.Name, deployed, m.Setting(key), strings.Join(sharing, ", ")),
					fmt.Sprintf("remove %s to use the environment's value, pass --update-env to change it for every service on the load balancer of %s, or set load_balancer.dedicated: true for one of the service's own", key, e.Name))
			}
		case len(others) > 0 && !updateEnv:
			return conflict(m, key, fmt.Sprintf("%s, and service(s) %s share it", runs, strings.Join(others, ", ")),
				fmt.Sprintf("remove %s to use the environment's value, or pass --update-env to change it for every service in %s", key, e.Name))
		}
	}
	return nil
}

// differing are the environment keys m sets to another value than e was made with (the
// shared load balancer's too, for a service on it).
func differing(m *manifest.Manifest, e *Environment) []string {
	var keys []string
	for _, key := range append(append([]string{}, manifest.NetworkKeys...), manifest.CapacityKeys...) {
		if m.IsSet(key) && deployedSetting(e, key) != "" && m.Setting(key) != deployedSetting(e, key) {
			keys = append(keys, key)
		}
	}
	for _, key := range manifest.IngressKeys {
		if dep := deployedIngressSetting(e, key); m.Shared() && m.IsSet(key) && e.Ingress != nil && dep != "" && dep != m.Setting(key) {
			keys = append(keys, key)
		}
	}
	return keys
}

// deployedIngressSetting is the value of a shared load balancer's key e's ingress was
// made with: a web ACL's rate limit is recorded only with one, and means nothing without.
func deployedIngressSetting(e *Environment, key string) string {
	if key == "load_balancer.rate_limit" && e.Settings["load_balancer.waf"] != "true" {
		return "" // changed with waf, which differs then
	}
	if key == "edge" && e.Ingress != nil && e.Settings[key] == "" {
		return manifest.EdgeNone // recorded only with CloudFront in front
	}
	return e.Settings[key]
}

// deployedSetting is the value of key e was made with, "" when it does not say.
func deployedSetting(e *Environment, key string) string {
	if v, ok := e.Settings[key]; ok {
		return v
	}
	if key == "network.flow_logs" && e.Network != nil {
		return "off" // recorded only when on: an environment without the key has none
	}
	return ""
}

// movesTasks are the environment keys whose change takes the ground from under running
// tasks: CloudFormation would remove subnets, or a capacity provider the services use,
// while they run, and leave a half-applied update.
var movesTasks = map[string]string{
	"network.azs":             "changing the zones would remove or add subnets under them",
	"network.placement":       "the tasks' subnets (and the NAT gateways of private placement) would go from under them",
	"network.public_subnets":  "their load balancers (and with placement public their tasks) are in the environment's subnets, and each service's stack names them",
	"network.private_subnets": "their tasks and the instances are in the environment's subnets, and each service's stack names them",
	"capacity.type":           "their capacity provider would be removed while they use it",
}

// checkNetwork refuses a manifest that would move the environment between berth's own
// network and an existing VPC, or that gives the keys of berth's own network in an
// environment that runs in an existing VPC: its range, zones, NAT and flow logs are
// its owner's.
func checkNetwork(m *manifest.Manifest, e *Environment) error {
	existing := e.Existing()
	switch {
	case m.IsSet("network.vpc") && existing == nil && e.Network != nil:
		return conflict(m, "network.vpc", fmt.Sprintf("the environment %s runs in the VPC berth created for it (stack %s) and this manifest names the existing VPC %s: load balancers and instances cannot move to another VPC", e.Name, e.Network.Name, m.Network.VPC),
			"remove network.vpc and the subnets to deploy into the environment's network, or deploy to another environment (--env NAME)")
	case existing != nil && !m.IsSet("network.vpc"):
		for _, k := range manifest.OwnNetworkKeys {
			if m.IsSet(k) {
				return conflict(m, k, fmt.Sprintf("the environment %s runs in the existing VPC %s, which berth did not create: its range, zones, NAT and flow logs are its owner's", e.Name, existing.VPC),
					"remove "+k+" to deploy into the environment's network")
			}
		}
	}
	return nil
}

// Existing is an existing network an environment runs in (network.vpc), as the cluster
// stack records it: berth created none of it and changes none of it.
type Existing struct {
	VPC            string   `json:"vpc"`
	PublicSubnets  []string `json:"public_subnets"`
	PrivateSubnets []string `json:"private_subnets,omitempty"`
}

// Existing is the existing network the environment runs in; nil when it runs in
// berth's own (or nothing is deployed).
func (e *Environment) Existing() *Existing { return ExistingOf(e.Settings) }

// ExistingOf reads an existing network from an environment's recorded settings.
func ExistingOf(settings map[string]string) *Existing {
	if settings["network.vpc"] == "" {
		return nil
	}
	split := func(s string) []string {
		if s == "" {
			return nil
		}
		return strings.Split(s, ",")
	}
	return &Existing{VPC: settings["network.vpc"], PublicSubnets: split(settings["network.public_subnets"]), PrivateSubnets: split(settings["network.private_subnets"])}
}

// String says what the existing network is, for status and delete.
func (x *Existing) String() string {
	s := "the existing VPC " + x.VPC + ", public subnets " + strings.Join(x.PublicSubnets, ", ")
	if len(x.PrivateSubnets) > 0 {
		s += ", private subnets " + strings.Join(x.PrivateSubnets, ", ")
	}
	return s
}

// Settings are the settings a stack's template records (synth.ClusterSettings, ...).
func (c *Clients) Settings(ctx context.Context, stack string) (map[string]string, error) {
	body, err := stacks.Template(ctx, c.CF, stack)
	if err != nil {
		return nil, err
	}
	return deployedSettings(body), nil
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
