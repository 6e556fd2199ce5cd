package deploy

import (
	"context"
	"fmt"
	"strings"

	"github.com/berthdev/berth/internal/cfn"
	"github.com/berthdev/berth/internal/preflight"
	"github.com/berthdev/berth/internal/stacks"
	"github.com/berthdev/berth/internal/synth"
)

// preflight checks what must hold in the account before the deploy changes anything
// (internal/preflight), from what the plan will bring each stack to: its notes go into
// the plan, its refusal stops the deploy before any change set is made.
func (c *Clients) preflight(ctx context.Context, o Options, prep *prepared) ([]string, error) {
	m := prep.m
	d := preflight.Deploy{Manifest: m, Env: o.Env, ZoneID: prep.zone.ID, ZoneName: prep.zone.Name}
	upstream := map[synth.Stack]*stacks.Stack{}
	for _, t := range prep.targets {
		upstream[t.kind] = stacks.Usable(t.live)
	}
	for _, t := range prep.targets {
		doc, err := cfn.Parse(t.body)
		if err != nil {
			return nil, fmt.Errorf("read the %s template: %w", t.kind, err)
		}
		s := preflight.Stack{Name: t.name, Template: doc, Params: prep.params(t, upstream, ""), Tags: t.tags}
		if live := upstream[t.kind]; live != nil {
			body, err := stacks.Template(ctx, c.at(t).CF, t.name)
			if err != nil {
				return nil, err
			}
			if s.Deployed, err = cfn.Parse(body); err != nil {
				return nil, fmt.Errorf("read the template of %s: %w", t.name, err)
			}
			s.DeployedParams = live.Params
		}
		d.Stacks = append(d.Stacks, s)
	}
	if network := upstream[synth.Network]; network != nil {
		d.Subnets = strings.FieldsFunc(network.Outputs[synth.OutTaskSubnets], func(r rune) bool { return r == ',' || r == ' ' })
	}
	if !m.Capacity.IsFargate() && (upstream[synth.Cluster] == nil || prep.env.Settings["capacity.instance_type"] != m.Capacity.InstanceType) {
		d.InstanceType = m.Capacity.InstanceType
	}
	return (&preflight.Clients{SQ: c.SQ, EC2: c.EC2, ELB: c.ELB, Route53: c.Route53, DNS: c.DNS, Region: c.Region, Emulated: c.Emulated}).Check(ctx, d)
}
