package teardown

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/environment"

	"github.com/berthdev/berth/internal/buckets"
	"github.com/berthdev/berth/internal/names"
	"github.com/berthdev/berth/internal/registry"
	"github.com/berthdev/berth/internal/session"
	"github.com/berthdev/berth/internal/stacks"

	"github.com/berthdev/berth/internal/synth"
)

// DeleteOptions say what to remove.
type DeleteOptions struct {
	Env     string
	Service string // the service to remove; with Environment, ignored
	// Environment removes the environment's shared network and cluster too, and with
	// Force every service still in it first; without Force it refuses while services run.
	Environment, Force bool
	// CIRole removes a CI role stack instead (github:OWNER/REPO, gitlab:GROUP/PROJECT,
	// or the stack's name), with the OpenID Connect provider when berth made it and no
	// role trusts it any more.
	CIRole   string
	Progress stacks.Progress
	Poll     time.Duration
}

// ErrServicesRemain refuses to delete an environment that services still use.
type ErrServicesRemain struct {
	Env      string
	Services []string
}

func (e *ErrServicesRemain) Error() string {
	return fmt.Sprintf("environment %s still runs service(s) %s", e.Env, strings.Join(e.Services, ", "))
}

// Hint says what to do.
func (e *ErrServicesRemain) Hint() string {
	return fmt.Sprintf("delete them first (berth delete -f THEIR-MANIFEST --env %s), or add --force to delete them with the environment", e.Env)
}

// Removal is what a delete removes, listed before anything goes.
type Removal struct {
	Env          string        `json:"env"`
	Services     []string      `json:"services"`
	Stacks       []string      `json:"stacks"`
	Repositories []RepoRemoval `json:"repositories"`
	LogGroups    []string      `json:"log_groups"`
	Artifacts    int           `json:"artifact_objects"` // template objects, every version
	Bucket       string        `json:"bucket,omitempty"` // the artifact bucket, when nothing else uses it
	Remaining    []string      `json:"remaining_services"`
	// Keeps is the existing network the environment ran in (network.vpc), which the
	// delete leaves as it is: berth created none of it.
	Keeps *environment.Existing `json:"keeps,omitempty"`
	// Recoveries are the stacks in a failed state (a delete that failed before, ...):
	// why, and what the delete does about it (what it leaves in the account).
	Recoveries []*stacks.Recovery `json:"recoveries,omitempty"`
	Providers  []string           `json:"oidc_providers"` // berth made them, and no other role trusts them
	Kept       []string           `json:"kept"`           // what stays, and why
}

// RepoRemoval is an image repository and how many images go with it.
type RepoRemoval struct {
	Name   string `json:"name"`
	Images int    `json:"images"`
}

// Empty reports whether there is nothing to remove.
func (r *Removal) Empty() bool {
	return len(r.Stacks) == 0 && len(r.Repositories) == 0 && r.Artifacts == 0 && r.Bucket == "" && len(r.Providers) == 0
}

// PlanDelete lists what Delete would remove, without removing anything.
func (c *Clients) PlanDelete(ctx context.Context, id session.Identity, o DeleteOptions) (*Removal, error) {
	r := &Removal{Env: o.Env, Services: []string{}, Stacks: []string{}, Repositories: []RepoRemoval{}, LogGroups: []string{}, Remaining: []string{},
		Providers: []string{}, Kept: []string{}}
	if o.CIRole != "" {
		return r, c.planDeleteCIRole(ctx, o, r)
	}
	e, err := c.environment().Read(ctx, o.Env)
	if err != nil {
		return nil, err
	}
	services := []string{o.Service}
	if o.Environment {
		services = e.ServiceNames()
		if len(services) > 0 && !o.Force {
			return nil, &ErrServicesRemain{Env: o.Env, Services: services}
		}
	}
	bucket := c.artifacts(id)
	gone := map[string]bool{}
	for _, svc := range services {
		gone[svc] = true
	}
	if !o.Environment {
		if err := c.checkDomainUsers(ctx, e, o.Service, gone); err != nil {
			return nil, err
		}
	}
	for _, svc := range services {
		name, st, err := c.environment().ServiceStack(ctx, o.Env, svc)
		if err != nil {
			return nil, err
		}
		gone[svc] = true
		if st != nil {
			if err := c.noteRecovery(ctx, r, st); err != nil {
				return nil, err
			}
			r.Services = append(r.Services, svc)
			r.Stacks = append(r.Stacks, name)
			if g := st.Outputs[synth.OutLogGroupName]; g != "" {
				r.LogGroups = append(r.LogGroups, g)
			}
		}
		if edge, err := c.edgeStack(ctx, o.Env, svc); err != nil {
			return nil, err
		} else if edge != nil {
			if err := c.in(synth.EdgeRegion).noteRecovery(ctx, r, edge); err != nil {
				return nil, err
			}
			r.Stacks = append(r.Stacks, edge.Name+" ("+synth.EdgeRegion+")")
		}
		if n, ok, err := registry.Images(ctx, c.ECR, names.Repository(o.Env, svc)); err != nil {
			return nil, err
		} else if ok {
			r.Repositories = append(r.Repositories, RepoRemoval{Name: names.Repository(o.Env, svc), Images: n})
		}
		for _, prefix := range names.ArtifactPrefixes(o.Env, name) {
			n, err := bucket.Count(ctx, prefix)
			if err != nil {
				return nil, err
			}
			r.Artifacts += n
		}
	}
	for _, svc := range e.ServiceNames() {
		if !gone[svc] {
			r.Remaining = append(r.Remaining, svc)
		}
	}
	if ingressGoes(e, gone) {
		if err := c.noteRecovery(ctx, r, e.Ingress); err != nil {
			return nil, err
		}
		r.Stacks = append(r.Stacks, e.Ingress.Name)
	}
	if len(r.Remaining) > 0 {
		return r, nil
	}
	r.Kept = append(r.Kept, ciStaying(e)...)
	for _, st := range []*stacks.Stack{e.Cluster, e.Network} {
		if st != nil {
			if err := c.noteRecovery(ctx, r, st); err != nil {
				return nil, err
			}
			r.Stacks = append(r.Stacks, st.Name)
		}
	}
	r.Keeps = e.Existing()
	n, err := bucket.Count(ctx, o.Env+"/")
	if err != nil {
		return nil, err
	}
	r.Artifacts = n
	if all, err := bucket.Count(ctx, ""); err == nil && all == n && (all > 0 || len(r.Stacks) > 0) {
		if exists, _ := bucket.Exists(ctx); exists {
			r.Bucket = bucket.Bucket
		}
	}
	return r, nil
}

// noteRecovery adds to the listing what a stack in a failed state is, and what the
// delete does about it.
func (c *Clients) noteRecovery(ctx context.Context, r *Removal, st *stacks.Stack) error {
	if !stacks.NeedsRecovery(st.Status) {
		return nil
	}
	rec, err := c.RecoveryOf(ctx, st)
	if err == nil && rec != nil {
		r.Recoveries = append(r.Recoveries, rec)
	}
	return err
}

// deletion is one delete under way: what it was asked, where the templates are, and
// what it leaves in the account on purpose.
type deletion struct {
	DeleteOptions
	bucket *buckets.Artifacts
	owner  string   // the account, which owns the buckets berth empties
	left   []string // what stays, each with why and how to remove it
}

// Delete removes one service: its stack, its templates in the artifact bucket and the
// image repository berth made for it. The environment's network and cluster go with
// its last service, or with Environment. Deleting what is already gone succeeds.
func (c *Clients) Delete(ctx context.Context, id session.Identity, o DeleteOptions) (err error) {
	ctx, op := stacks.Track(ctx)
	defer func() { err = op.Explain(err, "berth delete") }()
	if o.CIRole != "" {
		return c.deleteCIRole(ctx, o)
	}
	e, err := c.environment().Read(ctx, o.Env)
	if err != nil {
		return err
	}
	services := []string{o.Service}
	if o.Environment {
		services = e.ServiceNames()
		if len(services) > 0 && !o.Force {
			return &ErrServicesRemain{Env: o.Env, Services: services}
		}
	}
	d := &deletion{DeleteOptions: o, bucket: c.artifacts(id), owner: id.Account}
	gone := map[string]bool{}
	for _, svc := range services {
		gone[svc] = true
	}
	if !o.Environment {
		if err := c.checkDomainUsers(ctx, e, o.Service, gone); err != nil {
			return err
		}
	}
	lastOut := ingressGoes(e, gone)
	removed := 0
	for _, svc := range services {
		n, err := c.deleteService(ctx, d, svc)
		if err != nil {
			return err
		}
		removed += n
		delete(e.Services, svc)
	}
	if lastOut {
		// the last service on the environment's load balancer takes it
		if err := c.deleteIngress(ctx, d, e.Ingress); err != nil {
			return err
		}
		e.Ingress = nil
		removed++
	}
	if len(e.Services) > 0 {
		if !o.Environment {
			o.Progress.Message(fmt.Sprintf("environment %s stays: service(s) %s still run in it", o.Env, strings.Join(e.ServiceNames(), ", ")))
		}
		if removed == 0 {
			o.Progress.Message("nothing to delete: " + names.Stack(o.Env, o.Service, synth.Service) + " is not deployed")
		}
		for _, l := range d.left {
			o.Progress.Message("left in the account: " + l)
		}
		return nil
	}
	n, err := c.deleteEnvironment(ctx, d, e, services)
	if removed+n == 0 && err == nil && len(d.left) == 0 {
		o.Progress.Message("nothing to delete: nothing berth made for " + o.Env + " is deployed")
	}
	if x := e.Existing(); x != nil && err == nil {
		o.Progress.Message(KeepsText(x))
	}
	return err
}

// KeepsText says that a delete leaves an existing network as it is.
func KeepsText(x *environment.Existing) string {
	return fmt.Sprintf("the existing VPC %s and its subnets %s stay as they are: berth did not create them and changed none of them",
		x.VPC, strings.Join(append(slices.Clone(x.PublicSubnets), x.PrivateSubnets...), ", "))
}

// deleteService removes a service's stack, then its templates and image repository;
// it reports how many things it removed.
func (c *Clients) deleteService(ctx context.Context, d *deletion, service string) (int, error) {
	name, st, err := c.environment().ServiceStack(ctx, d.Env, service)
	if err != nil {
		return 0, err
	}
	removed := 0
	if st != nil {
		stacks.WorkOn(ctx, name)
		if err := c.edge().ReleaseAccessLogs(ctx, st, d.owner, d.Progress.Message); err != nil {
			return 0, err
		}
		certARN, records, err := c.edge().CertificateRecords(ctx, st)
		if err != nil {
			return 0, err
		}
		kept, err := c.deleteStack(ctx, st, d.owner, d.DeleteOptions)
		if err != nil {
			return 0, err // the service may still run the image and templates: keep them
		}
		d.keep(kept)
		removed++
		keptRecords, err := c.edge().RemoveValidationRecords(ctx, st.Params[synth.ParamHostedZone], certARN, records, d.Progress.Message)
		d.left = append(d.left, keptRecords...)
		if err != nil {
			return removed, err
		}
	}
	// the edge stack in us-east-1 goes after the distribution that used it
	edge, err := c.edgeStack(ctx, d.Env, service)
	if err != nil {
		return removed, err
	}
	if edge != nil {
		left, err := c.DeleteEdgeStack(ctx, edge, d.owner, d.DeleteOptions)
		d.left = append(d.left, left...)
		if err != nil {
			return removed, err
		}
		removed++
	}
	n := 0
	for _, prefix := range names.ArtifactPrefixes(d.Env, name) {
		objects, _, err := d.bucket.EmptyPrefix(ctx, prefix)
		if err != nil {
			return removed, err
		}
		n += objects
	}
	if n > 0 {
		d.Progress.Message(fmt.Sprintf("removed %d template object(s) of %s from the artifact bucket", n, name))
		removed++
	}
	if deleted, err := registry.Delete(ctx, c.ECR, names.Repository(d.Env, service)); err != nil {
		return removed, err
	} else if deleted {
		d.Progress.Message("removed the image repository " + names.Repository(d.Env, service) + " and its images")
		removed++
	}
	return removed, nil
}

// edgeStack is the service's edge stack in us-east-1, if it has one: a stack of that
// name berth made for this service and environment (its tags say so).
func (c *Clients) edgeStack(ctx context.Context, env, service string) (*stacks.Stack, error) {
	st, err := stacks.Describe(ctx, c.in(synth.EdgeRegion).CF, names.Stack(env, service, synth.Edge))
	if err != nil || st == nil || st.Tags[names.TagEnv] != env || st.Tags[names.TagService] != service {
		return nil, err
	}
	return st, nil
}

// DeleteEdgeStack removes a service's edge stack in us-east-1 (once nothing uses what
// it holds), and the validation records of its certificate that no other certificate
// renews with; it returns what it left in the account.
func (c *Clients) DeleteEdgeStack(ctx context.Context, st *stacks.Stack, owner string, o DeleteOptions) ([]string, error) {
	if st == nil {
		return nil, nil
	}
	us := c.in(synth.EdgeRegion)
	stacks.WorkOn(ctx, st.Name)
	certARN, records, err := us.edge().CertificateRecords(ctx, st)
	if err != nil {
		return nil, err
	}
	kept, err := us.deleteStack(ctx, st, owner, o)
	if err != nil {
		return nil, err
	}
	d := &deletion{DeleteOptions: o}
	d.keep(kept)
	left, err := us.edge().RemoveValidationRecords(ctx, st.Params[synth.ParamHostedZone], certARN, records, o.Progress.Message)
	return append(d.left, left...), err
}

// keep records the resources a stack delete left in the account on purpose.
func (d *deletion) keep(kept []stacks.Kept) {
	for _, k := range kept {
		d.left = append(d.left, fmt.Sprintf("%s %s (%s): %s", k.Type, k.ID, k.Resource, k.Why))
	}
}

// deleteEnvironment removes the cluster, then the network (none in an existing VPC), then whatever the
// environment left in the artifact bucket (and the bucket once empty); then it checks
// that nothing berth made for the environment remains, or says what does.
func (c *Clients) deleteEnvironment(ctx context.Context, d *deletion, e *environment.Environment, services []string) (int, error) {
	removed := 0
	var stackErr error
	for _, st := range []*stacks.Stack{e.Cluster, e.Network} {
		if st == nil {
			continue
		}
		if st == e.Cluster {
			stacks.WorkOn(ctx, st.Name)
			if err := c.environment().ReleaseInstances(ctx, st.Outputs[synth.OutAutoScalingGroup], d.Progress.Message); err != nil {
				return removed, err
			}
		}
		kept, err := c.deleteStack(ctx, st, d.owner, d.DeleteOptions)
		if stackErr = err; err != nil {
			break // the network cannot go before the cluster
		}
		d.keep(kept)
		removed++
	}
	// once its services are gone, the environment's templates serve nothing, even if a
	// shared stack failed to delete: clean them up and report the failure after
	n, gone, err := d.bucket.EmptyPrefix(ctx, d.Env+"/")
	if err != nil {
		return removed, errors.Join(stackErr, err)
	}
	if n > 0 {
		d.Progress.Message(fmt.Sprintf("removed %d artifact object(s) of %s", n, d.Env))
		removed++
	}
	if gone {
		d.Progress.Message("removed the artifact bucket, which nothing else used")
	}
	if stackErr != nil || removed == 0 && len(d.left) == 0 {
		return removed, stackErr
	}
	left, err := c.remains(ctx, d, services)
	if err != nil {
		return removed, err
	}
	if len(left) == 0 {
		if stays := ciStaying(e); len(stays) > 0 {
			d.Progress.Message("stays: " + strings.Join(stays, "; "))
		} else {
			d.Progress.Message("nothing berth made for " + d.Env + " remains")
		}
		return removed, nil
	}
	for _, l := range left {
		d.Progress.Message("left in the account: " + l)
	}
	return removed, nil
}

// remains looks again, before berth says that nothing of the environment remains, at
// everything it made: the stacks (network, cluster, the services deleted), the image
// repositories, the environment's artifacts; and adds what the delete left on purpose.
// Each with how to remove it.
func (c *Clients) remains(ctx context.Context, d *deletion, services []string) ([]string, error) {
	var left []string
	all := []string{names.Stack(d.Env, "", synth.Network), names.Stack(d.Env, "", synth.Cluster), names.Stack(d.Env, "", synth.Ingress)}
	for _, svc := range services {
		all = append(all, names.Stack(d.Env, svc, synth.Service))
	}
	for _, n := range all {
		st, err := stacks.Describe(ctx, c.CF, n)
		if err != nil {
			return nil, err
		}
		if st != nil {
			left = append(left, fmt.Sprintf("stack %s (%s): run berth delete --env %s --environment again, or: aws cloudformation delete-stack --stack-name %s", n, st.Status, d.Env, n))
		}
	}
	for _, svc := range services {
		st, err := c.edgeStack(ctx, d.Env, svc)
		if err != nil {
			return nil, err
		}
		if st != nil {
			left = append(left, fmt.Sprintf("stack %s in %s (%s): run berth delete --env %s --environment again, or: aws cloudformation delete-stack --region %s --stack-name %s",
				st.Name, synth.EdgeRegion, st.Status, d.Env, synth.EdgeRegion, st.Name))
		}
	}
	for _, svc := range services {
		repo := names.Repository(d.Env, svc)
		if _, ok, err := registry.Images(ctx, c.ECR, repo); err != nil {
			return nil, err
		} else if ok {
			left = append(left, fmt.Sprintf("image repository %s: aws ecr delete-repository --repository-name %s --force", repo, repo))
		}
	}
	if n, err := d.bucket.Count(ctx, d.Env+"/"); err != nil {
		return nil, err
	} else if n > 0 {
		left = append(left, fmt.Sprintf("%d artifact object version(s) under s3://%s/%s/: run berth delete --env %s --environment again", n, d.bucket.Bucket, d.Env, d.Env))
	}
	return append(left, d.left...), nil
}

// ProductionLike: prod, production, prd or live as a part of the name (prod-eu, live).
func ProductionLike(env string) bool {
	for _, part := range strings.Split(env, "-") {
		switch part {
		case "prod", "production", "prd", "live":
			return true
		}
	}
	return false
}
