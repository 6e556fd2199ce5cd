package stacks

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"
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

// Usable is a deployed stack that holds resources a deploy builds on, or nil: not a
// stack that was never created (REVIEW_IN_PROGRESS), whose first create failed
// (ROLLBACK_COMPLETE, ROLLBACK_FAILED), or whose delete failed half-way (DELETE_FAILED):
// a deploy deletes those and creates them again (see Recovery).
func Usable(st *Stack) *Stack {
	if st == nil {
		return nil
	}
	switch st.Status {
	case ReviewInProgress, RollbackComplete, RollbackFailed, DeleteFailed:
		return nil
	}
	return st
}

// Delete deletes a stack and waits until it is gone, reporting its events.
func Delete(ctx context.Context, cf CloudFormation, p Progress, name string, poll time.Duration) error {
	return DeleteRetaining(ctx, cf, p, name, nil, poll)
}

// DeleteRetaining deletes a stack, leaving the resources retain names in the account
// (CloudFormation takes them only for a stack in DELETE_FAILED), and waits until it is
// gone. A delete that ends DELETE_FAILED is a *DeleteFailure.
func DeleteRetaining(ctx context.Context, cf CloudFormation, p Progress, name string, retain []string, poll time.Duration) error {
	WorkOn(ctx, name)
	events := NewEvents(ctx, cf, name, p.Event)
	asking(ctx, name)
	if _, err := cf.DeleteStack(ctx, &cloudformation.DeleteStackInput{StackName: aws.String(name), RetainResources: retain}); err != nil {
		if errors.Is(err, context.Canceled) {
			return err
		}
		WorkOn(ctx, name)
		// a delete can fail as the call is answered (the emulator fails it so): a stack
		// that went DELETE_FAILED with this call failed the way a waited-for one does
		if n, _ := events.fetch(ctx, true); n > 0 {
			if st, derr := Describe(ctx, cf, name); derr == nil && st != nil && st.Status == DeleteFailed {
				reason := err.Error()
				var api smithy.APIError
				if errors.As(err, &api) {
					reason = api.ErrorMessage()
				}
				return deleteFailure(ctx, cf, st, events.All(), reason)
			}
		}
		return fmt.Errorf("delete stack %s: %w", name, err)
	}
	running(ctx, name)
	st, err := Wait(ctx, cf, name, events, poll)
	p.Done()
	if err != nil {
		return Interrupted(err, name)
	}
	if st != nil {
		if st.Status == DeleteFailed {
			return deleteFailure(ctx, cf, st, events.All(), st.Reason)
		}
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
	return hint.Wrap(fmt.Errorf("stopped waiting for %s; the stack operation goes on in CloudFormation", stack), watch(stack))
}

// Execute starts the execution of a prepared change set.
func Execute(ctx context.Context, cf CloudFormation, stack, changeSet string) error {
	asking(ctx, stack)
	if _, err := cf.ExecuteChangeSet(ctx, &cloudformation.ExecuteChangeSetInput{ChangeSetName: aws.String(changeSet), StackName: aws.String(stack)}); err != nil {
		if !errors.Is(err, context.Canceled) {
			WorkOn(ctx, stack)
		}
		return fmt.Errorf("execute change set of %s: %w", stack, err)
	}
	running(ctx, stack)
	return nil
}

// WithHint attaches the hint for a known cause, if there is one.
func WithHint(err error) error {
	if h := HintFor(err.Error()); h != "" {
		return hint.Wrap(err, h)
	}
	return err
}
