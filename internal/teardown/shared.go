package teardown

import (
	"context"
	"fmt"
	"strings"

	"github.com/berthdev/berth/internal/environment"
	"github.com/berthdev/berth/internal/hint"
	"github.com/berthdev/berth/internal/ingress"
	"github.com/berthdev/berth/internal/routing"
	"github.com/berthdev/berth/internal/stacks"
	"github.com/berthdev/berth/internal/synth"
)

// The environment's load balancer on delete: a service on it takes its rule and target
// groups with its stack, and the last one out takes the load balancer (the ingress
// stack), whether or not services with load balancers of their own remain, so that an
// environment pays for none it does not use.

// ingressGoes reports whether deleting services leaves the environment's load balancer
// without a service on it.
func ingressGoes(e *environment.Environment, deleted map[string]bool) bool {
	if e.Ingress == nil {
		return false
	}
	for _, s := range e.Shared() {
		if !deleted[s] {
			return false
		}
	}
	return true
}

// checkDomainUsers refuses to delete a service whose domain other services of the
// environment answer on over HTTPS (load_balancer.host): they would lose the
// certificate of the name, and its alias record.
func (c *Clients) checkDomainUsers(ctx context.Context, e *environment.Environment, service string, deleted map[string]bool) error {
	st := e.Services[service]
	ing := stacks.Usable(e.Ingress)
	if st == nil || ing == nil || st.Outputs[synth.OutCertificateArn] == "" || st.Outputs[synth.OutRoute] == "" {
		return nil
	}
	domain := ingress.DomainOfURL(st.Outputs[synth.OutURL])
	table, err := (&ingress.Clients{ELB: c.ELB}).Table(ctx, ing.Outputs)
	if err != nil {
		return err
	}
	var users []string
	for _, u := range table {
		if !deleted[u.Service] {
			users = append(users, ingress.DomainUsers(routing.Table{u}, service, domain)...)
		}
	}
	if len(users) == 0 {
		return nil
	}
	return hint.Wrap(fmt.Errorf("service %s serves the domain %s, on which service(s) %s answer over HTTPS through its certificate and alias record; nothing was deleted", service, domain, strings.Join(users, ", ")),
		"delete them first, or deploy them with another load_balancer.host; or delete the whole environment (--environment --force)")
}

// DeleteIngress removes the environment's load balancer, as deleteIngress does, when a
// deploy moved its last service off it; it returns what it left in the account.
func (c *Clients) DeleteIngress(ctx context.Context, st *stacks.Stack, owner string, o DeleteOptions) ([]string, error) {
	d := &deletion{DeleteOptions: o, owner: owner}
	err := c.deleteIngress(ctx, d, st)
	return d.left, err
}

// deleteIngress removes the environment's load balancer: its access logs first (their
// bucket deletes only empty), then the stack, then the validation record of its default
// certificate unless another certificate of the account renews with it.
func (c *Clients) deleteIngress(ctx context.Context, d *deletion, st *stacks.Stack) error {
	stacks.WorkOn(ctx, st.Name)
	if err := c.edge().ReleaseAccessLogs(ctx, st, d.owner, d.Progress.Message); err != nil {
		return err
	}
	certARN, records, err := c.edge().CertificateRecords(ctx, st)
	if err != nil {
		return err
	}
	kept, err := c.deleteStack(ctx, st, d.owner, d.DeleteOptions)
	if err != nil {
		return err
	}
	d.keep(kept)
	d.Progress.Message("removed the environment's load balancer (" + st.Name + "): no service of " + d.Env + " is on it any more")
	keptRecords, err := c.edge().RemoveValidationRecords(ctx, st.Params[synth.ParamDefaultDomainZone], certARN, records, d.Progress.Message)
	d.left = append(d.left, keptRecords...)
	return err
}
