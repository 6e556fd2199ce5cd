package stacks

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/berthdev/berth/internal/hint"
)

// Waits ask less often while nothing happens, and at once again when something does.
func TestPollingBacksOffAndComesBack(t *testing.T) {
	p := newPace(2 * time.Second)
	var got []time.Duration
	for range 6 {
		got = append(got, p.next(false))
	}
	want := []time.Duration{2 * time.Second, 3 * time.Second, 4500 * time.Millisecond, 6750 * time.Millisecond, 10 * time.Second, 10 * time.Second}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("pauses %v, want %v", got, want)
		}
	}
	if d := p.next(true); d != 2*time.Second {
		t.Errorf("after news: %s, want the start again", d)
	}
}

// However long the pauses, every event of the operation is reported once, in order.
func TestWaitLosesNoEvent(t *testing.T) {
	const s = "berth-dev-network"
	cf := &fakeCF{stacks: map[string]*fakeStack{s: {statuses: []string{"CREATE_COMPLETE"},
		then:   []string{"UPDATE_IN_PROGRESS", "UPDATE_IN_PROGRESS", "UPDATE_IN_PROGRESS", "UPDATE_COMPLETE"},
		events: []types.StackEvent{ev(s, s, cfnStack, "CREATE_COMPLETE", "")},
		thenEvents: []types.StackEvent{
			ev(s, s, cfnStack, "UPDATE_COMPLETE", ""),
			ev(s, "NatGateway2", "AWS::EC2::NatGateway", "UPDATE_COMPLETE", ""),
			ev(s, "NatGateway1", "AWS::EC2::NatGateway", "UPDATE_COMPLETE", ""),
			ev(s, "Subnet1", "AWS::EC2::Subnet", "UPDATE_COMPLETE", ""),
			ev(s, "Subnet1", "AWS::EC2::Subnet", "UPDATE_IN_PROGRESS", ""),
			ev(s, s, cfnStack, "UPDATE_IN_PROGRESS", "User Initiated"),
		}}}}
	q := &quiet{}
	events := NewEvents(context.Background(), cf, s, q.Event)
	if err := Execute(context.Background(), cf, s, "cs"); err != nil {
		t.Fatal(err)
	}
	st, err := Wait(context.Background(), cf, s, events, time.Millisecond)
	if err != nil || st.Status != "UPDATE_COMPLETE" {
		t.Fatalf("%v %+v", err, st)
	}
	var order []string
	for _, e := range q.events {
		order = append(order, e.Resource+":"+e.Status)
	}
	if got := strings.Join(order, " "); got != "berth-dev-network:UPDATE_IN_PROGRESS Subnet1:UPDATE_IN_PROGRESS Subnet1:UPDATE_COMPLETE NatGateway1:UPDATE_COMPLETE NatGateway2:UPDATE_COMPLETE berth-dev-network:UPDATE_COMPLETE" {
		t.Errorf("events %s", got)
	}
}

// A change set CloudFormation takes too long to compute is given up on, saying that it
// goes on being computed and how to watch it; nothing was changed.
func TestChangeSetWaitIsBounded(t *testing.T) {
	defer func(d time.Duration) { ChangeSetWait = d }(ChangeSetWait)
	ChangeSetWait = 20 * time.Millisecond
	cf := &fakeCF{changeSets: []string{"CREATE_PENDING", "CREATE_IN_PROGRESS"}}
	start := time.Now()
	_, _, err := CreateChangeSet(context.Background(), cf, &cloudformation.CreateChangeSetInput{StackName: aws.String("berth-dev-cluster")}, time.Millisecond)
	if err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("err %v after %s", err, time.Since(start))
	}
	h, _ := err.(*hint.Error)
	if !strings.Contains(err.Error(), "gave up waiting for the change set of berth-dev-cluster after 20ms (still CREATE_IN_PROGRESS); CloudFormation goes on computing it") ||
		h == nil || !strings.Contains(h.Hint(), "aws cloudformation describe-change-set --stack-name berth-dev-cluster --change-set-name arn:aws:cloudformation:") {
		t.Errorf("%v (%v)", err, h)
	}
}

// Ctrl-C during any AWS call gives the advice Ctrl-C during a wait gives: which stack,
// whether its operation goes on, how to watch it. Each case stops a slow call.
func TestInterruptedAnywhereSaysWhatGoesOn(t *testing.T) {
	const s = "berth-dev-svc-api"
	for _, tc := range []struct {
		name  string
		block string
		run   func(ctx context.Context, cf *fakeCF) error
		want  string
		hint  string
	}{
		{
			name: "during the wait's DescribeStacks", block: "DescribeStacks#3",
			run: func(ctx context.Context, cf *fakeCF) error {
				return Delete(ctx, cf, &quiet{}, s, time.Millisecond)
			},
			want: "stopped waiting for berth-dev-svc-api; the stack operation goes on in CloudFormation",
			hint: "aws cloudformation describe-stack-events --stack-name berth-dev-svc-api",
		},
		{
			name: "during the DeleteStack call", block: "DeleteStack",
			run: func(ctx context.Context, cf *fakeCF) error {
				return Delete(ctx, cf, &quiet{}, s, time.Millisecond)
			},
			want: "stopped while asking CloudFormation to change berth-dev-svc-api; if the request arrived, the stack operation goes on",
			hint: "aws cloudformation describe-stack-events --stack-name berth-dev-svc-api",
		},
		{
			name: "during the events read after the operation started", block: "DescribeStackEvents#2",
			run: func(ctx context.Context, cf *fakeCF) error {
				events := NewEvents(ctx, cf, s, nil)
				if err := Execute(ctx, cf, s, "cs"); err != nil {
					return err
				}
				_, err := Wait(ctx, cf, s, events, time.Millisecond)
				return err // unexplained: Explain explains it
			},
			want: "stopped waiting for berth-dev-svc-api; the stack operation goes on in CloudFormation",
			hint: "cancel-update-stack --stack-name berth-dev-svc-api",
		},
		{
			name: "while a change set is made", block: "CreateChangeSet",
			run: func(ctx context.Context, cf *fakeCF) error {
				_, _, err := CreateChangeSet(ctx, cf, &cloudformation.CreateChangeSetInput{StackName: aws.String(s)}, time.Millisecond)
				return err
			},
			want: "stopped at berth-dev-svc-api: no stack operation of it goes on in CloudFormation",
			hint: `run "berth deploy" again`,
		},
		{
			name: "before any stack", block: "DescribeStacks",
			run: func(ctx context.Context, cf *fakeCF) error {
				_, err := Describe(ctx, cf, s)
				return err
			},
			want: "stopped before any stack changed: no stack operation goes on in CloudFormation",
			hint: `run "berth deploy" again`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cf := &fakeCF{stacks: map[string]*fakeStack{s: {statuses: []string{"UPDATE_COMPLETE"},
				then: []string{"UPDATE_IN_PROGRESS"}}}, slow: tc.block}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			cf.reached = cancel // the user presses Ctrl-C once the slow call is under way
			ctx, op := Track(ctx)
			err := op.Explain(tc.run(ctx, cf), "berth deploy")
			h, _ := err.(*hint.Error)
			if err == nil || !strings.Contains(err.Error(), tc.want) || h == nil || !strings.Contains(h.Hint(), tc.hint) {
				t.Fatalf("err %v (hint %v), want %q and %q", err, h, tc.want, tc.hint)
			}
		})
	}
}
