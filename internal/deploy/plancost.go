package deploy

import (
	"cmp"
	"context"
	"math"
	"strconv"

	"github.com/berthdev/berth/internal/stacks"

	"github.com/berthdev/berth/internal/cfn"
	"github.com/berthdev/berth/internal/cost"
	"github.com/berthdev/berth/internal/manifest"
	"github.com/berthdev/berth/internal/synth"
)

// CostChange is the monthly estimate before and after a deploy, of the service and its
// environment as if the service were alone in it (cost.Of).
type CostChange struct {
	Region   string   `json:"region"`
	Before   *float64 `json:"before,omitempty"` // nil when nothing of it is deployed
	After    float64  `json:"after"`
	Complete bool     `json:"complete"`
	// Sharing says what the load balancer costs against one per service (cost.SharingText).
	Sharing string `json:"load_balancer"`
}

// Difference is After - Before (After when nothing was deployed).
func (c *CostChange) Difference() float64 {
	if c.Before == nil {
		return c.After
	}
	return math.Round((c.After-*c.Before)*100) / 100
}

// planCost estimates the manifest as it deploys and as the environment and service run
// now; nil where the price table does not cover the region.
func (c *Clients) planCost(ctx context.Context, region string, p *prepared) *CostChange {
	after, err := cost.Of(p.m, region)
	if err != nil {
		return nil
	}
	ch := &CostChange{Region: region, After: after.Total, Complete: after.Complete}
	services := 0 // on the environment's load balancer once deployed
	if p.lb.placement != nil {
		seen := map[string]bool{}
		for _, e := range p.lb.placement.Table {
			seen[e.Service] = true
		}
		services = len(seen)
	}
	ch.Sharing = cost.SharingText(after, services)
	if p.env.Network == nil && p.env.Cluster == nil {
		return ch
	}
	old := *p.m
	for k, v := range p.env.Settings {
		if old.SetSetting(k, v) != nil {
			return ch
		}
	}
	svc := p.targets[len(p.targets)-1]
	// the load balancer as it runs: the service's own, or the environment's
	old.LoadBalancer.Dedicated = p.lb.liveOwn && !p.lb.liveShared
	lbBefore := p.env.Ingress != nil || p.lb.liveOwn
	if live := stacks.Usable(svc.live); live == nil {
		old.Count.Min, old.Count.Max = 0, 0 // the environment alone
	} else if body, err := stacks.Template(ctx, c.CF, svc.name); err == nil {
		if doc, err := cfn.Parse(body); err == nil {
			td := doc.Resources["TaskDefinition"].Properties
			old.CPU, _ = strconv.Atoi(textOf(td["Cpu"]))
			old.Memory, _ = strconv.Atoi(textOf(td["Memory"]))
		}
		if n, err := strconv.Atoi(live.Params[synth.ParamDesiredCount]); err == nil {
			old.Count.Min = n
		}
		old.Edge = cmp.Or(live.Outputs[synth.OutEdge], manifest.EdgeNone)
	}
	before, err := cost.Of(&old, region)
	if err != nil || old.CPU == 0 || old.Memory == 0 {
		return ch
	}
	if !lbBefore {
		// no load balancer runs yet: this deploy makes the environment's
		before.Total = math.Round((before.Total-before.LoadBalancer)*100) / 100
	}
	ch.Before = &before.Total
	ch.Complete = ch.Complete && before.Complete
	return ch
}

func textOf(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int:
		return strconv.Itoa(x)
	}
	return ""
}
