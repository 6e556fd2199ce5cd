package deploy

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"strconv"

	"github.com/berthdev/berth/internal/cfn"
	"github.com/berthdev/berth/internal/cost"
	"github.com/berthdev/berth/internal/manifest"
	"github.com/berthdev/berth/internal/stacks"
	"github.com/berthdev/berth/internal/synth"
)

// CostChange is what a deploy does to the monthly bill: the environment's total before
// and after (what it pays once, its network and shared load balancer, and every
// service's own part, the other services as they run), and the deploying service's
// own part of it.
type CostChange struct {
	Region  string `json:"region"`
	Env     string `json:"environment"`
	Service string `json:"service"`
	// Before and After are the environment's totals; Before is nil when nothing of the
	// environment runs yet.
	Before *float64 `json:"before,omitempty"`
	After  float64  `json:"after"`
	// ServiceBefore and ServiceAfter are the service's own part; ServiceBefore is nil
	// when the service is not deployed.
	ServiceBefore *float64 `json:"service_before,omitempty"`
	ServiceAfter  float64  `json:"service_after"`
	// Others is how many other services the totals count, by their tasks, instances and
	// load balancer as they run; Uncounted names those whose size could not be read.
	Others    int      `json:"other_services"`
	Uncounted []string `json:"uncounted,omitempty"`
	// Alone is berth cost's figure: the service with the environment's network and load
	// balancer as if it were alone in it.
	Alone    float64 `json:"as_if_alone"`
	Complete bool    `json:"complete"`
	// Sharing says what the load balancer costs against one per service (cost.SharingText).
	Sharing string `json:"load_balancer"`
	// ByUse names what the deploy adds that is paid by use only, with no monthly part
	// (CloudFront, notifications): a change that costs money, though not by the month.
	ByUse []string `json:"by_use,omitempty"`
}

// Difference is After - Before (After when nothing was deployed).
func (c *CostChange) Difference() float64 { return round(c.After - ptrOr(c.Before)) }

// ServiceDifference is the change of the service's own part.
func (c *CostChange) ServiceDifference() float64 {
	return round(c.ServiceAfter - ptrOr(c.ServiceBefore))
}

// planCost estimates the environment as it runs now and as it runs after the deploy;
// nil where the price table does not cover the region.
func (c *Clients) planCost(ctx context.Context, region string, p *prepared) *CostChange {
	after, err := cost.Of(p.m, region)
	if err != nil {
		return nil
	}
	ch := &CostChange{Region: region, Env: p.env.Name, Service: p.m.Name, After: after.Total, ServiceAfter: after.Service(),
		Alone: after.Total, Complete: after.Complete}
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
		return ch // a new environment: all of it is this deploy's
	}
	base := *p.m // the environment's keys as it runs
	for k, v := range p.env.Settings {
		if base.SetSetting(k, v) != nil {
			return ch
		}
	}

	// this service as it runs
	svc := p.targets[len(p.targets)-1]
	old := base
	old.LoadBalancer.Dedicated = p.lb.liveOwn && !p.lb.liveShared
	deployed := stacks.Usable(svc.live) != nil
	if deployed {
		if !c.sizeAsRunning(ctx, &old, svc.live) {
			return ch
		}
	} else {
		old.Count.Min, old.Count.Max = 0, 0 // the environment alone
	}
	before, err := cost.Of(&old, region)
	if err != nil {
		return ch
	}
	if deployed {
		s := before.Service()
		ch.ServiceBefore = &s
	}
	ch.ByUse = byUse(before, after)

	// the other services, as they run: their tasks, instances and load balancer
	others, othersShared := 0.0, 0
	if err := c.environment().ListServices(ctx, p.env); err == nil {
		for _, name := range p.env.ServiceNames() {
			st := stacks.Usable(p.env.Services[name])
			if name == p.m.Name || st == nil {
				continue
			}
			if _, ok := st.Outputs[synth.OutRoute]; ok {
				othersShared++
			}
			m, err := manifest.Parse([]byte("name: "+name+"\n"), "")
			if err == nil {
				for k, v := range p.env.Settings {
					err = cmp.Or(err, m.SetSetting(k, v))
				}
			}
			var e *cost.Estimate
			if err == nil && c.sizeAsRunning(ctx, m, st) {
				e, err = cost.Of(m, region)
			}
			if e == nil || err != nil {
				ch.Uncounted = append(ch.Uncounted, name)
				continue
			}
			others += e.Service()
			ch.Others++
			ch.Complete = ch.Complete && e.Complete
		}
	}

	// what the environment pays once: its NAT gateways, and the shared load balancer
	// while any service is on it
	nat := func(e *cost.Estimate) float64 {
		if e.Shared {
			return e.Environment - e.LoadBalancer
		}
		return e.Environment
	}
	envBefore, envAfter := nat(before), nat(after)
	if p.env.Ingress != nil {
		envBefore += after.LoadBalancer
	}
	if after.Shared || othersShared > 0 {
		envAfter += after.LoadBalancer
	}
	b := round(envBefore + others + ptrOr(ch.ServiceBefore))
	ch.Before = &b
	ch.After = round(envAfter + others + ch.ServiceAfter)
	ch.Complete = ch.Complete && before.Complete
	return ch
}

// sizeAsRunning sets m's task size, count, edge and load balancer to what the
// service's stack st runs; false when its template or count cannot be read (a count
// left to auto scaling is the one berth leaves as is).
func (c *Clients) sizeAsRunning(ctx context.Context, m *manifest.Manifest, st *stacks.Stack) bool {
	body, err := stacks.Template(ctx, c.CF, st.Name)
	if err != nil {
		return false
	}
	doc, err := cfn.Parse(body)
	if err != nil {
		return false
	}
	task, ok := doc.Resources["TaskDefinition"]
	if !ok {
		return false
	}
	td := task.Properties
	m.CPU, _ = strconv.Atoi(textOf(td["Cpu"]))
	m.Memory, _ = strconv.Atoi(textOf(td["Memory"]))
	n, err := strconv.Atoi(st.Params[synth.ParamDesiredCount])
	if err != nil {
		return false
	}
	m.Count.Min, m.Count.Max = n, max(n, m.Count.Max)
	m.Edge = cmp.Or(st.Outputs[synth.OutEdge], manifest.EdgeNone)
	if _, ok := st.Outputs[synth.OutRoute]; ok {
		m.LoadBalancer.Dedicated = false
	} else if _, ok := doc.Resources["LoadBalancer"]; ok {
		m.LoadBalancer.Dedicated = true
	}
	return m.CPU > 0 && m.Memory > 0
}

// byUse names the lines of after paid by use only that before lacks.
func byUse(before, after *cost.Estimate) []string {
	had := map[string]bool{}
	if before != nil {
		for _, l := range before.Lines {
			had[l.Item] = true
		}
	}
	var out []string
	for _, l := range after.Lines {
		if l.Monthly == 0 && l.PerUse != "" && !l.NotBerths && !had[l.Item] {
			out = append(out, fmt.Sprintf("%s (%s)", l.Item, l.PerUse))
		}
	}
	return out
}

func round(f float64) float64 { return math.Round(f*100) / 100 }

func ptrOr(f *float64) float64 {
	if f == nil {
		return 0
	}
	return *f
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
