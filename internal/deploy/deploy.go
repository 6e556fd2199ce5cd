package deploy

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/berthdev/berth/internal/buckets"
	"github.com/berthdev/berth/internal/identity"
	"github.com/berthdev/berth/internal/names"
	"github.com/berthdev/berth/internal/registry"
	"github.com/berthdev/berth/internal/session"
	"github.com/berthdev/berth/internal/stacks"
	"github.com/berthdev/berth/internal/teardown"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/berthdev/berth/internal/cfn"
	"github.com/berthdev/berth/internal/manifest"
	"github.com/berthdev/berth/internal/synth"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Options configure one deploy or diff.
type Options struct {
	Manifest *manifest.Manifest
	Env      string
	Version  string // berth's, recorded as a stack tag
	Progress Progress
	// Confirm is asked once, with the whole plan, before anything changes; nil goes
	// ahead without asking (--yes).
	Confirm func(context.Context, *Plan) (bool, error)
	// Image builds the image when the manifest says image.build, for a CPU
	// architecture (amd64, arm64): the instances'.
	Image func(ctx context.Context, arch string) (v1.Image, error)
	Poll  time.Duration
	// RefreshAMI reads capacity.ami's SSM parameter again and rolls the instances to
	// the image it names now; otherwise a deployed cluster keeps its image.
	RefreshAMI bool
	// UpdateEnv lets a manifest change environment keys (network, capacity) that other
	// services share.
	UpdateEnv bool
	// Rollback deploys the image the service ran before the current one, through the
	// same strategy (berth rollback), instead of the manifest's.
	Rollback bool
	// diff is set by Diff: a template too large to go inline goes under the plan's
	// prefix (names.PlanArtifactPrefix), never where a deploy's are.
	diff bool
}

// Result is what a deploy leaves.
type Result struct {
	Stacks   map[synth.Stack]*stacks.Stack `json:"-"`
	Skipped  []string                      `json:"skipped"`
	URL      string                        `json:"url"`
	Image    string                        `json:"image"`
	Created  bool                          `json:"created"` // the service is new: its first tasks wait for instances
	Desired  int                           `json:"desired"`
	Changed  bool                          `json:"changed"` // false when the plan had nothing to do
	Service  string                        `json:"service"`
	Env      string                        `json:"env"`
	Duration float64                       `json:"seconds"`
}

// ErrDeclined is returned when the user says no to the plan.
var ErrDeclined = errors.New("deploy stopped: nothing was changed")

// Deploy shows the plan, asks once, then brings network, cluster and service to the
// manifest in that order, each through a change set; the outputs of one are the
// parameters of the next.
func (c *Clients) Deploy(ctx context.Context, id session.Identity, o Options) (_ *Result, err error) {
	ctx, op := stacks.Track(ctx)
	defer func() { err = op.Explain(err, "berth deploy") }()
	pl, err := c.plan(ctx, id, o)
	if err != nil {
		return nil, err
	}
	o.Progress.Plan(pl)
	res := &Result{Stacks: map[synth.Stack]*stacks.Stack{}, Skipped: []string{}, Image: pl.Image.New, Service: pl.Service, Env: o.Env, Desired: pl.prep.m.Count.Min}
	if !pl.Changes() {
		res.URL = urlOf(pl)
		return res, nil
	}
	if o.Confirm != nil {
		ok, err := o.Confirm(ctx, pl)
		if err != nil || !ok {
			// the question was not answered yes: leave nothing behind, even after Ctrl-C
			cleanup, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			pl.discard(cleanup, c)
			if err != nil {
				return nil, fmt.Errorf("%w (%w)", ErrDeclined, err)
			}
			return nil, ErrDeclined
		}
		o.Progress.Restart() // the clock counts the deploy, not the time at the question
	}
	start := time.Now()
	res.Changed = true
	err = c.apply(ctx, id, o, pl, res)
	res.Duration = math.Round(time.Since(start).Seconds()*10) / 10
	if err != nil {
		cleanup, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		pl.discard(cleanup, c)
	}
	return res, err
}

// urlOf is the service's URL as deployed.
func urlOf(pl *Plan) string {
	if svc := stacks.Usable(pl.prep.targets[len(pl.prep.targets)-1].live); svc != nil {
		return svc.Outputs[synth.OutURL]
	}
	return ""
}

// apply carries the plan out.
func (c *Clients) apply(ctx context.Context, id session.Identity, o Options, pl *Plan, res *Result) error {
	if pl.built != nil {
		ref, err := c.pushImage(ctx, o, pl.built)
		if err != nil {
			return err
		}
		if ref != pl.Image.New {
			return fmt.Errorf("pushed %s, but the plan was made for %s", ref, pl.Image.New)
		}
	}
	if pl.prep.env.Cluster == nil {
		if err := identity.EnsureECSServiceRole(ctx, c.IAM, o.Progress.Message); err != nil {
			return err
		}
	}
	bucket := c.artifacts(id)
	created, err := bucket.Ensure(ctx)
	if err != nil {
		return err
	}
	if created {
		o.Progress.Message("created artifact bucket " + bucket.Bucket + " (versioned, encrypted, public access blocked)")
	}
	for i := range pl.Stacks {
		sp := &pl.Stacks[i]
		t := sp.target
		if sp.Action == "delete" && t.kind == synth.Edge { // an edge stack the manifest no longer needs
			left, err := c.teardown().DeleteEdgeStack(ctx, t.live, id.Account, teardown.DeleteOptions{Env: o.Env, Progress: o.Progress, Poll: o.Poll})
			for _, l := range left {
				o.Progress.Message("left in the account: " + l)
			}
			if err != nil {
				return err
			}
			continue
		}
		if sp.Action == "delete" {
			left, err := c.teardown().DeleteIngress(ctx, t.live, id.Account, teardown.DeleteOptions{Env: o.Env, Progress: o.Progress, Poll: o.Poll})
			if err != nil {
				return err
			}
			for _, l := range left {
				o.Progress.Message("left in the account: " + l)
			}
			continue
		}
		if t.final {
			if err := c.secondStep(ctx, o, pl, sp, res); err != nil {
				return err
			}
		}
		params := pl.prep.params(t, res.Stacks, pl.Image.New)
		if sp.Action == "none" && !(t.kind == synth.Service && pl.Image.Changed) {
			res.Stacks[t.kind] = stacks.Usable(t.live)
			res.Skipped = append(res.Skipped, t.name)
			continue
		}
		if sp.changeSet != "" && !sameParams(sp.params, params) {
			// an upstream stack's update changed its outputs: the prepared change set is stale
			c.at(t).CF.DeleteChangeSet(ctx, &cloudformation.DeleteChangeSetInput{ChangeSetName: aws.String(sp.changeSet), StackName: aws.String(t.name)})
			sp.changeSet = ""
		}
		live := stacks.Usable(t.live)
		if t.final {
			live = res.Stacks[t.kind] // as the move's first step left it
		}
		if live != nil && live.Outputs[synth.OutAccessLogBucket] != "" && !hasResource(t.body, "AccessLogBucket") {
			// the update deletes the access log bucket, which must be empty by then
			if err := c.edge().ReleaseAccessLogs(ctx, live, bucket.Owner, o.Progress.Message); err != nil {
				return err
			}
		}
		st, err := c.at(t).applyStack(ctx, o, bucket, sp, params)
		if err != nil {
			return err
		}
		res.Stacks[t.kind] = st
		if t.kind == synth.Service && stacks.Usable(t.live) == nil {
			res.Created = true
		}
		if t.kind == synth.Cluster && stacks.Usable(t.live) != nil { // an update: instances may run the old template
			if err := c.environment().RollInstances(ctx, st.Outputs[synth.OutAutoScalingGroup], o.Progress.Message); err != nil {
				return err
			}
		}
	}
	if svc := res.Stacks[synth.Service]; svc != nil {
		res.URL = svc.Outputs[synth.OutURL]
	}
	return nil
}

// secondStep readies the second step of a move with a domain: it waits until resolvers
// may have forgotten the old load balancer (the first step pointed the name at the new
// one), then reads which target group serves now, which the first step's deployment
// may have moved.
func (c *Clients) secondStep(ctx context.Context, o Options, pl *Plan, sp *StackPlan, res *Result) error {
	if sp.wait > 0 {
		o.Progress.Message(fmt.Sprintf("%s: the name points at the new load balancer; the old one stays %s, while resolvers may still answer it", sp.Stack, sp.wait))
		select {
		case <-ctx.Done():
			return stacks.Interrupted(ctx.Err(), sp.Stack)
		case <-time.After(sp.wait):
		}
	}
	svc := res.Stacks[synth.Service]
	if svc == nil {
		return fmt.Errorf("%s: the first step of the move left no stack", sp.Stack)
	}
	serving, err := c.traffic().Serving(ctx, svc.Outputs)
	if err != nil {
		return err
	}
	pl.prep.serving = serving
	return nil
}

// hasResource reports whether a template declares a resource of that logical id.
func hasResource(body []byte, name string) bool {
	doc, err := cfn.Parse(body)
	if err != nil {
		return false
	}
	_, ok := doc.Resources[name]
	return ok
}

func sameParams(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// pushImage puts the built image in the service's repository, tagged by its content.
func (c *Clients) pushImage(ctx context.Context, o Options, img v1.Image) (string, error) {
	tag, err := registry.ContentTag(img)
	if err != nil {
		return "", err
	}
	repo := names.Repository(o.Env, o.Manifest.Name)
	uri, _, err := registry.Ensure(ctx, c.ECR, repo, o.Env)
	if err != nil {
		return "", err
	}
	ref, err := registry.Push(ctx, c.ECR, img, uri, tag)
	if err != nil {
		return "", registry.Hint(err, c.Emulated)
	}
	o.Progress.Message("pushed image " + ref)
	return ref, nil
}

// applyStack brings one stack to its plan: waits for an operation in progress, clears
// what a failed first create left, then executes the prepared change set or makes one.
func (c *Clients) applyStack(ctx context.Context, o Options, bucket *buckets.Artifacts, sp *StackPlan, params map[string]string) (*stacks.Stack, error) {
	t := sp.target
	name := t.name
	stacks.WorkOn(ctx, name)
	st, err := stacks.Describe(ctx, c.CF, name)
	if err != nil {
		return nil, err
	}
	if st != nil && stacks.InProgress(st.Status) {
		o.Progress.Message(fmt.Sprintf("%s: waiting for the operation in progress (%s)", name, st.Status))
		if st, err = stacks.Wait(ctx, c.CF, name, stacks.NewEvents(ctx, c.CF, name, o.Progress.Event), o.Poll); err != nil {
			return nil, stacks.Interrupted(err, name)
		}
		sp.changeSet = "" // planned before that operation ended
	}
	if st, err = c.recover(ctx, o, sp, st); err != nil {
		return nil, err
	}
	// kept, versioned, whichever way the change set reads it; the edge stack's, in
	// us-east-1, goes inline (the artifact bucket is the region's, and the template small)
	url, body := "", t.body
	if t.kind != synth.Edge {
		if url, err = bucket.Upload(ctx, names.ArtifactPrefix(o.Env, name), t.body); err != nil {
			return nil, err
		}
		body = nil
	}
	id := sp.changeSet
	if id == "" {
		if st != nil && c.unchanged(ctx, name, t.body, params, st) {
			o.Progress.Stack(name, "no changes", 0)
			return st, nil
		}
		kind := types.ChangeSetTypeUpdate
		if st == nil {
			kind = types.ChangeSetTypeCreate
		}
		if id, _, err = stacks.CreateChangeSet(ctx, c.CF, changeSetInput(t, o.Version, url, body, kind, params), o.Poll); err != nil {
			return nil, stacks.WithHint(err)
		}
		if id == "" {
			o.Progress.Stack(name, "no changes", 0)
			return st, nil
		}
	}
	sp.changeSet = ""
	events := stacks.NewEvents(ctx, c.CF, name, o.Progress.Event)
	o.Progress.Stack(name, "started", len(sp.Changes))
	if err := stacks.Execute(ctx, c.CF, name, id); err != nil {
		return nil, stacks.WithHint(err)
	}
	cluster, stop := "", func() {} // of a service that runs already: its deployment is watched
	if t.kind == synth.Service && st != nil {
		cluster = params[synth.OutClusterName]
		stop = c.watchRollout(ctx, o, cluster, 5*o.Poll)
	}
	st, err = stacks.Wait(ctx, c.CF, name, events, o.Poll)
	stop()
	if err != nil {
		o.Progress.Done()
		return nil, stacks.Interrupted(err, name)
	}
	if st == nil || !stacks.Succeeded(st.Status) {
		o.Progress.Done()
		if f := stacks.RootCause(events.All()); f != nil {
			return nil, c.rolledBack(ctx, o, cluster, f)
		}
		status, reason := "DELETED", ""
		if st != nil {
			status, reason = st.Status, st.Reason
		}
		return nil, c.rolledBack(ctx, o, cluster, stacks.WithHint(fmt.Errorf("stack %s ended %s: %s", name, status, reason)))
	}
	o.Progress.Stack(name, st.Status, len(sp.Changes))
	return st, nil
}

// changeSetInput asks for a change set of t's template at url (uploaded), or, with an
// empty url, of body passed inline.
func changeSetInput(t *target, version, url string, body []byte, kind types.ChangeSetType, params map[string]string) *cloudformation.CreateChangeSetInput {
	in := &cloudformation.CreateChangeSetInput{
		StackName:     aws.String(t.name),
		ChangeSetName: aws.String(fmt.Sprintf("berth-%d", time.Now().UnixNano())),
		ChangeSetType: kind,
		Capabilities:  []types.Capability{types.CapabilityCapabilityIam},
		Description:   aws.String("berth " + version),
	}
	for _, k := range slices.Sorted(maps.Keys(t.tags)) {
		in.Tags = append(in.Tags, types.Tag{Key: aws.String(k), Value: aws.String(t.tags[k])})
	}
	if url != "" {
		in.TemplateURL = aws.String(url)
	} else {
		in.TemplateBody = aws.String(string(body))
	}
	for _, k := range slices.Sorted(maps.Keys(params)) {
		in.Parameters = append(in.Parameters, types.Parameter{ParameterKey: aws.String(k), ParameterValue: aws.String(params[k])})
	}
	return in
}
