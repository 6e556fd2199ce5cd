package stacks

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
)

// fakeCF answers as CloudFormation answered for stacks in the states the emulator
// never produces: each stack's DescribeStacks answers in turn (the last one repeats),
// its events (newest first, as DescribeStackEvents pages them) and its resources.
type fakeCF struct {
	CloudFormation
	mu     sync.Mutex
	stacks map[string]*fakeStack
	calls  []string
	// slow makes one call ("Op#n": the n-th call of Op; "Op": the first) call reached,
	// then wait for the caller's context to end, as a slow or unanswered call does when
	// the user presses Ctrl-C
	slow    string
	reached func()
	// deleteErr fails DeleteStack as the emulator fails a delete: at once, the stack
	// then DELETE_FAILED
	deleteErr  error
	retained   []string
	skipped    []string
	changeSets []string // DescribeChangeSet answers in turn
}

type fakeStack struct {
	statuses  []string // "" = does not exist
	reason    string
	events    []types.StackEvent
	resources []types.StackResourceSummary
	// after an operation starts (DeleteStack, ContinueUpdateRollback), these statuses and
	// events take over
	then       []string
	thenEvents []types.StackEvent
}

func (f *fakeCF) call(ctx context.Context, op string) error {
	f.mu.Lock()
	f.calls = append(f.calls, op)
	n := 0
	for _, c := range f.calls {
		if c == op {
			n++
		}
	}
	slow := f.slow == fmt.Sprintf("%s#%d", op, n) || f.slow == op && n == 1
	f.mu.Unlock()
	if slow {
		if f.reached != nil {
			f.reached()
		}
		<-ctx.Done()
		return &smithy.OperationError{ServiceID: "CloudFormation", OperationName: op, Err: ctx.Err()}
	}
	return nil
}

func (f *fakeCF) stack(name string) *fakeStack {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.stacks[name]
}

func notFound(name string) error {
	return &smithy.GenericAPIError{Code: "ValidationError", Message: "Stack with id " + name + " does not exist"}
}

func (f *fakeCF) DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error) {
	if err := f.call(ctx, "DescribeStacks"); err != nil {
		return nil, err
	}
	s := f.stack(aws.ToString(in.StackName))
	if s == nil || len(s.statuses) == 0 {
		return nil, notFound(aws.ToString(in.StackName))
	}
	f.mu.Lock()
	status := s.statuses[0]
	if len(s.statuses) > 1 {
		s.statuses = s.statuses[1:]
	}
	f.mu.Unlock()
	if status == "" {
		return nil, notFound(aws.ToString(in.StackName))
	}
	return &cloudformation.DescribeStacksOutput{Stacks: []types.Stack{{StackName: in.StackName, StackStatus: types.StackStatus(status),
		StackStatusReason: aws.String(s.reason)}}}, nil
}

func (f *fakeCF) DescribeStackEvents(ctx context.Context, in *cloudformation.DescribeStackEventsInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStackEventsOutput, error) {
	if err := f.call(ctx, "DescribeStackEvents"); err != nil {
		return nil, err
	}
	s := f.stack(aws.ToString(in.StackName))
	if s == nil {
		return nil, notFound(aws.ToString(in.StackName))
	}
	// two events a page, so that paging is exercised
	start := 0
	if in.NextToken != nil {
		fmt.Sscan(*in.NextToken, &start)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	end := min(start+2, len(s.events))
	out := &cloudformation.DescribeStackEventsOutput{StackEvents: s.events[start:end]}
	if end < len(s.events) {
		out.NextToken = aws.String(fmt.Sprint(end))
	}
	return out, nil
}

func (f *fakeCF) ListStackResources(ctx context.Context, in *cloudformation.ListStackResourcesInput, _ ...func(*cloudformation.Options)) (*cloudformation.ListStackResourcesOutput, error) {
	if err := f.call(ctx, "ListStackResources"); err != nil {
		return nil, err
	}
	s := f.stack(aws.ToString(in.StackName))
	if s == nil {
		return nil, notFound(aws.ToString(in.StackName))
	}
	return &cloudformation.ListStackResourcesOutput{StackResourceSummaries: s.resources}, nil
}

func (f *fakeCF) start(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.stacks[name]
	if s.then != nil {
		s.statuses, s.then = s.then, nil
	}
	s.events = append(append([]types.StackEvent{}, s.thenEvents...), s.events...)
}

func (f *fakeCF) DeleteStack(ctx context.Context, in *cloudformation.DeleteStackInput, _ ...func(*cloudformation.Options)) (*cloudformation.DeleteStackOutput, error) {
	if err := f.call(ctx, "DeleteStack"); err != nil {
		return nil, err
	}
	f.retained = in.RetainResources
	f.start(aws.ToString(in.StackName))
	if f.deleteErr != nil {
		return nil, f.deleteErr
	}
	return &cloudformation.DeleteStackOutput{}, nil
}

func (f *fakeCF) ContinueUpdateRollback(ctx context.Context, in *cloudformation.ContinueUpdateRollbackInput, _ ...func(*cloudformation.Options)) (*cloudformation.ContinueUpdateRollbackOutput, error) {
	if err := f.call(ctx, "ContinueUpdateRollback"); err != nil {
		return nil, err
	}
	f.skipped = in.ResourcesToSkip
	f.start(aws.ToString(in.StackName))
	return &cloudformation.ContinueUpdateRollbackOutput{}, nil
}

func (f *fakeCF) ExecuteChangeSet(ctx context.Context, in *cloudformation.ExecuteChangeSetInput, _ ...func(*cloudformation.Options)) (*cloudformation.ExecuteChangeSetOutput, error) {
	if err := f.call(ctx, "ExecuteChangeSet"); err != nil {
		return nil, err
	}
	f.start(aws.ToString(in.StackName))
	return &cloudformation.ExecuteChangeSetOutput{}, nil
}

func (f *fakeCF) CreateChangeSet(ctx context.Context, in *cloudformation.CreateChangeSetInput, _ ...func(*cloudformation.Options)) (*cloudformation.CreateChangeSetOutput, error) {
	if err := f.call(ctx, "CreateChangeSet"); err != nil {
		return nil, err
	}
	return &cloudformation.CreateChangeSetOutput{Id: aws.String("arn:aws:cloudformation:us-east-1:123456789012:changeSet/berth-1/abc")}, nil
}

func (f *fakeCF) DescribeChangeSet(ctx context.Context, in *cloudformation.DescribeChangeSetInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeChangeSetOutput, error) {
	if err := f.call(ctx, "DescribeChangeSet"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	status := f.changeSets[0]
	if len(f.changeSets) > 1 {
		f.changeSets = f.changeSets[1:]
	}
	return &cloudformation.DescribeChangeSetOutput{Status: types.ChangeSetStatus(status)}, nil
}

// ev is one recorded stack event; events are listed newest first, as CloudFormation
// answers them.
func ev(stack, resource, typ, status, reason string) types.StackEvent {
	evN++
	return types.StackEvent{EventId: aws.String(fmt.Sprintf("e%d", evN)), StackName: aws.String(stack), LogicalResourceId: aws.String(resource),
		ResourceType: aws.String(typ), ResourceStatus: types.ResourceStatus(status), ResourceStatusReason: aws.String(reason),
		Timestamp: aws.Time(time.Unix(int64(1_700_000_000+evN), 0))}
}

var evN int

func res(logical, typ, status, reason, physical string) types.StackResourceSummary {
	return types.StackResourceSummary{LogicalResourceId: aws.String(logical), ResourceType: aws.String(typ),
		ResourceStatus: types.ResourceStatus(status), ResourceStatusReason: aws.String(reason), PhysicalResourceId: aws.String(physical)}
}

// quiet is a Progress that records berth's own messages and the events it was shown.
type quiet struct {
	mu     sync.Mutex
	lines  []string
	events []Event
}

func (q *quiet) Event(e Event) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.events = append(q.events, e)
}
func (q *quiet) Stack(string, string, int) {}
func (q *quiet) Message(m string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.lines = append(q.lines, m)
}
func (q *quiet) Done() {}
func (q *quiet) text() string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return strings.Join(q.lines, "\n")
}
