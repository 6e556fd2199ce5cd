package deploy

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/buckets"
	"github.com/berthdev/berth/internal/environment"
	"github.com/berthdev/berth/internal/session"
	"github.com/berthdev/berth/internal/stacks"
	"github.com/berthdev/berth/internal/synth"
	"github.com/berthdev/berth/internal/traffic"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/berthdev/berth/internal/manifest"
)

// fakeCF is a stack that a failed first create left in ROLLBACK_COMPLETE: moto never
// produces that state, so this logic is tested on a fake.
type fakeCF struct {
	stacks.CloudFormation
	status  types.StackStatus
	deleted bool
	calls   []string
}

func (f *fakeCF) DescribeStacks(_ context.Context, in *cloudformation.DescribeStacksInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error) {
	f.calls = append(f.calls, "DescribeStacks")
	if f.deleted {
		return nil, &smithy.GenericAPIError{Code: "ValidationError", Message: "Stack with id " + *in.StackName + " does not exist"}
	}
	return &cloudformation.DescribeStacksOutput{Stacks: []types.Stack{{StackName: in.StackName, StackStatus: f.status}}}, nil
}

func (f *fakeCF) DescribeStackEvents(context.Context, *cloudformation.DescribeStackEventsInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeStackEventsOutput, error) {
	return &cloudformation.DescribeStackEventsOutput{}, nil
}

func (f *fakeCF) ListStackResources(context.Context, *cloudformation.ListStackResourcesInput, ...func(*cloudformation.Options)) (*cloudformation.ListStackResourcesOutput, error) {
	return &cloudformation.ListStackResourcesOutput{}, nil
}

func (f *fakeCF) DeleteStack(context.Context, *cloudformation.DeleteStackInput, ...func(*cloudformation.Options)) (*cloudformation.DeleteStackOutput, error) {
	f.calls = append(f.calls, "DeleteStack")
	f.deleted = true
	return &cloudformation.DeleteStackOutput{}, nil
}

func (f *fakeCF) CreateChangeSet(_ context.Context, in *cloudformation.CreateChangeSetInput, _ ...func(*cloudformation.Options)) (*cloudformation.CreateChangeSetOutput, error) {
	f.calls = append(f.calls, "CreateChangeSet:"+string(in.ChangeSetType))
	return nil, &smithy.GenericAPIError{Code: "Stop", Message: "enough"}
}

func TestRollbackCompleteIsDeletedBeforeRetrying(t *testing.T) {
	cf := &fakeCF{status: types.StackStatusRollbackComplete}
	var out bytes.Buffer
	c := &Clients{CF: cf, S3: uploadOnly{}}
	o := Options{Env: "dev", Manifest: &manifest.Manifest{Name: "api"}, Progress: &lines{w: &out}, Poll: time.Millisecond}
	sp := &StackPlan{target: &target{kind: "network", name: "berth-dev-network", body: []byte("x")}}
	_, err := c.applyStack(context.Background(), o, buckets.NewArtifacts(uploadOnly{}, "1", "us-east-1", true), sp, map[string]string{})
	if err == nil || !strings.Contains(err.Error(), "enough") {
		t.Fatalf("err %v", err)
	}
	got := strings.Join(cf.calls, " ")
	if !strings.Contains(got, "DeleteStack") || !strings.HasSuffix(got, "CreateChangeSet:CREATE") {
		t.Errorf("calls %s: want the stack deleted, then a CREATE change set", got)
	}
	if !strings.Contains(out.String(), "ROLLBACK_COMPLETE, which CloudFormation cannot update") {
		t.Errorf("no message:\n%s", out.String())
	}
}

type uploadOnly struct{ buckets.S3 }

func (uploadOnly) PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	return &s3.PutObjectOutput{}, nil
}

// lines is a Progress that writes berth's own messages a line each (the views are
// package progress's, which imports this one).
type lines struct {
	stacks.Progress
	w io.Writer
}

func (l *lines) Message(m string)          { fmt.Fprintln(l.w, m) }
func (l *lines) Event(stacks.Event)        {}
func (l *lines) Stack(string, string, int) {}
func (l *lines) Done()                     {}
func (l *lines) Identity(session.Identity) {}
func (l *lines) Plan(*Plan)                {}
func (l *lines) Restart()                  {}

// The Auto Scaling group keeps the size the capacity provider scaled it to through a
// cluster update, unless the manifest changes capacity.desired (aws/aws-cdk#5215).
func TestAClusterUpdateLeavesTheGroupsSizeAlone(t *testing.T) {
	deployed := &stacks.Stack{Name: "berth-dev-cluster", Status: "UPDATE_COMPLETE"}
	for _, tc := range []struct {
		name     string
		desired  int
		live     *stacks.Stack
		settings map[string]string
		want     string
	}{
		{"a new cluster starts with capacity.desired", 2, nil, nil, "2"},
		{"an update with the same capacity.desired leaves the group alone", 2, deployed, map[string]string{"capacity.desired": "2"}, "0"},
		{"an update of capacity.desired sets it", 3, deployed, map[string]string{"capacity.desired": "2"}, "3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := &manifest.Manifest{Name: "api"}
			m.Capacity.Desired = tc.desired
			p := &prepared{m: m, env: &environment.Environment{Settings: tc.settings}}
			tg := &target{kind: synth.Cluster, live: tc.live, declared: []string{synth.ParamDesiredCapacity}, tags: map[string]string{}}
			if got := p.params(tg, nil, "")[synth.ParamDesiredCapacity]; got != tc.want {
				t.Errorf("DesiredCapacity %q, want %q", got, tc.want)
			}
		})
	}
}
func (l *lines) Rollout(*traffic.View) {}

// With an existing VPC the cluster and the service get its ids under the names the
// network stack's outputs would have, from the manifest, subnets sorted.
func TestAnExistingVPCIsPassedAsTheNetworkStacksOutputs(t *testing.T) {
	m, err := manifest.Parse([]byte("name: api\nnetwork:\n  vpc: vpc-0abc1234\n  public_subnets: [subnet-0bbb2222, subnet-0aaa1111]\n  private_subnets: [subnet-0ddd4444, subnet-0ccc3333]\n"), "berth.yml")
	if err != nil {
		t.Fatal(err)
	}
	p := &prepared{m: m}
	got := p.params(&target{kind: "service", tags: map[string]string{"berth:env": "dev"}, declared: []string{"Env", "PublicSubnets", "TaskSubnets", "VpcId"}}, nil, "img")
	want := map[string]string{"Env": "dev", "VpcId": "vpc-0abc1234", "PublicSubnets": "subnet-0aaa1111,subnet-0bbb2222", "TaskSubnets": "subnet-0ccc3333,subnet-0ddd4444"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("params %v, want %v", got, want)
	}
}
