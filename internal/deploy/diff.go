package deploy

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/berthdev/berth/internal/cfn"
	"github.com/berthdev/berth/internal/synth"
)

// maxTemplateBody is the most CloudFormation takes inline.
const maxTemplateBody = 51200

// StackDiff is what a deploy would do to one stack.
type StackDiff struct {
	Stack   string   `json:"stack"`
	Action  string   `json:"action"` // create, update, none
	Changes []Change `json:"changes"`
	Note    string   `json:"note,omitempty"`
}

// Diff computes the change sets of every stack without executing them. A stack whose
// inputs come from a stack not deployed yet is shown from its template: every resource
// would be added.
func (c *Clients) Diff(ctx context.Context, id Identity, o Options) ([]StackDiff, error) {
	p, err := c.prepare(ctx, o)
	if err != nil {
		return nil, err
	}
	m := p.m
	bucket := c.artifacts(id)
	upstream := map[synth.Stack]*Stack{}
	var out []StackDiff
	missingUpstream := false
	for _, t := range p.targets {
		st := usable(t.live)
		upstream[t.kind] = st
		if st == nil || missingUpstream {
			out = append(out, planFromTemplate(t.name, t.body, st == nil))
			missingUpstream = missingUpstream || st == nil
			continue
		}
		image := m.Image.Location
		if m.Image.Build != "" {
			image = st.Params[synth.ParamImage] // the image is new only once built
		}
		params := p.params(t, upstream, image)
		note := ""
		if t.kind == synth.Cluster {
			note = p.ami.Note()
		}
		if c.unchanged(ctx, t.name, t.body, params, st) {
			out = append(out, StackDiff{Stack: t.name, Action: "none", Changes: []Change{}, Note: note})
			continue
		}
		// inline, so that diff writes nothing to the artifact bucket; the change set is
		// deleted once read
		body, url := t.body, ""
		if len(body) > maxTemplateBody {
			if _, err := bucket.ensure(ctx); err != nil {
				return nil, err
			}
			if url, err = bucket.upload(ctx, o.Env, t.name, body); err != nil {
				return nil, err
			}
		}
		csID, changes, err := changeSet(ctx, c.CF, changeSetInput(t, o.Version, url, body, types.ChangeSetTypeUpdate, params), o.Poll)
		if err != nil {
			return nil, withHint(err)
		}
		d := StackDiff{Stack: t.name, Action: "none", Changes: []Change{}, Note: note}
		if csID != "" {
			c.CF.DeleteChangeSet(ctx, &cloudformation.DeleteChangeSetInput{ChangeSetName: aws.String(csID), StackName: aws.String(t.name)})
			fromTemplates, err := c.templateChanges(ctx, t, st, params)
			if err != nil {
				return nil, err
			}
			d.Action, d.Changes = "update", mergeChanges(t.name, fromTemplates, changes)
		}
		out = append(out, d)
	}
	return out, nil
}

func planFromTemplate(stack string, body []byte, create bool) StackDiff {
	d := StackDiff{Stack: stack, Action: "create", Changes: []Change{}}
	if !create {
		d.Action = "update"
		d.Note = "its inputs come from a stack that is not deployed yet: the changes are known after that one"
		return d
	}
	doc, err := cfn.Parse(body)
	if err != nil {
		d.Note = fmt.Sprintf("cannot read the template: %v", err)
		return d
	}
	for _, r := range doc.Order {
		d.Changes = append(d.Changes, Change{Stack: stack, Action: "Add", Resource: r, Type: doc.Resources[r].Type})
	}
	return d
}
