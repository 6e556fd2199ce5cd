package teardown

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/berthdev/berth/internal/cirole"
	"github.com/berthdev/berth/internal/environment"
	"github.com/berthdev/berth/internal/identity"
	"github.com/berthdev/berth/internal/names"
	"github.com/berthdev/berth/internal/stacks"
)

// ciStack names the CI role stack that berth delete --ci-role means: the stack's name,
// or PROVIDER:REPOSITORY.
func ciStack(env, which string) (string, error) {
	if strings.HasPrefix(which, "berth-"+env+"-"+names.CIPart+"-") {
		return which, nil
	}
	provider, repo, ok := strings.Cut(which, ":")
	p, known := cirole.ProviderNamed(provider)
	if !ok || !known || repo == "" {
		return "", fmt.Errorf("--ci-role %q: want github:OWNER/REPO, gitlab:GROUP/PROJECT or the name of a CI role stack of %s (berth-%s-ci-...)", which, env, env)
	}
	return names.CIStack(env, p.Name, repo), nil
}

// ciRoleStack is the CI role stack meant, nil when it is not deployed.
func (c *Clients) ciRoleStack(ctx context.Context, o DeleteOptions) (string, *stacks.Stack, error) {
	name, err := ciStack(o.Env, o.CIRole)
	if err != nil {
		return "", nil, err
	}
	st, err := stacks.Describe(ctx, c.CF, name)
	if err != nil || st == nil {
		return name, nil, err
	}
	if st.Tags[names.TagStack] != names.CIPart {
		return "", nil, fmt.Errorf("stack %s is not a CI role stack berth made", name)
	}
	return name, st, nil
}

// providerFate says whether the stack's provider goes with it: only a provider berth
// made, once no role but the stack's own trusts it (a role of another repository,
// environment or region, or anyone's).
func (c *Clients) providerFate(ctx context.Context, st *stacks.Stack) (arn string, goes bool, others []string, err error) {
	arn = st.Outputs[cirole.OutProvider]
	if arn == "" {
		return "", false, nil, nil
	}
	host := arn[strings.LastIndex(arn, "oidc-provider/")+len("oidc-provider/"):]
	p, err := identity.FindProvider(ctx, c.OIDC, host)
	if err != nil || p == nil || p.ARN != arn {
		return arn, false, nil, err
	}
	trusted, err := identity.TrustedBy(ctx, c.OIDC, arn)
	if err != nil {
		return arn, false, nil, err
	}
	for _, r := range trusted {
		if r != st.Outputs[cirole.OutDeployRole] && r != st.Outputs[cirole.OutPlanRole] {
			others = append(others, r)
		}
	}
	slices.Sort(others)
	return arn, p.Berth && len(others) == 0, others, nil
}

func (c *Clients) planDeleteCIRole(ctx context.Context, o DeleteOptions, r *Removal) error {
	name, st, err := c.ciRoleStack(ctx, o)
	if err != nil || st == nil {
		return err
	}
	r.Stacks = append(r.Stacks, name)
	arn, goes, others, err := c.providerFate(ctx, st)
	switch {
	case err != nil:
		return err
	case goes:
		r.Providers = append(r.Providers, arn)
	case len(others) > 0:
		r.Kept = append(r.Kept, fmt.Sprintf("the OpenID Connect provider %s: %s trust(s) it", arn, strings.Join(others, ", ")))
	case arn != "":
		r.Kept = append(r.Kept, "the OpenID Connect provider "+arn+", which berth did not make")
	}
	return nil
}

// deleteCIRole removes the stack (CloudFormation keeps the provider: Retain), then the
// provider when berth made it and no role trusts it any more.
func (c *Clients) deleteCIRole(ctx context.Context, o DeleteOptions) error {
	name, st, err := c.ciRoleStack(ctx, o)
	if err != nil {
		return err
	}
	if st == nil {
		o.Progress.Message("nothing to delete: " + name + " is not deployed")
		return nil
	}
	if err := stacks.Delete(ctx, c.CF, o.Progress, name, o.Poll); err != nil {
		return err
	}
	arn, goes, others, err := c.providerFate(ctx, st)
	switch {
	case err != nil:
		return err
	case goes:
		if err := identity.DeleteProvider(ctx, c.OIDC, arn); err != nil {
			return err
		}
		o.Progress.Message("removed the OpenID Connect provider " + arn + ", which no role trusts any more")
	case len(others) > 0:
		o.Progress.Message(fmt.Sprintf("kept the OpenID Connect provider %s: %s trust(s) it", arn, strings.Join(others, ", ")))
	}
	return nil
}

// ciStaying says which CI role stacks outlive their environment's delete, and why.
func ciStaying(e *environment.Environment) []string {
	var out []string
	for _, name := range slices.Sorted(maps.Keys(e.CI)) {
		out = append(out, fmt.Sprintf("the CI role stack %s: its CI jobs may deploy %s again (berth delete --env %s --ci-role %s removes it)", name, e.Name, e.Name, name))
	}
	return out
}
