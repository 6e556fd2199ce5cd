// Package stackstest is a scripted CloudFormation for tests: stacks that go through
// the states the emulator never produces the AWS way (a failed delete, a rollback that
// could not finish), one act per operation, with their events and resources. The
// packages that delete and recover stacks (teardown, deploy) test on it.
//
// It is for tests only, and imports nothing of berth's but stacks.
package stackstest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"
	"github.com/berthdev/berth/internal/stacks"
)

// CF answers for stacks as CloudFormation answered in the states the emulator
// never produces the AWS way: each stack's DescribeStacks answers in turn (the last
// repeats; "" = gone), its events and resources; an operation (DeleteStack,
// ContinueUpdateRollback, ExecuteChangeSet) moves it to the next act of its script.
type CF struct {
	stacks.CloudFormation
	mu      sync.Mutex
	Stacks  map[string]*Script
	calls   []string
	Slow    string // an operation that waits for the caller's context to end
	Reached func()
}

// Script is one stack's acts, and its events so far (newest first).
type Script struct {
	Acts   []Act // the first is now; each operation moves to the next
	Events []types.StackEvent
}

// Act is a stack's state until the next operation on it.
type Act struct {
	Statuses  []string // DescribeStacks answers each in turn, the last repeats; "" = gone
	Reason    string
	Events    []types.StackEvent // added (newest first) when the act begins
	Resources []types.StackResourceSummary
	Outputs   map[string]string
	DeleteErr error // DeleteStack answers this (the emulator fails a delete at once)
}

var eventID int

// Event is a stack event, each later than the last.
func Event(stack, resource, typ, status, reason string) types.StackEvent {
	eventID++
	return types.StackEvent{EventId: aws.String(fmt.Sprint(eventID)), StackName: aws.String(stack), LogicalResourceId: aws.String(resource),
		ResourceType: aws.String(typ), ResourceStatus: types.ResourceStatus(status), ResourceStatusReason: aws.String(reason),
		Timestamp: aws.Time(time.Unix(int64(1_700_000_000+eventID), 0))}
}

// Resource is a resource of a stack, as ListStackResources lists it.
func Resource(logical, typ, status, reason, physical string) types.StackResourceSummary {
	return types.StackResourceSummary{LogicalResourceId: aws.String(logical), ResourceType: aws.String(typ),
		ResourceStatus: types.ResourceStatus(status), ResourceStatusReason: aws.String(reason), PhysicalResourceId: aws.String(physical)}
}

func (f *CF) call(ctx context.Context, op string) error {
	f.mu.Lock()
	f.calls = append(f.calls, op)
	f.mu.Unlock()
	if f.Slow == op {
		f.Reached()
		<-ctx.Done()
		return &smithy.OperationError{ServiceID: "CloudFormation", OperationName: op, Err: ctx.Err()}
	}
	return nil
}

func (f *CF) now(name string) (*Script, *Act) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.Stacks[name]
	if s == nil || len(s.Acts) == 0 {
		return nil, nil
	}
	return s, &s.Acts[0]
}

func (f *CF) next(name string) *Act {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.Stacks[name]
	if len(s.Acts) > 1 {
		s.Acts = s.Acts[1:]
		s.Events = append(append([]types.StackEvent{}, s.Acts[0].Events...), s.Events...)
	}
	return &s.Acts[0]
}

func (f *CF) DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error) {
	if err := f.call(ctx, "DescribeStacks"); err != nil {
		return nil, err
	}
	if in.StackName == nil {
		return &cloudformation.DescribeStacksOutput{}, nil // the listing: no stack is tagged
	}
	name := aws.ToString(in.StackName)
	_, a := f.now(name)
	gone := &smithy.GenericAPIError{Code: "ValidationError", Message: "Stack with id " + name + " does not exist"}
	if a == nil {
		return nil, gone
	}
	f.mu.Lock()
	status := a.Statuses[0]
	if len(a.Statuses) > 1 {
		a.Statuses = a.Statuses[1:]
	}
	f.mu.Unlock()
	if status == "" {
		return nil, gone
	}
	st := types.Stack{StackName: in.StackName, StackStatus: types.StackStatus(status), StackStatusReason: aws.String(a.Reason)}
	for k, v := range a.Outputs {
		st.Outputs = append(st.Outputs, types.Output{OutputKey: aws.String(k), OutputValue: aws.String(v)})
	}
	return &cloudformation.DescribeStacksOutput{Stacks: []types.Stack{st}}, nil
}

func (f *CF) DescribeStackEvents(ctx context.Context, in *cloudformation.DescribeStackEventsInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStackEventsOutput, error) {
	if err := f.call(ctx, "DescribeStackEvents"); err != nil {
		return nil, err
	}
	s, _ := f.now(aws.ToString(in.StackName))
	if s == nil {
		return &cloudformation.DescribeStackEventsOutput{}, nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return &cloudformation.DescribeStackEventsOutput{StackEvents: append([]types.StackEvent{}, s.Events...)}, nil
}

func (f *CF) ListStackResources(ctx context.Context, in *cloudformation.ListStackResourcesInput, _ ...func(*cloudformation.Options)) (*cloudformation.ListStackResourcesOutput, error) {
	if err := f.call(ctx, "ListStackResources"); err != nil {
		return nil, err
	}
	_, a := f.now(aws.ToString(in.StackName))
	if a == nil {
		return &cloudformation.ListStackResourcesOutput{}, nil
	}
	return &cloudformation.ListStackResourcesOutput{StackResourceSummaries: a.Resources}, nil
}

func (f *CF) DeleteStack(ctx context.Context, in *cloudformation.DeleteStackInput, _ ...func(*cloudformation.Options)) (*cloudformation.DeleteStackOutput, error) {
	op := "DeleteStack"
	if len(in.RetainResources) > 0 {
		op += " retaining " + strings.Join(in.RetainResources, ",")
	}
	if err := f.call(ctx, op); err != nil {
		return nil, err
	}
	if a := f.next(aws.ToString(in.StackName)); a.DeleteErr != nil {
		return nil, a.DeleteErr
	}
	return &cloudformation.DeleteStackOutput{}, nil
}

func (f *CF) ContinueUpdateRollback(ctx context.Context, in *cloudformation.ContinueUpdateRollbackInput, _ ...func(*cloudformation.Options)) (*cloudformation.ContinueUpdateRollbackOutput, error) {
	if err := f.call(ctx, "ContinueUpdateRollback skipping "+strings.Join(in.ResourcesToSkip, ",")); err != nil {
		return nil, err
	}
	f.next(aws.ToString(in.StackName))
	return &cloudformation.ContinueUpdateRollbackOutput{}, nil
}

func (f *CF) ExecuteChangeSet(ctx context.Context, in *cloudformation.ExecuteChangeSetInput, _ ...func(*cloudformation.Options)) (*cloudformation.ExecuteChangeSetOutput, error) {
	if err := f.call(ctx, "ExecuteChangeSet"); err != nil {
		return nil, err
	}
	f.next(aws.ToString(in.StackName))
	return &cloudformation.ExecuteChangeSetOutput{}, nil
}

func (f *CF) CreateChangeSet(ctx context.Context, in *cloudformation.CreateChangeSetInput, _ ...func(*cloudformation.Options)) (*cloudformation.CreateChangeSetOutput, error) {
	if err := f.call(ctx, "CreateChangeSet:"+string(in.ChangeSetType)); err != nil {
		return nil, err
	}
	return &cloudformation.CreateChangeSetOutput{Id: aws.String("cs-1")}, nil
}

func (f *CF) DescribeChangeSet(ctx context.Context, _ *cloudformation.DescribeChangeSetInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeChangeSetOutput, error) {
	if err := f.call(ctx, "DescribeChangeSet"); err != nil {
		return nil, err
	}
	return &cloudformation.DescribeChangeSetOutput{Status: types.ChangeSetStatusCreateComplete}, nil
}

func (f *CF) GetTemplate(ctx context.Context, _ *cloudformation.GetTemplateInput, _ ...func(*cloudformation.Options)) (*cloudformation.GetTemplateOutput, error) {
	if err := f.call(ctx, "GetTemplate"); err != nil {
		return nil, err
	}
	return &cloudformation.GetTemplateOutput{TemplateBody: aws.String("Resources: {}\n")}, nil
}

// Did reports whether an operation whose name starts with op was called.
func (f *CF) Did(op string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.calls {
		if strings.HasPrefix(c, op) {
			return true
		}
	}
	return false
}

// Ops are the calls that change something, in order, "; " between them: every call
// but the reads (Describe*, ListStackResources, GetTemplate).
func (f *CF) Ops() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.calls {
		if !strings.HasPrefix(c, "Describe") && c != "ListStackResources" && c != "GetTemplate" {
			out = append(out, c)
		}
	}
	return strings.Join(out, "; ")
}
