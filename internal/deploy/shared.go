package deploy

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/cfn"
	"github.com/berthdev/berth/internal/environment"
	"github.com/berthdev/berth/internal/hint"
	"github.com/berthdev/berth/internal/ingress"
	"github.com/berthdev/berth/internal/manifest"
	"github.com/berthdev/berth/internal/names"
	"github.com/berthdev/berth/internal/routing"
	"github.com/berthdev/berth/internal/stacks"
	"github.com/berthdev/berth/internal/synth"
)

// Whose load balancer a service answers on, decided before anything changes: the
// environment's (ingress stack, made with the first service that needs it), or one of
// its own. A service deployed with its own keeps it until its manifest says which it
// wants (manifest.ChoosesLoadBalancer). A move between the two is one deploy: without
// a domain the service's stack changes once and its URL changes with it; with one, the
// stack first routes through both load balancers and points the name at the new one
// once the tasks serve there (synth.Moving), then, once resolvers may have forgotten
// the old answer, it loses the old load balancer: the name answers throughout.

// moveDNSWait is how long a move with a domain keeps the old load balancer after the
// alias record points at the new one: twice the 60 s TTL that Route 53 answers an alias
// to an Application Load Balancer with, which resolvers honour ("Choosing between alias
// and non-alias records": the TTL of an alias record is the target's; Elastic Load
// Balancing's DNS records have a TTL of 60 seconds).
const moveDNSWait = 2 * time.Minute

// lbPlan is what the deploy decided of the service's load balancer.
type lbPlan struct {
	liveOwn, liveShared bool // what routes to the deployed service
	moving, twoPhase    bool
	placement           *ingress.Placement // on the environment's: where its rule goes
	table               routing.Table      // the environment's routes before the deploy
	defaultDomain, zone string             // the ingress stack's HTTPS listener
	sourceServing       string             // while moving: the old load balancer's serving group
	addsHTTPS           bool               // the ingress stack gains its HTTPS listener
	// ingressGoes: the service moves off the environment's load balancer, and no other
	// service is on it: the deploy removes it after the move
	ingressGoes bool
	notes       []string
}

// liveLoadBalancer reads what routes to a deployed service: a load balancer of its own,
// a rule on the environment's, or while a move is under way both.
func (c *Clients) liveLoadBalancer(ctx context.Context, name string, svc *stacks.Stack) (own, shared bool, err error) {
	if stacks.Usable(svc) == nil {
		return false, false, nil
	}
	body, err := stacks.Template(ctx, c.CF, name)
	if err != nil {
		return false, false, err
	}
	doc, err := cfn.Parse(body)
	if err != nil {
		return false, false, fmt.Errorf("read the template of %s: %w", name, err)
	}
	_, own = doc.Resources["LoadBalancer"]
	_, shared = doc.Resources[synth.ResSharedRule]
	return own, shared, nil
}

// chooseLoadBalancer is the manifest with its load balancer decided: the one it asks
// for, or, when it says nothing, the one of its own it runs with.
func chooseLoadBalancer(m *manifest.Manifest, liveOwn, liveShared bool) *manifest.Manifest {
	if m.ChoosesLoadBalancer() || !liveOwn || liveShared {
		return m
	}
	cp := *m
	cp.LoadBalancer.Dedicated = true
	return &cp
}

// moveOf says whether deploying m to a service that runs with its own load balancer
// and/or a rule on the environment's moves it, and whether in two steps (a domain,
// which must answer throughout). A move that did not finish (both) finishes in one.
func moveOf(m *manifest.Manifest, liveOwn, liveShared bool) (moving, twoSteps bool) {
	both := liveOwn && liveShared
	moving = both || liveOwn && m.Shared() || liveShared && !m.Shared()
	return moving, moving && m.HTTPS() && !both
}

// planLoadBalancer decides, for the manifest as it deploys, where its rule goes on the
// environment's load balancer, what the ingress stack's HTTPS listener is, and whether
// the service moves between load balancers.
func (c *Clients) planLoadBalancer(ctx context.Context, o Options, m *manifest.Manifest, env *environment.Environment, lp *lbPlan) error {
	lp.moving, lp.twoPhase = moveOf(m, lp.liveOwn, lp.liveShared)
	if !m.ChoosesLoadBalancer() && lp.liveOwn && !lp.liveShared {
		lp.notes = append(lp.notes, "load balancer: the service keeps its own, as deployed before load balancers were shared (set load_balancer.dedicated: false, or a path, to move it to the environment's)")
	}
	ing := stacks.Usable(env.Ingress)
	if ing != nil {
		lp.defaultDomain, lp.zone = ing.Params[synth.ParamDefaultDomain], ing.Params[synth.ParamDefaultDomainZone]
	}
	if ing != nil && (m.Shared() || lp.liveShared) {
		var err error
		if lp.table, err = (&ingress.Clients{ELB: c.ELB}).Table(ctx, ing.Outputs); err != nil {
			return err
		}
	}
	if !m.Shared() {
		if users := ingress.DomainUsers(lp.table, m.Name, m.Domain.Name); lp.liveShared && m.HTTPS() && len(users) > 0 {
			return hint.Wrap(fmt.Errorf("service %s serves the domain %s on the environment's load balancer, where service(s) %s answer on it over HTTPS through its certificate: it cannot move to a load balancer of its own while they do; nothing was changed", m.Name, m.Domain.Name, strings.Join(users, ", ")),
				"deploy them with another load_balancer.host first, or keep "+m.Name+" on the environment's load balancer (load_balancer.dedicated: false)")
		}
		if lp.ingressGoes = lp.liveShared && ing != nil && len(lp.table.Without(m.Name)) == 0; lp.ingressGoes {
			lp.notes = append(lp.notes, fmt.Sprintf("load balancer: no other service of %s is on the environment's: it goes after the move (%s)", o.Env, ingressTarget(o.Env)))
		}
		return nil
	}
	pl, err := ingress.Place(o.Env, m, lp.table, func(service string) (string, error) { return c.domainOf(ctx, o.Env, service) })
	if err != nil {
		return err
	}
	lp.placement = pl
	lp.notes = append(lp.notes, pl.Notes...)
	if m.HTTPS() && lp.defaultDomain == "" {
		// the HTTPS listener's default certificate: the ingress stack requests one for
		// this first domain, and keeps it while the stack lives (the services' own
		// certificates come and go by SNI, none of them the listener's default, which
		// cannot be removed from it: RemoveListenerCertificates)
		if len(m.Domain.Name) > 64 {
			return fmt.Errorf("%s would be the first domain on the load balancer of environment %s, whose HTTPS listener takes a certificate berth requests for it, and ACM takes at most 64 characters in a certificate's first name", m.Domain.Name, o.Env)
		}
		lp.addsHTTPS = true
	}
	return nil
}

// domainOf is the domain a service of env serves over HTTPS on the environment's load
// balancer: the name of its URL when its stack has a certificate.
func (c *Clients) domainOf(ctx context.Context, env, service string) (string, error) {
	if service == ingress.NotBerths {
		return "", nil
	}
	_, st, err := c.environment().ServiceStack(ctx, env, service)
	if err != nil || st == nil || st.Outputs[synth.OutCertificateArn] == "" {
		return "", err
	}
	return ingress.DomainOfURL(st.Outputs[synth.OutURL]), nil
}

// lbNotes are what the plan says of the service's load balancer: where its rule goes,
// and a move's consequences.
func (p *prepared) lbNotes(svc *stacks.Stack, wait time.Duration) []string {
	lp, m := p.lb, p.m
	out := append([]string{}, lp.notes...)
	if !lp.moving {
		return out
	}
	from, to := "its own load balancer", "the environment's"
	if !m.Shared() {
		from, to = "the environment's load balancer", "one of its own"
	}
	if m.HTTPS() {
		when := fmt.Sprintf("%s later (what resolvers may still answer)", wait)
		if wait == 0 {
			when = "then (on an emulator, whose names no resolver keeps)"
		}
		out = append(out, fmt.Sprintf("load balancer: the service moves from %s to %s; the alias record of %s moves to the new one once the tasks serve there, both serve until then, and the old one goes %s: %s answers throughout",
			from, to, m.Domain.Name, when, m.Domain.Name))
		return out
	}
	old := ""
	if svc != nil {
		old = " " + svc.Outputs[synth.OutURL]
	}
	out = append(out, fmt.Sprintf("load balancer: the service moves from %s to %s: its URL%s changes to the new load balancer's (berth deploy prints it)", from, to, old))
	return out
}

// ingressTarget is the environment's load balancer's stack, as a target of the deploy.
func ingressTarget(env string) string { return names.Stack(env, "", synth.Ingress) }
