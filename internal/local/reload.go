package local

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/docker"
	"github.com/berthdev/berth/internal/manifest"
)

// Reload is a request to apply the manifest as it is now.
type Reload struct {
	Why string // for messages: "reload requested", "sources changed"
	// Force rolls out new replicas even when nothing changed, like ECS's
	// --force-new-deployment ("berth reload" restarts the app; --watch does not).
	Force bool
}

// changes sorts what differs between the running manifest and the one read now by how
// it can be applied.
type changes struct {
	service []string // applied at once: count, health check, deployment, drain
	task    []string // need new replicas: a rollout
	restart []string // need a new berth up: not applied
	aws     []string // not used by berth up
	// applied is the new manifest with what needs a restart kept as it runs.
	applied *manifest.Manifest
}

func diff(cur, next *manifest.Manifest) changes {
	c := changes{}
	note := func(list *[]string, key string, a, b any) {
		if a != b {
			*list = append(*list, fmt.Sprintf("%s %v -> %v", key, a, b))
		}
	}
	note(&c.restart, "name", cur.Name, next.Name)
	note(&c.restart, "port", cur.Port, next.Port)
	note(&c.restart, "load_balancer.idle_timeout", cur.LoadBalancer.IdleTimeout, next.LoadBalancer.IdleTimeout)
	note(&c.restart, "load_balancer (route)", cur.Route(), next.Route())
	note(&c.restart, "load_balancer.dedicated", cur.LoadBalancer.Dedicated, next.LoadBalancer.Dedicated)

	note(&c.service, "count", cur.Count.Min, next.Count.Min)
	h, nh := cur.Health, next.Health
	note(&c.service, "health.path", h.Path, nh.Path)
	note(&c.service, "health.interval", h.Interval, nh.Interval)
	note(&c.service, "health.timeout", h.Timeout, nh.Timeout)
	note(&c.service, "health.healthy_threshold", h.HealthyThreshold, nh.HealthyThreshold)
	note(&c.service, "health.unhealthy_threshold", h.UnhealthyThreshold, nh.UnhealthyThreshold)
	note(&c.service, "health.grace_period", h.GracePeriod, nh.GracePeriod)
	note(&c.service, "deployment.max_percent", cur.Deployment.MaxPercent, next.Deployment.MaxPercent)
	note(&c.service, "deployment.min_healthy_percent", cur.Deployment.MinHealthyPercent, next.Deployment.MinHealthyPercent)
	// the strategy and the rule: for the next rollout
	note(&c.service, "deployment.strategy", cur.Deployment.Rollout.String(), next.Deployment.Rollout.String())
	note(&c.service, "deployment.rollback_on", cur.Deployment.Rollout.Rule.String(), next.Deployment.Rollout.Rule.String())
	note(&c.service, "load_balancer.deregistration_delay", cur.LoadBalancer.DeregistrationDelay, next.LoadBalancer.DeregistrationDelay)

	note(&c.task, "image.build", cur.Image.Build, next.Image.Build)
	note(&c.task, "image.location", cur.Image.Location, next.Image.Location)
	note(&c.task, "cpu", cur.CPU, next.CPU)
	note(&c.task, "memory", cur.Memory, next.Memory)
	for _, k := range keys(cur, next, false) {
		if a, b := cur.Env[k], next.Env[k]; a != b {
			c.task = append(c.task, "env."+k)
		}
	}

	for _, k := range keys(cur, next, true) {
		if a, b := cur.Secrets[k], next.Secrets[k]; a != b {
			c.task = append(c.task, "secrets."+k)
		}
	}
	if !reflect.DeepEqual(cur.Permissions, next.Permissions) || !slices.Equal(cur.SecretsKMSKeys, next.SecretsKMSKeys) {
		c.aws = append(c.aws, "permissions or secrets_kms_key")
	}

	if cur.Count.Scales() || next.Count.Scales() {
		// a range runs its minimum here; auto scaling is AWS's
		note(&c.aws, "count.max", cur.Count.Max, next.Count.Max)
		note(&c.aws, "count.cpu", cur.Count.CPU, next.Count.CPU)
		note(&c.aws, "count.requests", cur.Count.Requests, next.Count.Requests)
	}
	if cur.Capacity != next.Capacity {
		c.aws = append(c.aws, "capacity")
	}
	if !reflect.DeepEqual(cur.Network, next.Network) {
		c.aws = append(c.aws, "network")
	}
	if cur.Logs != next.Logs {
		c.aws = append(c.aws, "logs")
	}

	applied := *next
	applied.Name, applied.Port = cur.Name, cur.Port
	applied.LoadBalancer.IdleTimeout = cur.LoadBalancer.IdleTimeout
	applied.LoadBalancer.Dedicated, applied.LoadBalancer.Path, applied.LoadBalancer.Host = cur.LoadBalancer.Dedicated, cur.LoadBalancer.Path, cur.LoadBalancer.Host
	applied.Domain.Name = cur.Domain.Name // the route's host
	c.applied = &applied
	return c
}

// reload reads the manifest again, rebuilds the image, applies at once what the
// service can change in place, and rolls out new replicas when what they run changed.
// A manifest that does not load, or an image that does not build, changes nothing.
func (r *Runner) reload(ctx context.Context, req Reload) {
	next := r.m
	if r.o.Load != nil {
		m, err := r.o.Load()
		if err != nil {
			r.out.Printf("reload (%s): %v; nothing changed, the running configuration stays", req.Why, err)
			return
		}
		next = m
	}
	if _, err := r.replicaEnv(ctx, next); err != nil {
		r.out.Printf("reload (%s): %v; nothing changed, the running configuration stays", req.Why, err)
		return
	}
	c := diff(r.m, next)
	for _, s := range c.restart {
		r.out.Printf("reload: %s needs a restart of berth up (Ctrl-C, then berth up): not applied", s)
	}
	if len(c.aws) > 0 {
		r.out.Printf("reload: %s: used on AWS only (berth deploy), nothing to apply locally", strings.Join(c.aws, ", "))
	}
	begun := time.Now()
	img, err := docker.Resolve(ctx, r.cli, c.applied, r.out)
	if err != nil {
		r.out.Printf("reload (%s): %v; nothing changed, the running replicas stay", req.Why, err)
		return
	}
	if len(c.service) > 0 {
		r.m = c.applied
		r.lb.SetHealthCheck(healthCheck(c.applied))
		r.lb.SetDeregistrationDelay(time.Duration(c.applied.LoadBalancer.DeregistrationDelay) * time.Second)
		r.out.Printf("reload: applied %s", strings.Join(c.service, ", "))
	}
	task := c.task
	if img.Revision != r.primary.img.Revision {
		task = append(task, "image revision "+r.primary.img.Revision+" -> "+img.Revision)
	}
	if len(task) == 0 && (!req.Force || len(c.service) > 0) {
		if len(c.service) == 0 {
			r.out.Printf("reload (%s): nothing changed", req.Why)
		}
		return
	}
	r.m = c.applied
	what := strings.Join(task, ", ")
	if what == "" {
		what = "nothing changed: new replicas of the same revision"
	}
	r.deployments++
	dep := &deployment{id: r.deployments, img: img, m: c.applied, changes: what}
	r.rollOut(dep)
	r.out.Printf("rollout to %s (%s, image ready in %s): %s", dep, req.Why, time.Since(begun).Round(time.Millisecond), what)
	r.out.Printf("%s", r.rel.describe())
}

// keys are the names of both manifests' env (or secrets, with secrets), sorted.
func keys(a, b *manifest.Manifest, secrets bool) []string {
	seen := map[string]bool{}
	for _, m := range []*manifest.Manifest{a, b} {
		names := m.EnvNames()
		if secrets {
			names = m.SecretNames()
		}
		for _, k := range names {
			seen[k] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}
