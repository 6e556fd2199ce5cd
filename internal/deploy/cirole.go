package deploy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/berthdev/berth/internal/cirole"
	"github.com/berthdev/berth/internal/hint"
	"github.com/berthdev/berth/internal/identity"
	"github.com/berthdev/berth/internal/names"
	"github.com/berthdev/berth/internal/session"
	"github.com/berthdev/berth/internal/stacks"
)

// CIRoleOptions configure berth ci role.
type CIRoleOptions struct {
	Env      string
	Trust    cirole.Trust
	Version  string // berth's, recorded as a stack tag
	Progress Progress
	Poll     time.Duration
	// Show is given the plan before anything changes; Confirm is asked once, when the
	// plan changes something (nil goes ahead: --yes).
	Show    func(*CIRolePlan)
	Confirm func(context.Context, *CIRolePlan) (bool, error)
}

// CIRolePlan is what berth ci role will do, known before anything changes: the stack,
// its changes, the provider it makes or reuses, and who may assume which role.
type CIRolePlan struct {
	Account  string          `json:"account"`
	Region   string          `json:"region"`
	Caller   string          `json:"caller"`
	Env      string          `json:"env"`
	Trusts   string          `json:"trusts"` // github:OWNER/REPO, gitlab:GROUP/PROJECT
	Stack    string          `json:"stack"`
	Action   string          `json:"action"` // create, update, none
	Changes  []stacks.Change `json:"changes"`
	Provider CIProvider      `json:"provider"`
	Allows   []string        `json:"allows"`

	target    *target
	changeSet string
}

// CIProvider is the OpenID Connect provider the roles trust.
type CIProvider struct {
	URL    string `json:"url"`
	ARN    string `json:"arn,omitempty"`      // empty until the stack makes it
	Action string `json:"action"`             // create, reuse (the account's), keep (this stack's)
	Berth  bool   `json:"berth_made"`         // berth made it: it goes once no role trusts it
	Stack  string `json:"in_stack,omitempty"` // the stack that holds it, when this one
}

// CIRoleResult is what berth ci role leaves: the roles to put in the workflow.
type CIRoleResult struct {
	Stack      string `json:"stack"`
	Env        string `json:"env"`
	Provider   string `json:"provider"` // github, gitlab
	DeployRole string `json:"deploy_role"`
	PlanRole   string `json:"plan_role"`
	OIDC       string `json:"oidc_provider"`
	Changed    bool   `json:"changed"`
}

// PlanCIRole reads what is deployed and works out what berth ci role would change. For
// a deployed stack it prepares the change set, which ApplyCIRole executes; the caller
// discards it (Discard) when it does not.
func (c *Clients) PlanCIRole(ctx context.Context, id session.Identity, o CIRoleOptions) (*CIRolePlan, error) {
	t := o.Trust
	if err := t.Validate(); err != nil {
		return nil, err
	}
	name := names.CIStack(o.Env, t.Provider.Name, t.Repo)
	live, err := stacks.Describe(ctx, c.CF, name)
	if err != nil {
		return nil, err
	}
	if live != nil && (live.Tags[names.TagStack] != names.CIPart || !strings.EqualFold(live.Tags[names.TagCI], t.Tag())) {
		return nil, fmt.Errorf("stack %s exists and is not berth's CI role stack of %s (tags %v)", name, t.Tag(), live.Tags)
	}
	pl := &CIRolePlan{Account: id.Account, Region: id.Region, Caller: id.ARN, Env: o.Env, Trusts: t.Tag(), Stack: name, Action: "none",
		Changes: []stacks.Change{}, Allows: t.Allows(o.Env), Provider: CIProvider{URL: t.Provider.Issuer}}
	spec := cirole.Spec{Trust: t, Env: o.Env, Partition: session.PartitionOf(id.Region), Bucket: names.Bucket(id.Account, id.Region)}
	if err := c.planProvider(ctx, name, stacks.Usable(live), &spec, &pl.Provider); err != nil {
		return nil, err
	}
	body, err := cirole.Render(spec)
	if err != nil {
		return nil, err
	}
	tg := &target{name: name, body: body, live: live,
		tags: map[string]string{names.TagVersion: o.Version, names.TagEnv: o.Env, names.TagStack: names.CIPart, names.TagCI: t.Tag()}}
	pl.target = tg
	switch deployed := stacks.Usable(live); {
	case deployed == nil:
		pl.Action, pl.Changes = "create", addsOf(name, body, nil)
	case stacks.InProgress(deployed.Status):
		pl.Action = "update" // the apply waits for the operation, then makes its change set
	case c.unchanged(ctx, name, body, nil, deployed):
	default:
		csID, changes, err := stacks.CreateChangeSet(ctx, c.CF, changeSetInput(tg, o.Version, "", body, types.ChangeSetTypeUpdate, nil), o.Poll)
		if err != nil {
			return nil, stacks.WithHint(err)
		}
		pl.changeSet = csID
		fromTemplates, err := c.templateChanges(ctx, tg, deployed, nil)
		if err != nil {
			pl.Discard(ctx, c)
			return nil, err
		}
		pl.Changes = stacks.MergeChanges(name, fromTemplates, changes)
		if csID != "" || len(pl.Changes) > 0 {
			pl.Action = "update"
		}
	}
	return pl, nil
}

// planProvider decides the provider: the one this stack made stays in it; else the
// account's is reused (never a second: IAM refuses one per URL with
// EntityAlreadyExists), provided it accepts the audience the jobs ask for; else the
// stack makes it.
func (c *Clients) planProvider(ctx context.Context, stack string, live *stacks.Stack, spec *cirole.Spec, pp *CIProvider) error {
	if live != nil {
		arn, err := stacks.PhysicalID(ctx, c.CF, stack, cirole.ResProvider)
		if err != nil {
			return err
		}
		if arn != "" {
			*pp = CIProvider{URL: pp.URL, ARN: arn, Action: "keep", Berth: true, Stack: stack}
			return nil
		}
	}
	p := spec.Trust.Provider
	found, err := identity.FindProvider(ctx, c.OIDC, p.Host())
	if err != nil {
		return err
	}
	if found == nil {
		pp.Action, pp.Berth = "create", true
		return nil
	}
	if !found.Accepts(p.Audience) {
		return hint.Wrap(fmt.Errorf("the account's OpenID Connect provider %s does not accept the audience %s, which berth's %s jobs ask for (it accepts %s)",
			found.ARN, p.Audience, p.Name, strings.Join(found.Audiences, ", ")),
			fmt.Sprintf("add it: aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn %s --client-id %s", found.ARN, p.Audience))
	}
	spec.ProviderARN = found.ARN
	pp.ARN, pp.Action, pp.Berth = found.ARN, "reuse", found.Berth
	return nil
}

// Discard deletes the change set the plan prepared, when no apply executes it.
func (pl *CIRolePlan) Discard(ctx context.Context, c *Clients) {
	if pl.changeSet != "" {
		c.CF.DeleteChangeSet(ctx, &cloudformation.DeleteChangeSetInput{ChangeSetName: aws.String(pl.changeSet), StackName: aws.String(pl.Stack)})
		pl.changeSet = ""
	}
}

// CIRole shows the plan, asks once, and carries it out.
func (c *Clients) CIRole(ctx context.Context, id session.Identity, o CIRoleOptions) (*CIRoleResult, error) {
	pl, err := c.PlanCIRole(ctx, id, o)
	if err != nil {
		return nil, err
	}
	if o.Show != nil {
		o.Show(pl)
	}
	if pl.Action != "none" && o.Confirm != nil {
		if ok, err := o.Confirm(ctx, pl); err != nil || !ok {
			cleanup, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			pl.Discard(cleanup, c)
			return nil, errors.Join(errors.New("stopped: nothing was changed"), err)
		}
		o.Progress.Restart()
	}
	return c.ApplyCIRole(ctx, pl, o)
}

// ApplyCIRole carries the plan out and reads the roles' ARNs.
func (c *Clients) ApplyCIRole(ctx context.Context, pl *CIRolePlan, o CIRoleOptions) (*CIRoleResult, error) {
	res := &CIRoleResult{Stack: pl.Stack, Env: pl.Env, Provider: o.Trust.Provider.Name}
	st := stacks.Usable(pl.target.live)
	if pl.Action != "none" {
		in := changeSetInput(pl.target, o.Version, "", pl.target.body, types.ChangeSetTypeUpdate, nil)
		var err error
		if st, err = stacks.Apply(ctx, c.CF, o.Progress, in, pl.changeSet, len(pl.Changes), o.Poll); err != nil {
			cleanup, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			pl.Discard(cleanup, c)
			return nil, err
		}
		pl.changeSet, res.Changed = "", true
	}
	if st == nil {
		return nil, fmt.Errorf("stack %s is not deployed", pl.Stack)
	}
	res.DeployRole, res.PlanRole, res.OIDC = st.Outputs[cirole.OutDeployRole], st.Outputs[cirole.OutPlanRole], st.Outputs[cirole.OutProvider]
	return res, nil
}
