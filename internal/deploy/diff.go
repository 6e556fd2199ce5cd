package deploy

import (
	"context"
	"fmt"
	"strconv"

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
	m := o.Manifest
	files, err := synth.Render(m)
	if err != nil {
		return nil, err
	}
	res := &Result{Stacks: map[synth.Stack]*Stack{}, Image: m.Image.Location}
	if m.Image.Build != "" {
		res.Image = "(built at deploy)"
	}
	bucket := BucketName(id.Account, id.Region)
	var out []StackDiff
	missingUpstream := false
	for _, s := range synth.Stacks {
		name := StackName(o.Env, m.Name, s)
		st, err := describeStack(ctx, c.CF, name)
		if err != nil {
			return nil, err
		}
		if st != nil && st.Status == reviewInProgress {
			st = nil // an unexecuted first change set: nothing is deployed
		}
		res.Stacks[s] = st
		if st == nil || missingUpstream {
			out = append(out, planFromTemplate(name, files[s.File()], st == nil))
			missingUpstream = missingUpstream || st == nil
			continue
		}
		params := c.parameters(s, o.Env, res)
		note := ""
		if s == synth.Cluster {
			ami, err := c.amiFor(ctx, o, name)
			if err != nil {
				return nil, err
			}
			params[synth.ParamAmiID], note = ami.ID, ami.Note()
		}
		if s == synth.Service {
			params[synth.ParamImage] = res.Image
			params[synth.ParamDesiredCount] = strconv.Itoa(m.Count.Min)
			if m.Count.Scales() {
				params[synth.ParamDesiredCount] = "" // as deploy passes it to a service that exists
			}
			if m.Image.Build != "" {
				params[synth.ParamImage] = st.Params[synth.ParamImage] // the image is new only once built
			}
		}
		if c.unchanged(ctx, name, files[s.File()], params, st) {
			out = append(out, StackDiff{Stack: name, Action: "none", Changes: []Change{}, Note: note})
			continue
		}
		// inline, so that diff writes nothing to the artifact bucket; the change set is
		// deleted once read
		body, url := files[s.File()], ""
		if len(body) > maxTemplateBody {
			if _, err := ensureBucket(ctx, c.S3, bucket, id.Region); err != nil {
				return nil, err
			}
			if url, err = upload(ctx, c.S3, bucket, o.Env, string(s), body); err != nil {
				return nil, err
			}
		}
		csID, changes, err := changeSet(ctx, c.CF, c.changeSetInput(o, name, url, body, types.ChangeSetTypeUpdate, params), o.Poll)
		if err != nil {
			return nil, withHint(err)
		}
		d := StackDiff{Stack: name, Action: "none", Changes: []Change{}, Note: note}
		if csID != "" {
			d.Action, d.Changes = "update", changes
			c.CF.DeleteChangeSet(ctx, &cloudformation.DeleteChangeSetInput{ChangeSetName: aws.String(csID), StackName: aws.String(name)})
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
