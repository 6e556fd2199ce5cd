package ingress

import (
	"fmt"
	"strings"

	"github.com/berthdev/berth/internal/hint"
	"github.com/berthdev/berth/internal/manifest"
	"github.com/berthdev/berth/internal/routing"
)

// Placement is where a deploy puts a service's rule on the environment's load
// balancer, decided before anything changes.
type Placement struct {
	// Priority is the rule's: the one it has when its route is unchanged, else its
	// route's own, or the next free one of its class (routing.Route.Priority).
	Priority int
	// HTTPS puts the rule on the HTTPS listener: the service has a domain, or its host
	// is another service's domain, which that service serves there.
	HTTPS bool
	// Table is the environment's routing table as the deploy leaves it, the service's
	// entry marked New.
	Table routing.Table
	// Notes are what the user should know (a service that answers the domain's host on
	// HTTP only, from before the domain).
	Notes []string
}

// Place decides where m's rule goes in env, whose routing table is t (nil: no load
// balancer yet), and refuses, naming both services, a route another service holds or a
// domain another service has. domainOf says which domain a service serves over HTTPS
// ("" for none): a domain's name, its certificate and its alias record are one
// service's.
func Place(env string, m *manifest.Manifest, t routing.Table, domainOf func(service string) (string, error)) (*Placement, error) {
	r := m.Route()
	if held, ok := t.Claimed(r, m.Name); ok {
		return nil, conflict(m, &routing.ConflictError{Route: r, Service: m.Name, Holder: held, Env: env})
	}
	pl := &Placement{HTTPS: m.HTTPS()}
	for _, e := range t.Without(m.Name) {
		if r.Host == "" || !strings.EqualFold(e.Host, r.Host) {
			continue
		}
		if e.HTTPS {
			domain, err := domainOf(e.Service)
			if err != nil {
				return nil, err
			}
			if m.HTTPS() && strings.EqualFold(domain, m.Domain.Name) {
				return nil, hint.Wrap(&manifest.Error{File: m.File, Line: m.Line("domain"), Key: "domain",
					Msg: fmt.Sprintf("%s is the domain of service %s in environment %s: its certificate and alias record are that service's, and a name has one", m.Domain.Name, e.Service, env)},
					fmt.Sprintf("leave domain out and set load_balancer.host: %s (with a path), and %s serves over HTTPS through %s's certificate; nothing was changed", m.Domain.Name, m.Name, e.Service))
			}
			pl.HTTPS = true
		} else if m.HTTPS() {
			pl.Notes = append(pl.Notes, fmt.Sprintf("service %s answers %s on HTTP only (deployed before this domain): deploy it again and it is served over HTTPS too", e.Service, e.Route))
		}
	}
	own, placed := t.Of(m.Name)
	if placed && routing.Same(own.Route, r) && own.HTTPS == pl.HTTPS {
		pl.Priority = own.Priority
	} else {
		others := t.Taken(m.Name)
		taken := others
		if placed && own.HTTPS != pl.HTTPS {
			// The rule changes listener: CloudFormation replaces it (ListenerArn is
			// create-only, AWS::ElasticLoadBalancingV2::ListenerRule's schema), creating the
			// new rule and the HTTP twin (addRedirect, at the rule's priority) before it
			// deletes the old rule, or the twin, in its cleanup. The old priority on the HTTP
			// listener is held until then, and a listener takes a priority once
			// (PriorityInUse): the rule takes another.
			taken = func(p int) bool { return p == own.Priority || others(p) }
		}
		p, ok := r.Priority(taken)
		if !ok {
			return nil, fmt.Errorf("the load balancer of environment %s has no priority left for a rule like %s's (%s): it holds %d of that specificity already", env, m.Name, r, routing.ClassWidth)
		}
		pl.Priority = p
	}
	pl.Table = append(t.Without(m.Name), routing.Entry{Route: r, Service: m.Name, Priority: pl.Priority, HTTPS: pl.HTTPS, New: true})
	pl.Table.Sort()
	return pl, nil
}

// conflict is a route conflict as a manifest error at the key that says the route, so
// that it exits 2 with the line, like a disagreement with the environment's settings.
func conflict(m *manifest.Manifest, err *routing.ConflictError) error {
	key := "name"
	for _, k := range []string{"load_balancer.path", "load_balancer.host", "domain"} {
		if m.IsSet(k) {
			key = k
			break
		}
	}
	return hint.Wrap(&manifest.Error{File: m.File, Line: m.Line(key), Key: key, Msg: err.Error()}, err.Hint())
}
