package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/style"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/berthdev/berth/internal/manifest"
)

// fakeCF is a stack that a failed first create left in ROLLBACK_COMPLETE: moto never
// produces that state, so this logic is tested on a fake.
type fakeCF struct {
	CloudFormation
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
	o := Options{Env: "dev", Manifest: &manifest.Manifest{Name: "api"}, Progress: NewProgress(&out, "text", false, style.Plain()), Poll: time.Millisecond}
	sp := &StackPlan{target: &target{kind: "network", name: "berth-dev-network", body: []byte("x")}}
	_, err := c.applyStack(context.Background(), o, &artifacts{api: uploadOnly{}, bucket: "b", owner: "1", emulated: true}, sp, map[string]string{})
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

type uploadOnly struct{ S3 }

func (uploadOnly) PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	return &s3.PutObjectOutput{}, nil
}

func TestProgressViews(t *testing.T) {
	ev := Event{Stack: "berth-dev-network", Resource: "VPC", Type: "AWS::EC2::VPC", Status: "CREATE_COMPLETE"}

	var plain bytes.Buffer
	p := NewProgress(&plain, "text", false, style.Plain())
	p.Event(ev)
	if strings.Contains(plain.String(), "\x1b[") || !strings.Contains(plain.String(), "VPC") || !strings.Contains(plain.String(), "CREATE_COMPLETE") {
		t.Errorf("plain: %q", plain.String())
	}

	var js bytes.Buffer
	p = NewProgress(&js, "json", false, style.Plain())
	p.Event(ev)
	p.Message("hello")
	for _, line := range strings.Split(strings.TrimSpace(js.String()), "\n") {
		var v map[string]any
		if err := json.Unmarshal([]byte(line), &v); err != nil || v["kind"] == nil {
			t.Errorf("not a JSON event line: %q", line)
		}
	}

	// JSON lines carry fields, not prose
	var idl bytes.Buffer
	NewProgress(&idl, "json", false, style.Plain()).Identity(Identity{Account: "123456789012", Region: "eu-west-1", ARN: "arn:aws:iam::123456789012:user/a"})
	var id map[string]any
	if err := json.Unmarshal(idl.Bytes(), &id); err != nil || id["account"] != "123456789012" || id["region"] != "eu-west-1" || id["caller"] == nil {
		t.Errorf("identity line %s", idl.String())
	}

	// on a terminal a stack is one line redrawn in place, counting its resources
	var tty bytes.Buffer
	p = NewProgress(&tty, "text", true, style.Plain())
	p.Stack("berth-dev-network", "started", 2)
	ev.Status = "CREATE_IN_PROGRESS"
	p.Event(ev)
	ev.Status = "CREATE_COMPLETE"
	p.Event(ev)
	p.Event(Event{Stack: "berth-dev-network", Resource: "Subnet", Type: "AWS::EC2::Subnet", Status: "CREATE_COMPLETE"})
	p.Stack("berth-dev-network", "CREATE_COMPLETE", 2)
	out := tty.String()
	if !strings.Contains(out, "\r\x1b[2K") || !strings.Contains(out, "1/2 resources") || !strings.Contains(out, "2/2 resources") ||
		strings.Count(out, "\n") != 1 || strings.Contains(out, "AWS::EC2::VPC") {
		t.Errorf("tty view is not one line per stack redrawn in place: %q", out)
	}
}

// moto-server now models capacity providers, so "emulator" must be decided from the
// endpoint and the absence of container instances, never from a missing provider.
func TestVerifySkipsOnlyAnEmulatorWithoutInstances(t *testing.T) {
	for _, tc := range []struct {
		emulated  string
		instances int32
		providers []string
		skip      bool
	}{
		{"AWS_ENDPOINT_URL=http://127.0.0.1:5000", 0, []string{"berth-dev-cluster-CapacityProvider-x"}, true},
		{"AWS_ENDPOINT_URL=http://127.0.0.1:5000", 0, nil, true},
		{"AWS_ENDPOINT_URL=http://127.0.0.1:5000", 2, []string{"cp"}, false}, // LocalStack with real containers
		{"", 0, nil, false}, // AWS before the capacity provider launched anything: wait, then fail
		{"", 0, []string{"cp"}, false},
	} {
		c := &Clients{Emulated: tc.emulated}
		st := &Status{Desired: 2, Pending: 2, ContainerInstances: tc.instances, Capacity: tc.providers}
		if got := c.emulatorRunsNothing(st); got != tc.skip {
			t.Errorf("%+v: skip %v, want %v", tc, got, tc.skip)
		}
		if got := c.countCheck(st).Result; (got == "skip") != tc.skip {
			t.Errorf("%+v: count check %s", tc, got)
		}
	}
}
