package deploy

import (
	"context"
	"fmt"
	"time"

	"github.com/berthdev/berth/internal/routing"

	"github.com/berthdev/berth/internal/edge"
	"github.com/berthdev/berth/internal/identity"
	"github.com/berthdev/berth/internal/names"
	"github.com/berthdev/berth/internal/network"
	"github.com/berthdev/berth/internal/registry"
	"github.com/berthdev/berth/internal/session"
	"github.com/berthdev/berth/internal/stacks"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/berthdev/berth/internal/cfn"
	"github.com/berthdev/berth/internal/synth"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Plan is what a deploy will do, known before anything changes: every stack with every
// change, the image, and what the user should know first. deploy shows it and asks
// once; diff shows it and stops.
type Plan struct {
	Account string      `json:"account"`
	Region  string      `json:"region"`
	Caller  string      `json:"caller"`
	Env     string      `json:"env"`
	Service string      `json:"service"`
	Image   ImagePlan   `json:"image"`
	Stacks  []StackPlan `json:"stacks"`
	Notes   []string    `json:"notes"`
	Cost    *CostChange `json:"cost,omitempty"`
	// Rollout is how the release reaches the traffic and the least time it takes
	// ("canary 5 % for 3m, then 100 %, bake 3m: ≥ 6m"), and what rolls it back.
	Rollout  string `json:"rollout"`
	Rollback string `json:"rollback_on"`
	// ShortBake warns of a bake too short for the rule to roll anything back
	// (rollout.Spec.ShortBake).
	ShortBake string `json:"short_bake,omitempty"`
	// Network is what berth found of an existing VPC (network.vpc) it deploys into.
	Network *network.Report `json:"network,omitempty"`
	// Routes is the routing table of the environment's load balancer as the deploy
	// leaves it, for a service on it (the service's entry marked new).
	Routes routing.Table `json:"routes,omitempty"`

	prep  *prepared
	built v1.Image // the image to push, when one was built and changed
}

// ImagePlan is the image the service will run, against the one it runs.
type ImagePlan struct {
	Deployed string `json:"deployed,omitempty"`
	New      string `json:"new"`
	Changed  bool   `json:"changed"`
	Why      string `json:"why,omitempty"` // "sources changed", "image.location changed"
}

// StackPlan is one stack of the plan.
type StackPlan struct {
	Stack   string          `json:"stack"`
	Part    string          `json:"part"`   // network, cluster, service
	Action  string          `json:"action"` // create, update, recover, none
	Changes []stacks.Change `json:"changes"`
	Note    string          `json:"note,omitempty"`
	// Recovery is what the deploy does first about a stack in a failed state (Action
	// "recover").
	Recovery *stacks.Recovery `json:"recovery,omitempty"`

	target    *target
	changeSet string            // prepared: executed as is when its inputs did not change
	params    map[string]string // what the prepared change set was made with
	// wait is how long the deploy waits before this stack's update: the second step of
	// a move with a domain, once resolvers may have forgotten the old load balancer.
	wait time.Duration
}

// Changes reports whether the plan changes anything.
func (p *Plan) Changes() bool {
	if p.Image.Changed {
		return true
	}
	for _, s := range p.Stacks {
		if s.Action != "none" {
			return true
		}
	}
	return false
}

// Count is the number of resource changes over every stack.
func (p *Plan) Count() int {
	n := 0
	for _, s := range p.Stacks {
		n += len(s.Changes)
	}
	return n
}

// plan reads what is deployed and works out everything a deploy would change. It builds
// the image (without pushing it) to know whether the sources changed, and for each
// deployed stack whose inputs are known asks CloudFormation for a change set, which it
// keeps for the deploy to execute; the caller deletes them if it does not (discard).
func (c *Clients) plan(ctx context.Context, id session.Identity, o Options) (*Plan, error) {
	prep, err := c.prepare(ctx, o)
	if err != nil {
		return nil, err
	}
	m := prep.m
	pl := &Plan{Account: id.Account, Region: id.Region, Caller: id.ARN, Env: o.Env, Service: m.Name, Stacks: []StackPlan{}, Notes: []string{}, prep: prep}
	notes, err := (&identity.Secrets{SSM: c.SSM, SM: c.SM, Region: c.Region}).Check(ctx, id, m)
	if err != nil {
		return nil, err
	}
	pl.Notes = append(pl.Notes, notes...)
	if note := prep.ami.Note(); note != "" {
		pl.Notes = append(pl.Notes, note)
	}
	if r := prep.existing; r != nil {
		pl.Network = r
		pl.Notes = append(pl.Notes, "network: the existing VPC "+r.VPC+", checked; berth creates no network stack and changes nothing of the VPC")
		for _, n := range r.Notes {
			pl.Notes = append(pl.Notes, "network: "+n)
		}
		for _, w := range r.Warnings {
			pl.Notes = append(pl.Notes, "warning: "+w)
		}
	}
	switch {
	case m.HTTPS():
		pl.Notes = append(pl.Notes, fmt.Sprintf("https://%s: hosted zone %s (%s)", m.Domain.Name, prep.zone.Name, prep.zone.ID))
	case prep.lb.placement != nil && prep.lb.placement.HTTPS:
		pl.Notes = append(pl.Notes, fmt.Sprintf("https://%s: served over HTTPS on the environment's listener, with the certificate of the service whose domain it is", m.Route().Host))
	case !m.CloudFront():
		pl.Notes = append(pl.Notes, edge.PlainHTTPNote)
	}
	if note := execNote(m); note != "" {
		pl.Notes = append(pl.Notes, note)
	}
	if notes, err = alarmNotes(m, id.Account, c.Region); err != nil {
		return nil, err
	}
	pl.Notes = append(pl.Notes, notes...)
	pl.Notes = append(pl.Notes, edgeNotes(m, stacks.Usable(prep.targets[len(prep.targets)-1].live))...)
	if note, err := c.environment().RoomNote(ctx, m); err != nil {
		return nil, err
	} else if note != "" {
		pl.Notes = append(pl.Notes, "warning: "+note)
	}
	if notes, err = c.preflight(ctx, o, prep); err != nil {
		return nil, err
	}
	pl.Notes = append(pl.Notes, notes...)
	svc := prep.targets[len(prep.targets)-1]
	if svc.name != names.Stack(o.Env, m.Name, synth.Service) {
		pl.Notes = append(pl.Notes, svc.name+" was named the way berth named service stacks before; it keeps its name")
	}
	if err := c.planImage(ctx, id, o, pl, stacks.Usable(svc.live)); err != nil {
		return nil, err
	}
	pl.Cost = c.planCost(ctx, id.Region, prep)
	pl.Rollout, pl.Rollback = m.Deployment.Rollout.String(), m.Deployment.Rollout.Rule.String()
	pl.ShortBake = m.Deployment.Rollout.ShortBake()
	if note := strategyNote(m, stacks.Usable(svc.live), prep.serving); note != "" {
		pl.Notes = append(pl.Notes, note)
	}
	pl.Notes = append(pl.Notes, prep.lbNotes(stacks.Usable(svc.live), c.moveWait())...)
	if prep.lb.placement != nil {
		pl.Routes = prep.lb.placement.Table
	}

	upstream := map[synth.Stack]*stacks.Stack{}
	missing := false // a stack before this one is not deployed: its outputs are not known
	var previous *target
	for _, t := range prep.targets {
		live := stacks.Usable(t.live)
		upstream[t.kind] = live
		sp := StackPlan{Stack: t.name, Part: string(t.kind), Action: "none", Changes: []stacks.Change{}, target: t}
		if t.final {
			// the second step of a move: what it changes is known from the templates
			sp.Action, sp.wait = "update", c.moveWait()
			sp.Note = "then: the old load balancer's part goes"
			if sp.wait > 0 {
				sp.Note = fmt.Sprintf("then, %s later: the old load balancer's part goes", sp.wait)
			}
			sp.Changes = finalChanges(t.name, previous.body, t.body)
			pl.Stacks = append(pl.Stacks, sp)
			continue
		}
		previous = t
		if t.kind == synth.Cluster {
			sp.Note = prep.ami.Note()
		}
		if live == nil || missing {
			sp.Action, sp.Changes = "create", addsOf(t.name, t.body, prep.params(t, upstream, pl.Image.New))
			if live != nil {
				sp.Action, sp.Changes, sp.Note = "update", []stacks.Change{}, "its inputs come from a stack deployed first: the changes are known after that one"
			}
			missing = missing || live == nil
			pl.Stacks = append(pl.Stacks, sp)
			continue
		}
		sp.params = prep.params(t, upstream, pl.Image.New)
		if c.at(t).unchanged(ctx, t.name, t.body, sp.params, live) {
			pl.Stacks = append(pl.Stacks, sp)
			continue
		}
		if err := c.at(t).planUpdate(ctx, id, o, t, live, &sp); err != nil {
			pl.discard(ctx, c)
			return nil, err
		}
		pl.Stacks = append(pl.Stacks, sp)
		if t.kind == synth.Ingress && prep.lb.addsHTTPS {
			// the service's rule goes on the HTTPS listener this update makes
			missing = true
		}
	}
	if prep.lb.ingressGoes {
		// the last service off the environment's load balancer takes it
		ing := prep.env.Ingress
		t := &target{kind: synth.Ingress, name: ing.Name, live: ing}
		sp := StackPlan{Stack: ing.Name, Part: string(synth.Ingress), Action: "delete", Changes: []stacks.Change{}, target: t,
			Note: "no service is on the environment's load balancer any more"}
		if body, err := stacks.Template(ctx, c.CF, ing.Name); err == nil {
			for _, ch := range addsOf(ing.Name, body, ing.Params) {
				ch.Action = "Remove"
				sp.Changes = append(sp.Changes, ch)
			}
		}
		pl.Stacks = append(pl.Stacks, sp)
	}
	if st := prep.dropEdge; st != nil {
		t := &target{kind: synth.Edge, name: st.Name, live: st}
		body, err := stacks.Template(ctx, c.at(t).CF, st.Name)
		if err != nil {
			return nil, err
		}
		changes := addsOf(st.Name, body, nil)
		for i := range changes {
			changes[i].Action = "Remove"
		}
		pl.Stacks = append(pl.Stacks, StackPlan{Stack: st.Name, Part: string(synth.Edge), Action: "delete", Changes: changes, target: t,
			Note: "the manifest no longer needs it in " + synth.EdgeRegion + ": deleted once the service stack no longer uses it"})
	}
	if err := c.planRecoveries(ctx, pl); err != nil {
		pl.discard(ctx, c)
		return nil, err
	}
	return pl, nil
}

// planUpdate asks for the change set of a deployed stack and reads the templates'
// differences; a stack with neither stays "none".
func (c *Clients) planUpdate(ctx context.Context, id session.Identity, o Options, t *target, live *stacks.Stack, sp *StackPlan) error {
	if stacks.InProgress(live.Status) {
		sp.Action, sp.Note = "update", fmt.Sprintf("an operation is in progress (%s): the deploy waits for it, then plans this stack", live.Status)
		return nil
	}
	if stacks.NeedsRecovery(live.Status) {
		return nil // no change set can be made: planRecoveries says what comes first
	}
	body, url := t.body, ""
	if len(body) > stacks.MaxTemplateBody { // more than CloudFormation takes inline
		bucket := c.artifacts(id)
		if _, err := bucket.Ensure(ctx); err != nil {
			return err
		}
		var err error
		prefix := names.ArtifactPrefix(o.Env, t.name)
		if o.diff {
			prefix = names.PlanArtifactPrefix(o.Env, t.name)
		}
		if url, err = bucket.Upload(ctx, prefix, body); err != nil {
			return err
		}
	}
	csID, changes, err := stacks.CreateChangeSet(ctx, c.CF, changeSetInput(t, o.Version, url, body, types.ChangeSetTypeUpdate, sp.params), o.Poll)
	if err != nil {
		return stacks.WithHint(err)
	}
	fromTemplates, err := c.templateChanges(ctx, t, live, sp.params)
	if err != nil {
		return err
	}
	sp.changeSet, sp.Changes = csID, stacks.MergeChanges(t.name, fromTemplates, changes)
	if csID != "" || len(sp.Changes) > 0 {
		sp.Action = "update"
	}
	return nil
}

// moveWait is how long a move with a domain keeps the old load balancer after the name
// points at the new one: none on an emulator, whose names no resolver caches.
func (c *Clients) moveWait() time.Duration {
	if c.Emulated != "" {
		return 0
	}
	return moveDNSWait
}

// finalChanges are the changes of a move's second step: from the template of the
// service behind both load balancers to the manifest's.
func finalChanges(stack string, moving, final []byte) []stacks.Change {
	before, err1 := cfn.Parse(moving)
	after, err2 := cfn.Parse(final)
	if err1 != nil || err2 != nil {
		return []stacks.Change{}
	}
	return stacks.MergeChanges(stack, cfn.Compare(before, after, nil, nil), nil)
}

// discard deletes the change sets a plan prepared and no deploy executed.
func (p *Plan) discard(ctx context.Context, c *Clients) {
	for i := range p.Stacks {
		s := &p.Stacks[i]
		if s.changeSet == "" {
			continue
		}
		c.at(s.target).CF.DeleteChangeSet(ctx, &cloudformation.DeleteChangeSetInput{ChangeSetName: aws.String(s.changeSet), StackName: aws.String(s.Stack)})
		s.changeSet = ""
	}
}

// addsOf lists a new stack's resources, all to be added: those its parameters make
// (a resource under a condition that they make false is not).
func addsOf(stack string, body []byte, params map[string]string) []stacks.Change {
	doc, err := cfn.Parse(body)
	if err != nil {
		return []stacks.Change{}
	}
	out := []stacks.Change{}
	for _, r := range cfn.Compare(&cfn.Doc{Resources: map[string]cfn.ParsedResource{}}, doc, nil, params) {
		out = append(out, stacks.Change{Stack: stack, Action: "Add", Resource: r.Resource, Type: r.Type})
	}
	return out
}

// unchanged reports whether the stack runs this very template with these parameters:
// then there is nothing to do, and asking CloudFormation for a change set (seconds on
// AWS) is skipped.
func (c *Clients) unchanged(ctx context.Context, name string, body []byte, params map[string]string, st *stacks.Stack) bool {
	if !stacks.Succeeded(st.Status) && st.Status != string(types.StackStatusUpdateRollbackComplete) {
		return false
	}
	for k, v := range params {
		if k == synth.ParamDesiredCount && v == "" || k == synth.ParamDesiredCapacity && v == "0" {
			continue // the count is left to auto scaling, whatever the stack last had
		}
		if st.Params[k] != v {
			return false
		}
	}
	deployed, err := stacks.Template(ctx, c.CF, name)
	return err == nil && string(deployed) == string(body)
}

// templateChanges compares the template and parameters a stack runs with the ones a
// deploy brings (cfn.Compare).
func (c *Clients) templateChanges(ctx context.Context, t *target, live *stacks.Stack, params map[string]string) ([]cfn.ResourceChange, error) {
	body, err := stacks.Template(ctx, c.CF, t.name)
	if err != nil {
		return nil, err
	}
	before, err := cfn.Parse(body)
	if err != nil {
		return nil, fmt.Errorf("read the template of %s: %w", t.name, err)
	}
	after, err := cfn.Parse(t.body)
	if err != nil {
		return nil, fmt.Errorf("read the new template of %s: %w", t.name, err)
	}
	now := make(map[string]string, len(params))
	for k, v := range params {
		now[k] = v
	}
	if v, ok := now[synth.ParamDesiredCount]; ok && v == "" {
		now[synth.ParamDesiredCount] = live.Params[synth.ParamDesiredCount] // left to auto scaling: unchanged
	}
	if v, ok := now[synth.ParamDesiredCapacity]; ok && v == "0" {
		now[synth.ParamDesiredCapacity] = live.Params[synth.ParamDesiredCapacity] // left to the capacity provider: unchanged
	}
	return cfn.Compare(before, after, live.Params, now), nil
}

// planImage decides the image the service will run. A built image is compared by
// content with the deployed one, so that new code shows in the plan (and an unchanged
// build pushes nothing).
func (c *Clients) planImage(ctx context.Context, id session.Identity, o Options, pl *Plan, svc *stacks.Stack) error {
	m := pl.prep.m
	if svc != nil {
		pl.Image.Deployed = svc.Params[synth.ParamImage]
	}
	if o.Rollback {
		return rollbackImage(pl, svc)
	}
	if m.Image.Build == "" {
		pl.Image.New = m.Image.Location
		pl.Image.Changed = svc != nil && pl.Image.Deployed != pl.Image.New
		if pl.Image.Changed {
			pl.Image.Why = "image.location changed"
		}
		return nil
	}
	if o.Image == nil {
		return fmt.Errorf("image.build: no builder")
	}
	arch := m.Capacity.Arch()
	img, err := o.Image(ctx, arch)
	if err != nil {
		return err
	}
	if err := registry.CheckArch(img, arch, m); err != nil {
		return err
	}
	digest, err := img.Digest()
	if err != nil {
		return err
	}
	uri, err := registry.URI(ctx, c.ECR, id, names.Repository(o.Env, o.Manifest.Name))
	if err != nil {
		return err
	}
	pl.Image.New = uri + "@" + digest.String()
	pl.Image.Changed = pl.Image.New != pl.Image.Deployed
	switch {
	case pl.Image.Changed && pl.Image.Deployed == "":
		pl.Image.Why = "built from " + o.Manifest.Image.Build
	case pl.Image.Changed:
		pl.Image.Why = "sources changed"
	}
	if pl.Image.Changed || svc == nil {
		pl.built = img
	}
	return nil
}
