package deploy

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/berthdev/berth/internal/edge"
	"github.com/berthdev/berth/internal/environment"
	"github.com/berthdev/berth/internal/names"
	"github.com/berthdev/berth/internal/network"
	"github.com/berthdev/berth/internal/stacks"

	"github.com/berthdev/berth/internal/cfn"
	"github.com/berthdev/berth/internal/manifest"
	"github.com/berthdev/berth/internal/synth"
)

// What a deploy reads and decides before it plans: the environment, the stacks in their
// order with their templates, and the parameters each is given.

// target is one stack of a deploy: which part of the environment it is, and the
// template berth brings it to.
type target struct {
	kind synth.Stack
	name string
	body []byte
	tags map[string]string
	live *stacks.Stack // as deployed; nil when it is not
	// declared are the parameters the template takes; berth passes those it has a value
	// for, and the others keep the template's default (the manifest's value)
	declared []string
	// final marks the second step of a move with a domain (the first is the template of
	// the service behind both load balancers, synth.Moving)
	final bool
}

// prepared is what berth reads and decides before it plans anything.
type prepared struct {
	m       *manifest.Manifest // as it deploys to the environment: inherited keys filled in
	env     *environment.Environment
	ami     environment.AMI
	zone    edge.Zone // of the service's domain; empty without one
	serving string    // the target group that serves: synth.ServingPrimary or ServingAlternate
	targets []*target // network (unless the VPC exists), cluster, service: the deployment order
	// existing is what the check of an existing VPC (network.vpc) found; nil otherwise
	existing *network.Report
	// prefixList is CloudFront's origin-facing prefix list (edge: cloudfront); dropEdge
	// is an edge stack in us-east-1 that the manifest no longer needs, deleted after
	// the service stack stops using it
	prefixList string
	dropEdge   *stacks.Stack
	lb         lbPlan // whose load balancer the service answers on, and where
}

// prepare reads the environment, refuses a manifest that disagrees with it, fills in
// what the manifest leaves to the environment, decides the AMI and renders the
// templates.
func (c *Clients) prepare(ctx context.Context, o Options) (*prepared, error) {
	env, err := c.environment().ReadFor(ctx, o.Env, o.Manifest)
	if err != nil {
		return nil, err
	}
	svcName, svc, err := c.environment().ServiceStack(ctx, o.Env, o.Manifest.Name)
	if err != nil {
		return nil, err
	}
	var lp lbPlan
	if lp.liveOwn, lp.liveShared, err = c.liveLoadBalancer(ctx, svcName, svc); err != nil {
		return nil, err
	}
	m, err := environment.ForEnvironment(chooseLoadBalancer(o.Manifest, lp.liveOwn, lp.liveShared), env, o.UpdateEnv)
	if err != nil {
		return nil, err
	}
	p := &prepared{m: m, env: env}
	if m.Network.Imported() {
		// before anything changes: the VPC and subnets the service would go into
		fresh := env.Network == nil && env.Cluster == nil
		if p.existing, err = network.Check(ctx, c.EC2, m, network.Options{Region: c.Region, Fresh: fresh}); err != nil {
			return nil, err
		}
	}
	if m.CloudFront() {
		if err := edge.CheckCloudFrontRegion(m, c.Region); err != nil {
			return nil, err
		}
		if p.prefixList, err = c.edge().OriginFacingPrefixList(ctx); err != nil {
			return nil, err
		}
	}
	if m.HTTPS() {
		if p.zone, err = c.edge().HostedZone(ctx, m); err != nil {
			return nil, err
		}
		if m.Domain.Certificate != "" {
			if err := c.edge().CheckCertificate(ctx, m, time.Now()); err != nil {
				return nil, err
			}
		}
	}
	if p.ami, err = c.environment().ChooseAMI(ctx, m.Capacity.AMI, stacks.Usable(env.Cluster), environment.DeployedAMISource(env.Cluster, env.Settings), o.RefreshAMI); err != nil {
		return nil, err
	}
	if err := c.planLoadBalancer(ctx, o, m, env, &lp); err != nil {
		return nil, err
	}
	if lp.addsHTTPS {
		lp.defaultDomain, lp.zone = m.Domain.Name, p.zone.ID
	}
	p.lb = lp
	files, err := synth.Render(m)
	if err != nil {
		return nil, err
	}
	for _, s := range synth.StacksOf(m) {
		t := &target{kind: s, name: names.Stack(o.Env, m.Name, s), body: files[s.File()],
			tags: map[string]string{names.TagVersion: o.Version, names.TagEnv: o.Env, names.TagStack: string(s)}}
		doc, err := cfn.Parse(t.body)
		if err != nil {
			return nil, fmt.Errorf("read the %s template: %w", s, err)
		}
		for name := range doc.Parameters {
			t.declared = append(t.declared, name)
		}
		sort.Strings(t.declared)
		switch s {
		case synth.Network, synth.Cluster, synth.Edge, synth.Ingress:
			// described by name: a listing of every stack is not as exact (moto renders
			// list parameters there as Python lists)
			if s == synth.Edge {
				t.tags[names.TagService] = m.Name
			}
			if t.live, err = stacks.Describe(ctx, c.at(t).CF, t.name); err != nil {
				return nil, err
			}
		case synth.Service:
			t.name, t.live, t.tags[names.TagService] = svcName, svc, m.Name
			if err := c.prepareServing(ctx, p, svc); err != nil {
				return nil, err
			}
			if lp.twoPhase {
				// first behind both load balancers, then the template of the manifest
				from, _ := lp.table.Of(m.Name) // the route it moves off, if it does
				moving, err := synth.Moving(m, from.Route).Marshal()
				if err != nil {
					return nil, fmt.Errorf("render the service's moving template: %w", err)
				}
				first := *t
				first.body, first.declared = moving, declaredOf(moving)
				p.targets = append(p.targets, &first)
				t.final = true
			}
		}
		p.targets = append(p.targets, t)
	}
	if live := stacks.Usable(svc); live != nil && !synth.NeedsEdgeStack(m) && live.Outputs[synth.OutEdge] == manifest.EdgeCloudFront {
		name := names.Stack(o.Env, m.Name, synth.Edge)
		if p.dropEdge, err = stacks.Describe(ctx, c.in(synth.EdgeRegion).CF, name); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// declaredOf are the parameters a template takes, sorted.
func declaredOf(body []byte) []string {
	doc, err := cfn.Parse(body)
	if err != nil {
		return nil
	}
	out := make([]string, 0, len(doc.Parameters))
	for name := range doc.Parameters {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// prepareServing decides which target group serves, for the parameters of the
// service's template: the one its production rule's weights say; for a move, the new
// load balancer's groups start with the primary one and the old one's keep theirs; a
// move that did not finish keeps what its first step left.
func (c *Clients) prepareServing(ctx context.Context, p *prepared, svc *stacks.Stack) error {
	p.serving = synth.ServingPrimary
	live := stacks.Usable(svc)
	if live == nil {
		return nil
	}
	serving, err := c.traffic().Serving(ctx, live.Outputs)
	if err != nil {
		return err
	}
	lp := p.lb
	switch {
	case !lp.moving:
		p.serving = serving
	case lp.liveOwn && lp.liveShared: // its outputs are of the load balancer it moved to
		_, toShared := live.Outputs[synth.OutRoute]
		if toShared == p.m.Shared() {
			p.serving = serving
		} else if v := live.Params[synth.ParamSourceServing]; v != "" {
			p.serving = v
		}
	default:
		p.lb.sourceServing = serving
	}
	return nil
}

// params are the parameters of t, exactly those its template declares: the outputs of
// the stacks before it (upstream, by kind) under the same names, or with an existing
// VPC its ids where the network stack's outputs would be, and what berth decides (the
// environment, the AMI, the image, the count).
func (p *prepared) params(t *target, upstream map[synth.Stack]*stacks.Stack, image string) map[string]string {
	params := map[string]string{}
	existing := synth.NetworkValues(p.m)
	for _, name := range t.declared {
		if v, ok := existing[name]; ok {
			params[name] = v
			continue
		}
		switch name {
		case synth.ParamEnv:
			params[name] = t.tags[names.TagEnv]
		case synth.ParamAmiID:
			params[name] = p.ami.ID
		case synth.ParamImage:
			params[name] = image
		case synth.ParamServing:
			params[name] = p.serving
		case synth.ParamSourceServing:
			params[name] = p.lb.sourceServing
		case synth.ParamDefaultDomain:
			params[name] = p.lb.defaultDomain
		case synth.ParamDefaultDomainZone:
			params[name] = p.lb.zone
		case synth.ParamRulePriority, synth.ParamSharedListener:
			if p.lb.placement == nil {
				// moving off the environment's load balancer: its rule stays as it is until then
				if live := stacks.Usable(t.live); live != nil {
					params[name] = live.Params[name]
				}
				continue
			}
			params[name] = strconv.Itoa(p.lb.placement.Priority)
			if name == synth.ParamSharedListener {
				listener := synth.OutSharedHTTPListener
				if p.lb.placement.HTTPS {
					listener = synth.OutSharedHTTPSListener
				}
				params[name] = ""
				if ing := upstream[synth.Ingress]; ing != nil {
					params[name] = ing.Outputs[listener]
				}
			}
		case synth.ParamPreviousImage:
			// the image before this one: the deployed image when this deploy changes
			// it, else the one the stack remembers
			if live := stacks.Usable(t.live); live != nil && live.Params[synth.ParamImage] != image {
				params[name] = live.Params[synth.ParamImage]
			} else if live != nil {
				params[name] = live.Params[synth.ParamPreviousImage]
			}
		case synth.ParamHostedZone:
			params[name] = p.zone.ID
		case synth.ParamCloudFrontPrefixList:
			params[name] = p.prefixList
		case synth.ParamDesiredCapacity:
			params[name] = strconv.Itoa(p.m.Capacity.Desired)
			if keepsDesiredCapacity(p.m, t.live, p.env) {
				params[name] = "0"
			}
		case synth.ParamDesiredCount:
			params[name] = strconv.Itoa(p.m.Count.Min)
			if p.m.Count.Scales() && stacks.Usable(t.live) != nil {
				// auto scaling owns the count once the service exists: pass nothing, so
				// that CloudFormation keeps it (see synth.desiredCountParameter)
				params[name] = ""
			}
		default:
			for _, up := range []synth.Stack{synth.Network, synth.Cluster, synth.Edge, synth.Ingress} {
				st := upstream[up]
				if up == synth.Ingress && st == nil {
					// a service moving off the environment's load balancer: as it runs
					st = stacks.Usable(p.env.Ingress)
				}
				if st != nil && up != t.kind {
					if v, ok := st.Outputs[name]; ok {
						params[name] = v
					}
				}
			}
		}
	}
	return params
}

// keepsDesiredCapacity reports whether a deploy leaves the Auto Scaling group's desired
// capacity alone: on a deployed cluster, unless the manifest changes capacity.desired.
// A DesiredCapacity in the template resets the group to it whenever CloudFormation
// updates the group for any other reason (a new instance type, AMI or volume), undoing
// what the capacity provider scaled to (aws/aws-cdk#5215, "every deployment resets
// capacity", aws/aws-cdk#5507); left out, the group keeps its size ("When you update
// the stack, the current Desired size of ASG will remain the same if there is no
// DesiredCapacity set", AWS support in Bayer-Group/cloudformation-template-generator#194).
// "0" leaves it out (synth: the HasDesiredCapacity condition).
func keepsDesiredCapacity(m *manifest.Manifest, cluster *stacks.Stack, env *environment.Environment) bool {
	if stacks.Usable(cluster) == nil || env == nil {
		return false
	}
	deployed, ok := env.Settings["capacity.desired"]
	return !ok || deployed == strconv.Itoa(m.Capacity.Desired)
}
