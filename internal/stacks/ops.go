package stacks

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/berthdev/berth/internal/hint"
)

// Progress hears what a stack operation does.
type Progress interface {
	Event(Event)                      // a stack event
	Stack(name, status string, n int) // a stack starts ("started", n resources to change) or ends (its status, or "no changes")
	Message(string)                   // a step of berth's own
	Done()                            // the operation ended; an in-place view settles
}

// MaxTemplateBody is the most CloudFormation takes inline.
const MaxTemplateBody = 51200

// Of turns one described stack into berth's view of it (nil once deleted).
func Of(s types.Stack) *Stack {
	if s.StackStatus == "DELETE_COMPLETE" {
		return nil
	}
	st := &Stack{Name: aws.ToString(s.StackName), Status: string(s.StackStatus), Reason: aws.ToString(s.StackStatusReason),
		Outputs: map[string]string{}, Params: map[string]string{}, Resolved: map[string]string{}, Tags: map[string]string{}}
	for _, o := range s.Outputs {
		st.Outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	for _, p := range s.Parameters {
		st.Params[aws.ToString(p.ParameterKey)] = aws.ToString(p.ParameterValue)
		if p.ResolvedValue != nil {
			st.Resolved[aws.ToString(p.ParameterKey)] = aws.ToString(p.ResolvedValue)
		}
	}
	for _, t := range s.Tags {
		st.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return st
}

// Usable is a deployed stack that holds resources, or nil.
func Usable(st *Stack) *Stack {
	if st == nil || st.Status == ReviewInProgress || st.Status == string(types.StackStatusRollbackComplete) {
		return nil
	}
	return st
}

// Delete deletes a stack and waits until it is gone, reporting its events.
func Delete(ctx context.Context, cf CloudFormation, p Progress, name string, poll time.Duration) error {
	events := NewEvents(ctx, cf, name, p.Event)
	if _, err := cf.DeleteStack(ctx, &cloudformation.DeleteStackInput{StackName: aws.String(name)}); err != nil {
		return fmt.Errorf("delete stack %s: %w", name, err)
	}
	st, err := Wait(ctx, cf, name, events, poll)
	p.Done()
	if err != nil {
		return Interrupted(err, name)
	}
	if st != nil {
		if f := RootCause(events.All()); f != nil {
			return f
		}
		return fmt.Errorf("stack %s ended %s: %s", name, st.Status, st.Reason)
	}
	p.Message(name + ": deleted")
	return nil
}

// PhysicalID is the physical id of one resource of a stack; "" when it has none. It
// lists the stack's resources (ListStackResources) rather than describing the one:
// moto answers DescribeStackResource with a server error.
func PhysicalID(ctx context.Context, cf CloudFormation, stack, logical string) (string, error) {
	pages := cloudformation.NewListStackResourcesPaginator(cf, &cloudformation.ListStackResourcesInput{StackName: aws.String(stack)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return "", fmt.Errorf("list the resources of %s: %w", stack, err)
		}
		for _, r := range page.StackResourceSummaries {
			if aws.ToString(r.LogicalResourceId) == logical {
				return aws.ToString(r.PhysicalResourceId), nil
			}
		}
	}
	return "", nil
}

// Interrupted turns a cancelled wait into advice: the stack operation goes on.
func Interrupted(err error, stack string) error {
	if !errors.Is(err, context.Canceled) {
		return err
	}
	return hint.Wrap(
		fmt.Errorf("stopped waiting for %s; the stack operation goes on in CloudFormation", stack),
		fmt.Sprintf("watch it with \"berth status\" or \"aws cloudformation describe-stack-events --stack-name %s\"; "+
			"to roll an update back: \"aws cloudformation cancel-update-stack --stack-name %s\"", stack, stack))
}

// WithHint attaches the hint for a known cause, if there is one.
func WithHint(err error) error {
	if h := HintFor(err.Error()); h != "" {
		return hint.Wrap(err, h)
	}
	return err
}
