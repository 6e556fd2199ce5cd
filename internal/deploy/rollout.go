package deploy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/berthdev/berth/internal/hint"
	"github.com/berthdev/berth/internal/manifest"
	"github.com/berthdev/berth/internal/rollout"
	"github.com/berthdev/berth/internal/stacks"
	"github.com/berthdev/berth/internal/synth"
)

// strategyNote says what a change of strategy does to a deployed service: the ECS
// service is updated in place (its deployment configuration and load balancer entry),
// the routing rule and both target groups stay, and a rolling update replaces the
// tasks of the group that serves. "" when the strategy stays.
func strategyNote(m *manifest.Manifest, svc *stacks.Stack, serving string) string {
	if svc == nil {
		return ""
	}
	was, now := svc.Outputs[synth.OutStrategy], string(m.Deployment.Rollout.Strategy)
	switch {
	case was == "" && now == string(rollout.Rolling):
		return "rollouts: the service gets a second target group, a production listener rule in front of both and deployment alarms; the service is updated in place"
	case was == "":
		was = string(rollout.Rolling)
	case was == now:
		return ""
	}
	note := fmt.Sprintf("strategy %s → %s: the ECS service is updated in place (deployment configuration, load balancer entry); the service, the listener rule and both target groups stay", was, now)
	if serving == synth.ServingAlternate {
		note += "; the alternate target group serves now (the last deployment moved the traffic there), and stays the one that serves"
	}
	return note
}

// rollbackImage plans the image the service ran before the current one.
func rollbackImage(pl *Plan, svc *stacks.Stack) error {
	if svc == nil {
		return hint.Wrap(fmt.Errorf("%s is not deployed to %s: there is nothing to roll back", pl.Service, pl.Env), "deploy it first: berth deploy")
	}
	prev := svc.Params[synth.ParamPreviousImage]
	if prev == "" {
		return hint.Wrap(fmt.Errorf("%s in %s remembers no image before %s", pl.Service, pl.Env, svc.Params[synth.ParamImage]),
			"berth remembers the image a deploy replaces from this version on; deploy the one you want with image.location")
	}
	pl.Image = ImagePlan{Deployed: svc.Params[synth.ParamImage], New: prev, Changed: prev != svc.Params[synth.ParamImage], Why: "rollback to the previous image"}
	return nil
}

// watchRollout shows the service's deployment while its stack changes, until stop:
// CloudFormation waits for an ECS service update until the deployment is done, traffic
// shifts and bake included (the AWS::ECS::Service CanaryConfiguration and
// LinearConfiguration reference counts them against CloudFormation's 36-hour limit).
// A look that fails is skipped: the stack's events still tell what happens.
func (c *Clients) watchRollout(ctx context.Context, o Options, cluster string, every time.Duration) (stop func()) {
	m := o.Manifest
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if v, err := c.traffic().Look(ctx, cluster, m.Name, m.Deployment.Rollout, synth.AlarmNames(o.Env, m), time.Now()); err == nil && v != nil {
				o.Progress.Rollout(v)
			}
		}
	}()
	return func() { cancel(); <-done }
}

// rolledBack turns a failed service stack into what the user needs to know when ECS
// rolled the release back: which alarm fired, with its numbers. err otherwise.
func (c *Clients) rolledBack(ctx context.Context, o Options, cluster string, err error) error {
	if cluster == "" {
		return err
	}
	why, werr := c.traffic().Why(ctx, cluster, o.Manifest.Name)
	if werr != nil || why == nil {
		return err
	}
	return errors.Join(why, err)
}
