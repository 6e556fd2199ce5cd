// Package stacks is the CloudFormation engine: stacks and their states, change sets
// made and waited for, stack events followed as they come, the first failure behind a
// failed operation and what to do about it, stack deletes.
//
// It knows CloudFormation, not berth's architecture: it must not import manifest,
// synth or any package of the AWS path above it (environment, deploy, ...).
package stacks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"
	"github.com/berthdev/berth/internal/cfn"
	"github.com/berthdev/berth/internal/hint"
)

// CloudFormation is the part of the CloudFormation API berth uses.
type CloudFormation interface {
	DescribeStacks(context.Context, *cloudformation.DescribeStacksInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
	DescribeStackEvents(context.Context, *cloudformation.DescribeStackEventsInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeStackEventsOutput, error)
	GetTemplate(context.Context, *cloudformation.GetTemplateInput, ...func(*cloudformation.Options)) (*cloudformation.GetTemplateOutput, error)
	CreateChangeSet(context.Context, *cloudformation.CreateChangeSetInput, ...func(*cloudformation.Options)) (*cloudformation.CreateChangeSetOutput, error)
	DescribeChangeSet(context.Context, *cloudformation.DescribeChangeSetInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeChangeSetOutput, error)
	ExecuteChangeSet(context.Context, *cloudformation.ExecuteChangeSetInput, ...func(*cloudformation.Options)) (*cloudformation.ExecuteChangeSetOutput, error)
	DeleteChangeSet(context.Context, *cloudformation.DeleteChangeSetInput, ...func(*cloudformation.Options)) (*cloudformation.DeleteChangeSetOutput, error)
	DeleteStack(context.Context, *cloudformation.DeleteStackInput, ...func(*cloudformation.Options)) (*cloudformation.DeleteStackOutput, error)
	ContinueUpdateRollback(context.Context, *cloudformation.ContinueUpdateRollbackInput, ...func(*cloudformation.Options)) (*cloudformation.ContinueUpdateRollbackOutput, error)
	ListStackResources(context.Context, *cloudformation.ListStackResourcesInput, ...func(*cloudformation.Options)) (*cloudformation.ListStackResourcesOutput, error)
}

// Stack is what berth knows of a deployed stack.
type Stack struct {
	Name    string
	Status  string
	Reason  string
	Outputs map[string]string
	Params  map[string]string
	// Resolved holds the values CloudFormation resolved for SSM-typed parameters.
	Resolved map[string]string
	Tags     map[string]string
}

// Describe returns the stack, or nil when it does not exist.
func Describe(ctx context.Context, cf CloudFormation, name string) (*Stack, error) {
	out, err := cf.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	if err != nil {
		if IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("describe stack %s: %w", name, err)
	}
	if len(out.Stacks) == 0 {
		return nil, nil
	}
	return Of(out.Stacks[0]), nil
}

// IsNotFound tells CloudFormation's "does not exist" apart from real failures.
func IsNotFound(err error) bool {
	var api smithy.APIError
	return errors.As(err, &api) && strings.Contains(api.ErrorMessage(), "does not exist")
}

// Stack states, by what berth does about them.

// ReviewInProgress is a stack that a CREATE change set made and nobody executed (the
// user declined, or the change set failed): it has no template and no resource, and
// waiting on it would wait forever.
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-changesets-create.html
const ReviewInProgress = string(types.StackStatusReviewInProgress)

// InProgress is a stack operation that ends by itself.
func InProgress(status string) bool {
	return strings.HasSuffix(status, "_IN_PROGRESS") && status != ReviewInProgress
}

// Succeeded is an operation that ended well.
func Succeeded(status string) bool {
	switch status {
	case "CREATE_COMPLETE", "UPDATE_COMPLETE", "DELETE_COMPLETE", "IMPORT_COMPLETE":
		return true
	}
	return false
}

// Wait polls the stack until no operation is in progress, reporting new events to
// the progress sink. It returns the final stack (nil once deleted). It asks less often
// while nothing happens (see pace); every event is still reported, in order.
func Wait(ctx context.Context, cf CloudFormation, name string, ev *Events, poll time.Duration) (*Stack, error) {
	p := newPace(poll)
	for {
		st, err := Describe(ctx, cf, name)
		if err != nil {
			return nil, err
		}
		if st != nil && InProgress(st.Status) {
			running(ctx, name)
		}
		fresh := 0
		if ev != nil {
			if fresh, err = ev.fetch(ctx, true); err != nil && !IsNotFound(err) {
				return nil, err
			}
		}
		if st == nil || !InProgress(st.Status) {
			WorkOn(ctx, name)
			return st, nil
		}
		if err := sleep(ctx, p.next(fresh > 0)); err != nil {
			return st, err
		}
	}
}

// Change is one resource change of an update: from the change set, and from comparing
// the deployed template with the new one (which also tells the properties).
type Change struct {
	Stack       string               `json:"stack"`
	Action      string               `json:"action"` // Add, Modify, Remove, Import, Dynamic
	Resource    string               `json:"resource"`
	Type        string               `json:"type"`
	Replacement string               `json:"replacement,omitempty"` // True, False, Conditional
	Reason      string               `json:"reason,omitempty"`
	Properties  []cfn.PropertyChange `json:"properties,omitempty"`
}

// MergeChanges puts what the templates tell (properties, replacements CloudFormation
// knows from them) together with what the change set tells: a replacement either one
// knows is shown, and a change only the change set lists is kept.
func MergeChanges(stack string, fromTemplates []cfn.ResourceChange, fromChangeSet []Change) []Change {
	out := make([]Change, 0, len(fromTemplates)+len(fromChangeSet))
	at := map[string]int{}
	for _, r := range fromTemplates {
		c := Change{Stack: stack, Action: r.Action, Resource: r.Resource, Type: r.Type, Reason: r.Reason, Properties: r.Properties}
		if r.Replaced {
			c.Replacement = "True"
		}
		at[r.Resource] = len(out)
		out = append(out, c)
	}
	for _, c := range fromChangeSet {
		i, ok := at[c.Resource]
		if !ok {
			out = append(out, c)
			continue
		}
		if out[i].Replacement == "" || c.Replacement == "True" {
			out[i].Replacement = c.Replacement
		}
	}
	return out
}

// ChangeSetWait bounds the wait for CloudFormation to compute a change set: it takes
// seconds, a minute for a large stack in a busy account. Past it berth gives up, and
// says where to watch the change set, which CloudFormation goes on computing.
var ChangeSetWait = 10 * time.Minute

// CreateChangeSet creates a change set and waits until CloudFormation has computed it. It
// returns the changes, and an empty id when the stack would not change (the change set
// is then deleted).
func CreateChangeSet(ctx context.Context, cf CloudFormation, in *cloudformation.CreateChangeSetInput, poll time.Duration) (string, []Change, error) {
	stack := aws.ToString(in.StackName)
	WorkOn(ctx, stack)
	out, err := cf.CreateChangeSet(ctx, in)
	if err != nil {
		return "", nil, fmt.Errorf("create change set for %s: %w", stack, err)
	}
	id := aws.ToString(out.Id)
	p, deadline := newPace(poll), time.Now().Add(ChangeSetWait)
	for {
		d, err := cf.DescribeChangeSet(ctx, &cloudformation.DescribeChangeSetInput{ChangeSetName: aws.String(id), StackName: in.StackName})
		if err != nil {
			return "", nil, fmt.Errorf("describe change set for %s: %w", stack, err)
		}
		switch d.Status {
		case types.ChangeSetStatusCreateComplete:
			var changes []Change
			for _, c := range d.Changes {
				rc := c.ResourceChange
				if rc == nil {
					continue
				}
				changes = append(changes, Change{
					Stack: stack, Action: string(rc.Action), Resource: aws.ToString(rc.LogicalResourceId),
					Type: aws.ToString(rc.ResourceType), Replacement: string(rc.Replacement),
				})
			}
			return id, changes, nil
		case types.ChangeSetStatusFailed:
			reason := aws.ToString(d.StatusReason)
			if strings.Contains(reason, "didn't contain changes") || strings.Contains(reason, "No updates are to be performed") {
				cf.DeleteChangeSet(ctx, &cloudformation.DeleteChangeSetInput{ChangeSetName: aws.String(id), StackName: in.StackName})
				return "", nil, nil
			}
			return "", nil, fmt.Errorf("change set for %s failed: %s", stack, reason)
		}
		if time.Now().After(deadline) {
			return "", nil, hint.Wrap(fmt.Errorf("gave up waiting for the change set of %s after %s (still %s); CloudFormation goes on computing it, and nothing was changed",
				stack, ChangeSetWait, d.Status),
				fmt.Sprintf("watch it with \"aws cloudformation describe-change-set --stack-name %s --change-set-name %s\"; run berth again once it is computed",
					stack, id))
		}
		if err := sleep(ctx, p.next(false)); err != nil {
			return "", nil, err
		}
	}
}

// Template reads the template a stack runs, as berth wrote it.
func Template(ctx context.Context, cf CloudFormation, name string) ([]byte, error) {
	out, err := cf.GetTemplate(ctx, &cloudformation.GetTemplateInput{StackName: aws.String(name), TemplateStage: types.TemplateStageOriginal})
	if err != nil {
		return nil, fmt.Errorf("read the template of %s: %w", name, err)
	}
	return []byte(aws.ToString(out.TemplateBody)), nil
}
