package stacks

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
)

// Event is one stack event, as berth reports it.
type Event struct {
	Time     time.Time `json:"time"`
	Stack    string    `json:"stack"`
	Resource string    `json:"resource"`
	Type     string    `json:"type"`
	Status   string    `json:"status"`
	Reason   string    `json:"reason,omitempty"`
}

// Events reports a stack's events that are newer than what it has seen.
type Events struct {
	cf    CloudFormation
	stack string
	seen  map[string]bool
	all   []Event // oldest first, for the root cause
	sink  func(Event)
}

// NewEvents remembers the events the stack has already, so that only the
// operation that follows is reported.
func NewEvents(ctx context.Context, cf CloudFormation, stack string, sink func(Event)) *Events {
	s := &Events{cf: cf, stack: stack, seen: map[string]bool{}, sink: sink}
	s.fetch(ctx, false)
	return s
}

// Poll reports the events that came since the last look.
func (s *Events) Poll(ctx context.Context) error {
	_, err := s.fetch(ctx, true)
	return err
}

// All are the events reported so far, oldest first.
func (s *Events) All() []Event { return s.all }

// fetch reads the events newer than those seen (every page of them, however long the
// pause since the last look was) and says how many came.
func (s *Events) fetch(ctx context.Context, report bool) (int, error) {
	var fresh []Event
	p := cloudformation.NewDescribeStackEventsPaginator(s.cf, &cloudformation.DescribeStackEventsInput{StackName: aws.String(s.stack)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return 0, err
		}
		done := false
		for _, e := range page.StackEvents { // newest first
			id := aws.ToString(e.EventId)
			if s.seen[id] {
				done = true
				break
			}
			s.seen[id] = true
			fresh = append(fresh, Event{
				Time: aws.ToTime(e.Timestamp), Stack: s.stack, Resource: aws.ToString(e.LogicalResourceId),
				Type: aws.ToString(e.ResourceType), Status: string(e.ResourceStatus), Reason: aws.ToString(e.ResourceStatusReason),
			})
		}
		if done {
			break
		}
	}
	for i := len(fresh) - 1; i >= 0; i-- {
		if report {
			s.all = append(s.all, fresh[i])
			if s.sink != nil {
				s.sink(fresh[i])
			}
		}
	}
	return len(fresh), nil
}
