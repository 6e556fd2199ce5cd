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
	"github.com/berthdev/berth/internal/hint"
)

// The states a failed operation can leave a stack in, from which CloudFormation starts
// no update: each needs one thing done first.
//
//   - UPDATE_ROLLBACK_FAILED: an update failed and so did its rollback. The stack can
//     only be rolled back further (ContinueUpdateRollback), skipping the resources that
//     cannot be: "Continue rolling back an update", CloudFormation User Guide,
//     docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-continueupdaterollback.html
//   - ROLLBACK_FAILED: a first create failed and so did its rollback; a stack that never
//     held a working version can only be deleted (RollbackStack, which returns a stack to
//     its last stable state, deletes one that has none: API reference, RollbackStack).
//   - ROLLBACK_COMPLETE: a first create failed and was rolled back: an empty stack, to be
//     deleted before the name can be used again.
//   - DELETE_FAILED: a delete stopped at a resource that could not go. DeleteStack again
//     retries it; only for a stack in this state, DeleteStack takes RetainResources,
//     the resources to leave in the account (API reference, DeleteStack;
//     repost.aws/knowledge-center/cloudformation-stack-delete-failed).
const (
	UpdateRollbackFailed = string(types.StackStatusUpdateRollbackFailed)
	RollbackFailed       = string(types.StackStatusRollbackFailed)
	RollbackComplete     = string(types.StackStatusRollbackComplete)
	DeleteFailed         = string(types.StackStatusDeleteFailed)
)

// NeedsRecovery reports whether a stack is in one of those states.
func NeedsRecovery(status string) bool {
	switch status {
	case UpdateRollbackFailed, RollbackFailed, RollbackComplete, DeleteFailed:
		return true
	}
	return false
}

// Recovery is what a stack in a failed state is, why, and the one thing that gets it
// out: continuing the rollback (skipping the resources that cannot be rolled back), or
// deleting the dead stack (leaving the resources named in Retain).
type Recovery struct {
	Stack  string `json:"stack"`
	Status string `json:"status"`
	// Cause is the first resource that failed in the operation that left the stack so.
	Cause *Failure `json:"cause,omitempty"`
	// Failed are the resources the stack holds in a failed state now: those its
	// rollback or its delete could not get past.
	Failed []Failure `json:"failed,omitempty"`
	Action string    `json:"action"` // "continue-rollback" or "delete"
	// Skip are the resources the continued rollback skips.
	Skip []string `json:"skip,omitempty"`
	// Retain are the resources a delete leaves in the account, each with why that is
	// safe; what may be left is decided by the caller (KeepSafe), who knows them.
	Retain []Kept `json:"retain,omitempty"`
}

// Kept is a resource a delete leaves in the account, and why.
type Kept struct {
	Resource string `json:"resource"`
	Type     string `json:"type"`
	ID       string `json:"physical_id,omitempty"`
	Why      string `json:"why"`
}

// Diagnose reads why a stack is in a failed state and what gets it out: nil for a stack
// in any other state.
func Diagnose(ctx context.Context, cf CloudFormation, st *Stack) (*Recovery, error) {
	if st == nil || !NeedsRecovery(st.Status) {
		return nil, nil
	}
	r := &Recovery{Stack: st.Name, Status: st.Status, Action: "delete"}
	events, err := lastOperation(ctx, cf, st.Name)
	if err != nil {
		return nil, err
	}
	r.Cause = RootCause(events)
	switch st.Status {
	case UpdateRollbackFailed:
		r.Action = "continue-rollback"
		if r.Failed, r.Skip, err = rollbackFailures(ctx, cf, st.Name, ""); err != nil {
			return nil, err
		}
	case DeleteFailed, RollbackFailed:
		reason := st.Reason
		if r.Cause != nil {
			reason += " " + r.Cause.Reason
		}
		if r.Failed, err = failedResources(ctx, cf, st.Name, strings.TrimSpace(reason)); err != nil {
			return nil, err
		}
	}
	if (r.Cause == nil || r.Cause.Type == "AWS::CloudFormation::Stack" && r.Cause.Resource == st.Name) && len(r.Failed) > 0 {
		r.Cause = &r.Failed[0]
	}
	if r.Cause == nil && st.Reason != "" {
		r.Cause = &Failure{Stack: st.Name, Resource: st.Name, Type: "AWS::CloudFormation::Stack", Status: st.Status, Reason: st.Reason}
	}
	return r, nil
}

// Summary says the state and why: "STACK is STATUS: RESOURCE (TYPE) STATUS: reason".
func (r *Recovery) Summary() string {
	s := fmt.Sprintf("%s is %s", r.Stack, r.Status)
	if c := r.Cause; c != nil {
		if c.Resource == r.Stack {
			return s + ": " + c.Reason
		}
		s += fmt.Sprintf(": %s (%s) %s: %s", c.Resource, c.Type, c.Status, c.Reason)
	}
	return s
}

// Remedy is what gets the stack out of its state, in words: what berth does, when asked
// (again names the berth command that does it).
func (r *Recovery) Remedy(again string) string {
	switch {
	case r.Action == "continue-rollback" && len(r.Skip) > 0:
		return fmt.Sprintf("%s continues the rollback, skipping %s: CloudFormation leaves %s and counts %s rolled back, and the update that follows brings %s to the template",
			again, strings.Join(r.Skip, ", "), plural(len(r.Skip), "it as it is", "them as they are"), plural(len(r.Skip), "it", "them"), plural(len(r.Skip), "it", "them"))
	case r.Action == "continue-rollback":
		return again + " continues the rollback (nothing needs skipping: it failed on a passing error)"
	case r.Status == RollbackComplete:
		return again + " deletes the empty stack a failed first create left, then creates it again"
	case r.Status == RollbackFailed:
		return again + " deletes what the failed first create left (a stack that never worked can only be deleted), then creates it again"
	case len(r.Retain) > 0:
		var kept []string
		for _, k := range r.Retain {
			kept = append(kept, fmt.Sprintf("%s (%s)", k.Resource, k.Why))
		}
		return fmt.Sprintf("%s deletes it again, leaving %s in the account", again, strings.Join(kept, "; "))
	}
	return again + " deletes it again"
}

// Command is the AWS CLI command that does the same.
func (r *Recovery) Command(region string) string {
	cmd := "aws cloudformation "
	switch r.Action {
	case "continue-rollback":
		cmd += "continue-update-rollback --stack-name " + r.Stack
		if len(r.Skip) > 0 {
			cmd += " --resources-to-skip " + strings.Join(r.Skip, " ")
		}
	default:
		cmd += "delete-stack --stack-name " + r.Stack
		if r.Status == DeleteFailed && len(r.Retain) > 0 {
			cmd += " --retain-resources"
			for _, k := range r.Retain {
				cmd += " " + k.Resource
			}
		}
	}
	if region != "" {
		cmd += " --region " + region
	}
	return cmd
}

// RetainIDs are the logical ids of Retain.
func (r *Recovery) RetainIDs() []string {
	var ids []string
	for _, k := range r.Retain {
		ids = append(ids, k.Resource)
	}
	return ids
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// ContinueRollback continues the rollback of a stack in UPDATE_ROLLBACK_FAILED, skipping
// the resources named, and waits until it ends UPDATE_ROLLBACK_COMPLETE.
func ContinueRollback(ctx context.Context, cf CloudFormation, p Progress, name string, skip []string, poll time.Duration) (*Stack, error) {
	WorkOn(ctx, name)
	events := NewEvents(ctx, cf, name, p.Event)
	asking(ctx, name)
	if _, err := cf.ContinueUpdateRollback(ctx, &cloudformation.ContinueUpdateRollbackInput{StackName: aws.String(name), ResourcesToSkip: skip}); err != nil {
		if !errors.Is(err, context.Canceled) {
			WorkOn(ctx, name)
		}
		return nil, WithHint(fmt.Errorf("continue the rollback of %s: %w", name, err))
	}
	running(ctx, name)
	st, err := Wait(ctx, cf, name, events, poll)
	p.Done()
	if err != nil {
		return nil, Interrupted(err, name)
	}
	if st == nil || st.Status != string(types.StackStatusUpdateRollbackComplete) {
		if f := RootCause(events.All()); f != nil {
			return nil, f
		}
		status := "DELETED"
		if st != nil {
			status = st.Status
		}
		return nil, fmt.Errorf("the continued rollback of %s ended %s", name, status)
	}
	p.Message(name + ": rollback completed (UPDATE_ROLLBACK_COMPLETE)")
	return st, nil
}

// DeleteFailure is a delete that ended DELETE_FAILED: the stack stays, with the
// resources that could not go.
type DeleteFailure struct {
	Recovery
}

func (e *DeleteFailure) Error() string {
	if c := e.Cause; c != nil && c.Resource != e.Stack {
		return fmt.Sprintf("stack %s ended DELETE_FAILED: %s (%s) could not be deleted: %s", e.Stack, c.Resource, c.Type, c.Reason)
	}
	reason := ""
	if e.Cause != nil {
		reason = ": " + e.Cause.Reason
	}
	return "stack " + e.Stack + " ended DELETE_FAILED" + reason
}

// Hint says what to do about the first resource that could not go.
func (e *DeleteFailure) Hint() string {
	if e.Cause != nil {
		if h := HintFor(e.Cause.Reason); h != "" {
			return h
		}
	}
	return fmt.Sprintf("read why with \"aws cloudformation describe-stack-events --stack-name %s\", then run berth delete again", e.Stack)
}

// deleteFailure reads what a failed delete left. reason is the failure as the delete
// reported it, when the events do not name a resource.
func deleteFailure(ctx context.Context, cf CloudFormation, st *Stack, events []Event, reason string) error {
	failed, err := failedResources(ctx, cf, st.Name, reason)
	if err != nil {
		return err
	}
	e := &DeleteFailure{Recovery{Stack: st.Name, Status: DeleteFailed, Action: "delete", Failed: failed, Cause: RootCause(events)}}
	if e.Cause == nil || e.Cause.Type == "AWS::CloudFormation::Stack" {
		if len(failed) > 0 {
			e.Cause = &failed[0]
		} else {
			e.Cause = &Failure{Stack: st.Name, Resource: st.Name, Type: "AWS::CloudFormation::Stack", Status: DeleteFailed, Reason: reason}
		}
	}
	return e
}

// failedResources are the stack's resources in a *_FAILED state, with their reasons.
// When none says so (the emulator keeps no resource status), the resource whose
// physical id the stack's failure names is the one that failed.
func failedResources(ctx context.Context, cf CloudFormation, stack, reason string) ([]Failure, error) {
	all, err := resources(ctx, cf, stack)
	if err != nil {
		return nil, err
	}
	var failed []Failure
	for _, r := range all {
		if strings.HasSuffix(r.Status, "_FAILED") {
			failed = append(failed, r)
		}
	}
	if len(failed) > 0 || reason == "" {
		return failed, nil
	}
	for _, r := range all {
		if r.PhysicalID != "" && strings.Contains(reason, r.PhysicalID) {
			r.Status, r.Reason = DeleteFailed, reason
			failed = append(failed, r)
		}
	}
	return failed, nil
}

// resources lists a stack's resources as failures-to-be: their ids, types, statuses.
func resources(ctx context.Context, cf CloudFormation, stack string) ([]Failure, error) {
	var out []Failure
	pages := cloudformation.NewListStackResourcesPaginator(cf, &cloudformation.ListStackResourcesInput{StackName: aws.String(stack)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list the resources of %s: %w", stack, err)
		}
		for _, r := range page.StackResourceSummaries {
			out = append(out, Failure{Stack: stack, Resource: aws.ToString(r.LogicalResourceId), Type: aws.ToString(r.ResourceType),
				Status: string(r.ResourceStatus), Reason: aws.ToString(r.ResourceStatusReason), PhysicalID: aws.ToString(r.PhysicalResourceId)})
		}
	}
	return out, nil
}

// rollbackFailures are the resources of a stack in UPDATE_ROLLBACK_FAILED whose rollback
// failed, and the names to skip for them. Per the ContinueUpdateRollback reference,
// only a resource in UPDATE_FAILED "because a rollback failed" may be skipped, not one
// whose update was cancelled, and as few as needed: one that failed because another did
// is not. A nested stack's resources are skipped as NestedStackName.ResourceLogicalID;
// the nested stack itself only once it is being deleted, deleted, or DELETE_FAILED.
func rollbackFailures(ctx context.Context, cf CloudFormation, stack, prefix string) ([]Failure, []string, error) {
	all, err := resources(ctx, cf, stack)
	if err != nil {
		return nil, nil, err
	}
	var failed []Failure
	var skip []string
	for _, r := range all {
		if r.Status != string(types.ResourceStatusUpdateFailed) || isCascade(r.Reason) {
			continue
		}
		failed = append(failed, r)
		if r.Type != "AWS::CloudFormation::Stack" || r.PhysicalID == "" {
			skip = append(skip, prefix+r.Resource)
			continue
		}
		nested, err := Describe(ctx, cf, r.PhysicalID)
		if err != nil {
			return nil, nil, err
		}
		if nested == nil || strings.HasPrefix(nested.Status, "DELETE_") {
			skip = append(skip, prefix+r.Resource)
			continue
		}
		inner, innerSkip, err := rollbackFailures(ctx, cf, r.PhysicalID, prefix+r.Resource+".")
		if err != nil {
			return nil, nil, err
		}
		failed, skip = append(failed, inner...), append(skip, innerSkip...)
	}
	return failed, skip, nil
}

// maxEventPages bounds how far back lastOperation reads a stack's history.
const maxEventPages = 10

// lastOperation are the events of the stack's last operation, oldest first: from the
// stack event that began it (a create, update, delete or import started) to now.
func lastOperation(ctx context.Context, cf CloudFormation, stack string) ([]Event, error) {
	var newest []Event
	pages := cloudformation.NewDescribeStackEventsPaginator(cf, &cloudformation.DescribeStackEventsInput{StackName: aws.String(stack)})
	for n := 0; pages.HasMorePages() && n < maxEventPages; n++ {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("read the events of %s: %w", stack, err)
		}
		for _, e := range page.StackEvents {
			ev := Event{Time: aws.ToTime(e.Timestamp), Stack: stack, Resource: aws.ToString(e.LogicalResourceId),
				Type: aws.ToString(e.ResourceType), Status: string(e.ResourceStatus), Reason: aws.ToString(e.ResourceStatusReason)}
			newest = append(newest, ev)
			if ev.Type == "AWS::CloudFormation::Stack" && ev.Resource == stack && begins(ev.Status) {
				return reversed(newest), nil
			}
		}
	}
	return reversed(newest), nil
}

func begins(status string) bool {
	switch status {
	case "CREATE_IN_PROGRESS", "UPDATE_IN_PROGRESS", "DELETE_IN_PROGRESS", "IMPORT_IN_PROGRESS":
		return true
	}
	return false
}

func reversed(es []Event) []Event {
	out := make([]Event, len(es))
	for i, e := range es {
		out[len(es)-1-i] = e
	}
	return out
}

// RecoveryError stops a command at a stack in a failed state: what state, why, and
// what to do (berth's command, or the AWS CLI's).
func RecoveryError(r *Recovery, again, region string) error {
	return hint.Wrap(errors.New(r.Summary()), r.Remedy(again)+"; or: "+r.Command(region))
}
