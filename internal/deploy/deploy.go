package deploy

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/berthdev/berth/internal/cfn"
	"github.com/berthdev/berth/internal/hint"
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
	// Confirm is asked before a change set runs; nil runs it without asking (--yes).
	Confirm func(stack string, changes []Change) (bool, error)
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
}

// Result is what a deploy leaves.
type Result struct {
	Stacks  map[synth.Stack]*Stack
	Skipped []string
	URL     string
	Image   string
}

// ErrDeclined is returned when the user says no to a change set.
var ErrDeclined = errors.New("deploy stopped: the change set was not executed")

// Plan says who deploys what where, before anything changes.
func Plan(id Identity, env, service string) string {
	var names []string
	for _, s := range synth.Stacks {
		if s == synth.Service && service == "" {
			names = append(names, "every service of "+env)
			continue
		}
		names = append(names, StackName(env, service, s))
	}
	return fmt.Sprintf("account %s, region %s, as %s\nstacks: %s", id.Account, id.Region, id.ARN, strings.Join(names, ", "))
}

// target is one stack of a deploy: which part of the environment it is, and the
// template berth brings it to.
type target struct {
	kind synth.Stack
	name string
	body []byte
	tags map[string]string
	live *Stack // as deployed; nil when it is not
}

// prepared is what a deploy or a diff knows before it changes anything.
type prepared struct {
	m       *manifest.Manifest // as it deploys to the environment: inherited keys filled in
	env     *Environment
	ami     AMI
	targets []*target // network, cluster, service: the deployment order
}

// prepare reads the environment, refuses a manifest that disagrees with it, fills in
// what the manifest leaves to the environment, decides the AMI and renders the
// templates.
func (c *Clients) prepare(ctx context.Context, o Options) (*prepared, error) {
	env, err := c.Environment(ctx, o.Env)
	if err != nil {
		return nil, err
	}
	m, err := forEnvironment(o.Manifest, env, o.UpdateEnv)
	if err != nil {
		return nil, err
	}
	p := &prepared{m: m, env: env}
	if p.ami, err = c.chooseAMI(ctx, m.Capacity.AMI, usable(env.Cluster), deployedAMISource(env.Cluster, env.Settings), o.RefreshAMI); err != nil {
		return nil, err
	}
	files, err := synth.Render(m)
	if err != nil {
		return nil, err
	}
	svcName, svc, err := c.serviceStack(ctx, o.Env, m.Name)
	if err != nil {
		return nil, err
	}
	if svcName != StackName(o.Env, m.Name, synth.Service) {
		o.Progress.Message(fmt.Sprintf("%s: a stack named the way berth named services before; it keeps its name", svcName))
	}
	for _, s := range synth.Stacks {
		t := &target{kind: s, name: StackName(o.Env, m.Name, s), body: files[s.File()],
			tags: map[string]string{TagVersion: o.Version, TagEnv: o.Env, TagStack: string(s)}}
		switch s {
		case synth.Network, synth.Cluster:
			// described by name: a listing of every stack is not as exact (moto renders
			// list parameters there as Python lists)
			if t.live, err = describeStack(ctx, c.CF, t.name); err != nil {
				return nil, err
			}
		case synth.Service:
			t.name, t.live, t.tags[TagService] = svcName, svc, m.Name
		}
		p.targets = append(p.targets, t)
	}
	return p, nil
}

// usable is a deployed stack that holds resources, or nil.
func usable(st *Stack) *Stack {
	if st == nil || st.Status == reviewInProgress || st.Status == string(types.StackStatusRollbackComplete) {
		return nil
	}
	return st
}

// params are the parameters of t: the outputs of the stacks before it (upstream, by
// kind), and what berth decides for it.
func (p *prepared) params(t *target, upstream map[synth.Stack]*Stack, image string) map[string]string {
	params := map[string]string{synth.ParamEnv: t.tags[TagEnv]}
	net, cluster := upstream[synth.Network], upstream[synth.Cluster]
	switch t.kind {
	case synth.Cluster:
		params[synth.OutVpcID] = net.Outputs[synth.OutVpcID]
		params[synth.OutPrivateSubnets] = net.Outputs[synth.OutPrivateSubnets]
		params[synth.ParamAmiID] = p.ami.ID
	case synth.Service:
		for _, k := range []string{synth.OutVpcID, synth.OutPublicSubnets, synth.OutPrivateSubnets} {
			params[k] = net.Outputs[k]
		}
		for _, k := range []string{synth.OutClusterName, synth.OutExecutionRoleArn, synth.OutCapacityProvider} {
			params[k] = cluster.Outputs[k] // an empty capacity provider uses the cluster's default
		}
		params[synth.ParamImage] = image
		params[synth.ParamDesiredCount] = strconv.Itoa(p.m.Count.Min)
		if p.m.Count.Scales() && usable(t.live) != nil {
			// auto scaling owns the count once the service exists: pass nothing, so that
			// CloudFormation keeps it (see synth.desiredCountParameter)
			params[synth.ParamDesiredCount] = ""
		}
	}
	return params
}

// Deploy creates or updates network, cluster and service, in that order, each through
// a change set; the outputs of one are the parameters of the next.
func (c *Clients) Deploy(ctx context.Context, id Identity, o Options) (*Result, error) {
	p, err := c.prepare(ctx, o)
	if err != nil {
		return nil, err
	}
	if note := p.ami.Note(); note != "" {
		o.Progress.Message(note)
	}
	if note, err := c.roomNote(ctx, p.m); err != nil {
		return nil, err
	} else if note != "" {
		o.Progress.Message("warning: " + note)
	}
	res := &Result{Stacks: map[synth.Stack]*Stack{}, Image: p.m.Image.Location}
	if p.m.Image.Build != "" {
		if res.Image, err = c.buildAndPush(ctx, o, p.m.Capacity.Arch()); err != nil {
			return nil, err
		}
	}
	if p.env.Cluster == nil {
		if err := c.ensureECSServiceRole(ctx, o.Progress); err != nil {
			return nil, err
		}
	}
	bucket := c.artifacts(id)
	created, err := bucket.ensure(ctx)
	if err != nil {
		return nil, err
	}
	if created {
		o.Progress.Message("created artifact bucket " + bucket.bucket + " (versioned, encrypted, public access blocked)")
	}
	for _, t := range p.targets {
		st, skipped, err := c.deployStack(ctx, o, bucket, t, p.params(t, res.Stacks, res.Image))
		if err != nil {
			return res, err
		}
		if skipped {
			res.Skipped = append(res.Skipped, t.name)
		}
		res.Stacks[t.kind] = st
		if t.kind == synth.Cluster && !skipped && usable(t.live) != nil { // an update: instances may run the old template
			if err := c.rollInstances(ctx, st.Outputs[synth.OutAutoScalingGroup], o.Progress); err != nil {
				return res, err
			}
		}
	}
	res.URL = res.Stacks[synth.Service].Outputs[synth.OutURL]
	return res, nil
}

func (c *Clients) buildAndPush(ctx context.Context, o Options, arch string) (string, error) {
	img, err := o.Image(ctx, arch)
	if err != nil {
		return "", err
	}
	if err := checkArch(img, arch, o.Manifest); err != nil {
		return "", err
	}
	tag, err := contentTag(img)
	if err != nil {
		return "", err
	}
	repo := RepositoryName(o.Env, o.Manifest.Name)
	uri, _, err := ensureRepository(ctx, c.ECR, repo, o.Env)
	if err != nil {
		return "", err
	}
	ref, err := push(ctx, c.ECR, img, uri, tag)
	if err != nil {
		return "", err
	}
	o.Progress.Message("pushed image " + ref)
	return ref, nil
}

// parameters wires the outputs of the stacks deployed so far into the next one.
func (c *Clients) parameters(s synth.Stack, env string, res *Result) map[string]string {
	p := map[string]string{synth.ParamEnv: env}
	net, cluster := res.Stacks[synth.Network], res.Stacks[synth.Cluster]
	switch s {
	case synth.Cluster:
		p[synth.OutVpcID] = net.Outputs[synth.OutVpcID]
		p[synth.OutPrivateSubnets] = net.Outputs[synth.OutPrivateSubnets]
	case synth.Service:
		for _, k := range []string{synth.OutVpcID, synth.OutPublicSubnets, synth.OutPrivateSubnets} {
			p[k] = net.Outputs[k]
		}
		for _, k := range []string{synth.OutClusterName, synth.OutExecutionRoleArn, synth.OutCapacityProvider} {
			p[k] = cluster.Outputs[k] // an empty capacity provider uses the cluster's default
		}
	}
	return p
}

// deployStack brings one stack to the template: skipped when template and parameters
// are what is deployed already, otherwise through a change set.
func (c *Clients) deployStack(ctx context.Context, o Options, bucket *artifacts, t *target, params map[string]string) (*Stack, bool, error) {
	name, body := t.name, t.body
	st, err := describeStack(ctx, c.CF, name)
	if err != nil {
		return nil, false, err
	}
	if st != nil && inProgress(st.Status) {
		o.Progress.Message(fmt.Sprintf("%s: waiting for the operation in progress (%s)", name, st.Status))
		if st, err = waitStable(ctx, c.CF, name, newEventStream(ctx, c.CF, name, o.Progress.Event), o.Poll); err != nil {
			return nil, false, interrupted(err, name)
		}
	}
	if st != nil && st.Status == string(types.StackStatusRollbackComplete) {
		o.Progress.Message(fmt.Sprintf("%s: deleting it first: a failed first create left it in ROLLBACK_COMPLETE, which CloudFormation cannot update", name))
		if err := c.deleteStack(ctx, o.Progress, name, o.Poll); err != nil {
			return nil, false, err
		}
		st = nil
	}
	if st != nil && st.Status == reviewInProgress {
		o.Progress.Message(fmt.Sprintf("%s: removing the empty stack an unexecuted first change set left (REVIEW_IN_PROGRESS)", name))
		if err := c.deleteStack(ctx, o.Progress, name, o.Poll); err != nil {
			return nil, false, err
		}
		st = nil
	}
	if st != nil && c.unchanged(ctx, name, body, params, st) {
		o.Progress.Message(name + ": no changes")
		return st, true, nil
	}

	url, err := bucket.upload(ctx, o.Env, t.name, body)
	if err != nil {
		return nil, false, err
	}
	kind := types.ChangeSetTypeUpdate
	if st == nil {
		kind = types.ChangeSetTypeCreate
	}
	id, changes, err := changeSet(ctx, c.CF, changeSetInput(t, o.Version, url, nil, kind, params), o.Poll)
	if err != nil {
		return nil, false, withHint(err)
	}
	if id == "" {
		o.Progress.Message(name + ": no changes")
		return st, true, nil
	}
	verb := "update"
	if kind == types.ChangeSetTypeCreate {
		verb = "create"
	} else if fromTemplates, err := c.templateChanges(ctx, t, st, params); err != nil {
		return nil, false, err
	} else {
		changes = mergeChanges(name, fromTemplates, changes)
	}
	o.Progress.Message(fmt.Sprintf("%s: %s, %d change(s):", name, verb, len(changes)))
	o.Progress.Changes(changes)
	if o.Confirm != nil {
		ok, err := o.Confirm(name, changes)
		if err != nil {
			return nil, false, err
		}
		if !ok {
			c.CF.DeleteChangeSet(ctx, &cloudformation.DeleteChangeSetInput{ChangeSetName: aws.String(id), StackName: aws.String(name)})
			if kind == types.ChangeSetTypeCreate {
				// the change set made an empty stack (REVIEW_IN_PROGRESS): leave nothing
				if err := c.deleteStack(ctx, o.Progress, name, o.Poll); err != nil {
					return nil, false, errors.Join(ErrDeclined, err)
				}
			}
			return nil, false, ErrDeclined
		}
	}
	events := newEventStream(ctx, c.CF, name, o.Progress.Event)
	if _, err := c.CF.ExecuteChangeSet(ctx, &cloudformation.ExecuteChangeSetInput{ChangeSetName: aws.String(id), StackName: aws.String(name)}); err != nil {
		return nil, false, withHint(fmt.Errorf("execute change set of %s: %w", name, err))
	}
	st, err = waitStable(ctx, c.CF, name, events, o.Poll)
	o.Progress.Done()
	if err != nil {
		return nil, false, interrupted(err, name)
	}
	if st == nil || !succeeded(st.Status) {
		if f := RootCause(events.all); f != nil {
			return nil, false, f
		}
		status, reason := "DELETED", ""
		if st != nil {
			status, reason = st.Status, st.Reason
		}
		return nil, false, withHint(fmt.Errorf("stack %s ended %s: %s", name, status, reason))
	}
	o.Progress.Message(fmt.Sprintf("%s: %s", name, st.Status))
	return st, false, nil
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
	for _, k := range sortedKeys(t.tags) {
		in.Tags = append(in.Tags, types.Tag{Key: aws.String(k), Value: aws.String(t.tags[k])})
	}
	if url != "" {
		in.TemplateURL = aws.String(url)
	} else {
		in.TemplateBody = aws.String(string(body))
	}
	for _, k := range sortedKeys(params) {
		in.Parameters = append(in.Parameters, types.Parameter{ParameterKey: aws.String(k), ParameterValue: aws.String(params[k])})
	}
	return in
}

// unchanged reports whether the stack runs this very template with these parameters:
// then there is nothing to do, and asking CloudFormation for a change set (seconds on
// AWS) is skipped.
func (c *Clients) unchanged(ctx context.Context, name string, body []byte, params map[string]string, st *Stack) bool {
	if !succeeded(st.Status) && st.Status != string(types.StackStatusUpdateRollbackComplete) {
		return false
	}
	for k, v := range params {
		if k == synth.ParamDesiredCount && v == "" {
			continue // the count is left to auto scaling, whatever the stack last had
		}
		if st.Params[k] != v {
			return false
		}
	}
	out, err := c.CF.GetTemplate(ctx, &cloudformation.GetTemplateInput{StackName: aws.String(name), TemplateStage: types.TemplateStageOriginal})
	return err == nil && aws.ToString(out.TemplateBody) == string(body)
}

// interrupted turns a cancelled wait into advice: the stack operation goes on.
func interrupted(err error, stack string) error {
	if !errors.Is(err, context.Canceled) {
		return err
	}
	return hint.Wrap(
		fmt.Errorf("stopped waiting for %s; the stack operation goes on in CloudFormation", stack),
		fmt.Sprintf("watch it with \"berth status\" or \"aws cloudformation describe-stack-events --stack-name %s\"; "+
			"to roll an update back: \"aws cloudformation cancel-update-stack --stack-name %s\"", stack, stack))
}

// withHint attaches the hint for a known cause, if there is one.
func withHint(err error) error {
	if h := hintFor(err.Error()); h != "" {
		return hint.Wrap(err, h)
	}
	return err
}

// templateChanges compares the template and parameters a stack runs with the ones a
// deploy brings (cfn.Compare).
func (c *Clients) templateChanges(ctx context.Context, t *target, live *Stack, params map[string]string) ([]cfn.ResourceChange, error) {
	body, err := deployedTemplate(ctx, c.CF, t.name)
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
	return cfn.Compare(before, after, live.Params, now), nil
}
