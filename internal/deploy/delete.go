package deploy

import (
	"context"
	"errors"
	"fmt"
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
	Progress Progress
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
	Providers    []string      `json:"oidc_providers"` // berth made them, and no other role trusts them
	Kept         []string      `json:"kept"`           // what stays, and why
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
		name, st, err := c.environment().ServiceStack(ctx, o.Env, svc)
		if err != nil {
			return nil, err
		}
		gone[svc] = true
		if st != nil {
			r.Services = append(r.Services, svc)
			r.Stacks = append(r.Stacks, name)
			if g := st.Outputs[synth.OutLogGroupName]; g != "" {
				r.LogGroups = append(r.LogGroups, g)
			}
		}
		if n, ok, err := registry.Images(ctx, c.ECR, names.Repository(o.Env, svc)); err != nil {
			return nil, err
		} else if ok {
			r.Repositories = append(r.Repositories, RepoRemoval{Name: names.Repository(o.Env, svc), Images: n})
		}
		n, err := bucket.Count(ctx, names.ArtifactPrefix(o.Env, name))
		if err != nil {
			return nil, err
		}
		r.Artifacts += n
	}
	for _, svc := range e.ServiceNames() {
		if !gone[svc] {
			r.Remaining = append(r.Remaining, svc)
		}
	}
	if len(r.Remaining) > 0 {
		return r, nil
	}
	r.Kept = append(r.Kept, ciStaying(e)...)
	for _, st := range []*stacks.Stack{e.Cluster, e.Network} {
		if st != nil {
			r.Stacks = append(r.Stacks, st.Name)
		}
	}
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

// Delete removes one service: its stack, its templates in the artifact bucket and the
// image repository berth made for it. The environment's network and cluster go with
// its last service, or with Environment. Deleting what is already gone succeeds.
func (c *Clients) Delete(ctx context.Context, id session.Identity, o DeleteOptions) error {
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
	bucket := c.artifacts(id)
	removed := 0
	for _, svc := range services {
		n, err := c.deleteService(ctx, bucket, e, svc, o)
		if err != nil {
			return err
		}
		removed += n
		delete(e.Services, svc)
	}
	if len(e.Services) > 0 {
		if !o.Environment {
			o.Progress.Message(fmt.Sprintf("environment %s stays: service(s) %s still run in it", o.Env, strings.Join(e.ServiceNames(), ", ")))
		}
		if removed == 0 {
			o.Progress.Message("nothing to delete: " + names.Stack(o.Env, o.Service, synth.Service) + " is not deployed")
		}
		return nil
	}
	n, err := c.deleteEnvironment(ctx, bucket, e, o)
	if removed+n == 0 && err == nil {
		o.Progress.Message("nothing to delete: nothing berth made for " + o.Env + " is deployed")
	}
	return err
}

// deleteService removes a service's stack, then its templates and image repository;
// it reports how many things it removed.
func (c *Clients) deleteService(ctx context.Context, bucket *buckets.Artifacts, e *environment.Environment, service string, o DeleteOptions) (int, error) {
	name, st, err := c.environment().ServiceStack(ctx, o.Env, service)
	if err != nil {
		return 0, err
	}
	removed := 0
	if st != nil {
		if err := c.edge().ReleaseAccessLogs(ctx, st, bucket.Owner, o.Progress.Message); err != nil {
			return 0, err
		}
		certARN, records, err := c.edge().CertificateRecords(ctx, st)
		if err != nil {
			return 0, err
		}
		if err := stacks.Delete(ctx, c.CF, o.Progress, name, o.Poll); err != nil {
			return 0, err // the service may still run the image and templates: keep them
		}
		removed++
		if err := c.edge().RemoveValidationRecords(ctx, st.Params[synth.ParamHostedZone], certARN, records, o.Progress.Message); err != nil {
			return removed, err
		}
	}
	n, _, err := bucket.EmptyPrefix(ctx, names.ArtifactPrefix(o.Env, name))
	if err != nil {
		return removed, err
	}
	if n > 0 {
		o.Progress.Message(fmt.Sprintf("removed %d template object(s) of %s from the artifact bucket", n, name))
		removed++
	}
	if deleted, err := registry.Delete(ctx, c.ECR, names.Repository(o.Env, service)); err != nil {
		return removed, err
	} else if deleted {
		o.Progress.Message("removed the image repository " + names.Repository(o.Env, service) + " and its images")
		removed++
	}
	return removed, nil
}

// deleteEnvironment removes the cluster, then the network, then whatever the
// environment left in the artifact bucket (and the bucket once empty).
func (c *Clients) deleteEnvironment(ctx context.Context, bucket *buckets.Artifacts, e *environment.Environment, o DeleteOptions) (int, error) {
	removed := 0
	var stackErr error
	for _, st := range []*stacks.Stack{e.Cluster, e.Network} {
		if st == nil {
			continue
		}
		if st == e.Cluster {
			if err := c.environment().ReleaseInstances(ctx, st.Outputs[synth.OutAutoScalingGroup], o.Progress.Message); err != nil {
				return removed, err
			}
		}
		if stackErr = stacks.Delete(ctx, c.CF, o.Progress, st.Name, o.Poll); stackErr != nil {
			break // the network cannot go before the cluster
		}
		removed++
	}
	// once its services are gone, the environment's templates serve nothing, even if a
	// shared stack failed to delete: clean them up and report the failure after
	n, gone, err := bucket.EmptyPrefix(ctx, o.Env+"/")
	if err != nil {
		return removed, errors.Join(stackErr, err)
	}
	if n > 0 {
		o.Progress.Message(fmt.Sprintf("removed %d artifact object(s) of %s", n, o.Env))
		removed++
	}
	if gone {
		o.Progress.Message("removed the artifact bucket, which nothing else used")
	}
	if stays := ciStaying(e); stackErr == nil && removed > 0 && len(stays) > 0 {
		o.Progress.Message("stays: " + strings.Join(stays, "; "))
	} else if stackErr == nil && removed > 0 {
		o.Progress.Message("nothing berth made for " + o.Env + " remains")
	}
	return removed, stackErr
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
