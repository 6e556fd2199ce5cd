package stacks

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
)

// Apply brings a stack to the change set in: it waits for an operation in progress,
// removes what a failed first create left (ROLLBACK_COMPLETE, which CloudFormation
// cannot update, or an empty REVIEW_IN_PROGRESS stack), executes the change set
// prepared (its id; "" to make one now, whose type follows the stack's existence), and
// waits for the stack, reporting its events; a failure is the first resource that
// failed. n is the number of resource changes, for the progress. It returns the stack;
// unchanged when the change set had nothing to do.
func Apply(ctx context.Context, cf CloudFormation, p Progress, in *cloudformation.CreateChangeSetInput, prepared string, n int, poll time.Duration) (*Stack, error) {
	name := aws.ToString(in.StackName)
	st, err := Describe(ctx, cf, name)
	if err != nil {
		return nil, err
	}
	if st != nil && InProgress(st.Status) {
		p.Message(fmt.Sprintf("%s: waiting for the operation in progress (%s)", name, st.Status))
		if st, err = Wait(ctx, cf, name, NewEvents(ctx, cf, name, p.Event), poll); err != nil {
			return nil, Interrupted(err, name)
		}
		prepared = "" // planned before that operation ended
	}
	if st != nil && (st.Status == string(types.StackStatusRollbackComplete) || st.Status == ReviewInProgress) {
		p.Message(fmt.Sprintf("%s: deleting what a failed first create left (%s) first", name, st.Status))
		if err := Delete(ctx, cf, p, name, poll); err != nil {
			return nil, err
		}
		st, prepared = nil, ""
	}
	id := prepared
	if id == "" {
		in.ChangeSetName = aws.String(fmt.Sprintf("berth-%d", time.Now().UnixNano()))
		in.ChangeSetType = types.ChangeSetTypeUpdate
		if st == nil {
			in.ChangeSetType = types.ChangeSetTypeCreate
		}
		if id, _, err = CreateChangeSet(ctx, cf, in, poll); err != nil {
			return nil, WithHint(err)
		}
		if id == "" {
			p.Stack(name, "no changes", 0)
			return st, nil
		}
	}
	events := NewEvents(ctx, cf, name, p.Event)
	p.Stack(name, "started", n)
	if _, err := cf.ExecuteChangeSet(ctx, &cloudformation.ExecuteChangeSetInput{ChangeSetName: aws.String(id), StackName: aws.String(name)}); err != nil {
		return nil, WithHint(fmt.Errorf("execute change set of %s: %w", name, err))
	}
	st, err = Wait(ctx, cf, name, events, poll)
	if err != nil {
		p.Done()
		return nil, Interrupted(err, name)
	}
	if st == nil || !Succeeded(st.Status) {
		p.Done()
		if f := RootCause(events.All()); f != nil {
			return nil, f
		}
		status, reason := "DELETED", ""
		if st != nil {
			status, reason = st.Status, st.Reason
		}
		return nil, WithHint(fmt.Errorf("stack %s ended %s: %s", name, status, reason))
	}
	p.Stack(name, st.Status, n)
	return st, nil
}
