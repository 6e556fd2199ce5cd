package deploy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	acmtypes "github.com/aws/aws-sdk-go-v2/service/acm/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/berthdev/berth/internal/buckets"
	"github.com/berthdev/berth/internal/edge"
	"github.com/berthdev/berth/internal/hint"
	"github.com/berthdev/berth/internal/manifest"
	"github.com/berthdev/berth/internal/registry"
	"github.com/berthdev/berth/internal/session"
	"github.com/berthdev/berth/internal/stacks"
	"github.com/berthdev/berth/internal/synth"
)

// scriptedCF answers for stacks as CloudFormation answered in the states the emulator
// never produces the AWS way: each stack's DescribeStacks answers in turn (the last
// repeats; "" = gone), its events and resources; an operation (DeleteStack,
// ContinueUpdateRollback, ExecuteChangeSet) moves it to the next act of its script.
type scriptedCF struct {
	stacks.CloudFormation
	mu      sync.Mutex
	stacks  map[string]*script
	calls   []string
	slow    string // an operation that waits for the caller's context to end
	reached func()
}

type script struct {
	acts   []act // the first is now; each operation moves to the next
	events []types.StackEvent
}

type act struct {
	statuses  []string
	reason    string
	events    []types.StackEvent // added (newest first) when the act begins
	resources []types.StackResourceSummary
	outputs   map[string]string
	deleteErr error // DeleteStack answers this (the emulator fails a delete at once)
}

var eventID int

func event(stack, resource, typ, status, reason string) types.StackEvent {
	eventID++
	return types.StackEvent{EventId: aws.String(fmt.Sprint(eventID)), StackName: aws.String(stack), LogicalResourceId: aws.String(resource),
		ResourceType: aws.String(typ), ResourceStatus: types.ResourceStatus(status), ResourceStatusReason: aws.String(reason),
		Timestamp: aws.Time(time.Unix(int64(1_700_000_000+eventID), 0))}
}

func resource(logical, typ, status, reason, physical string) types.StackResourceSummary {
	return types.StackResourceSummary{LogicalResourceId: aws.String(logical), ResourceType: aws.String(typ),
		ResourceStatus: types.ResourceStatus(status), ResourceStatusReason: aws.String(reason), PhysicalResourceId: aws.String(physical)}
}

func (f *scriptedCF) call(ctx context.Context, op string) error {
	f.mu.Lock()
	f.calls = append(f.calls, op)
	f.mu.Unlock()
	if f.slow == op {
		f.reached()
		<-ctx.Done()
		return &smithy.OperationError{ServiceID: "CloudFormation", OperationName: op, Err: ctx.Err()}
	}
	return nil
}

func (f *scriptedCF) now(name string) (*script, *act) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.stacks[name]
	if s == nil || len(s.acts) == 0 {
		return nil, nil
	}
	return s, &s.acts[0]
}

func (f *scriptedCF) next(name string) *act {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.stacks[name]
	if len(s.acts) > 1 {
		s.acts = s.acts[1:]
		s.events = append(append([]types.StackEvent{}, s.acts[0].events...), s.events...)
	}
	return &s.acts[0]
}

func (f *scriptedCF) DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error) {
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
	status := a.statuses[0]
	if len(a.statuses) > 1 {
		a.statuses = a.statuses[1:]
	}
	f.mu.Unlock()
	if status == "" {
		return nil, gone
	}
	st := types.Stack{StackName: in.StackName, StackStatus: types.StackStatus(status), StackStatusReason: aws.String(a.reason)}
	for k, v := range a.outputs {
		st.Outputs = append(st.Outputs, types.Output{OutputKey: aws.String(k), OutputValue: aws.String(v)})
	}
	return &cloudformation.DescribeStacksOutput{Stacks: []types.Stack{st}}, nil
}

func (f *scriptedCF) DescribeStackEvents(ctx context.Context, in *cloudformation.DescribeStackEventsInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStackEventsOutput, error) {
	if err := f.call(ctx, "DescribeStackEvents"); err != nil {
		return nil, err
	}
	s, _ := f.now(aws.ToString(in.StackName))
	if s == nil {
		return &cloudformation.DescribeStackEventsOutput{}, nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return &cloudformation.DescribeStackEventsOutput{StackEvents: append([]types.StackEvent{}, s.events...)}, nil
}

func (f *scriptedCF) ListStackResources(ctx context.Context, in *cloudformation.ListStackResourcesInput, _ ...func(*cloudformation.Options)) (*cloudformation.ListStackResourcesOutput, error) {
	if err := f.call(ctx, "ListStackResources"); err != nil {
		return nil, err
	}
	_, a := f.now(aws.ToString(in.StackName))
	if a == nil {
		return &cloudformation.ListStackResourcesOutput{}, nil
	}
	return &cloudformation.ListStackResourcesOutput{StackResourceSummaries: a.resources}, nil
}

func (f *scriptedCF) DeleteStack(ctx context.Context, in *cloudformation.DeleteStackInput, _ ...func(*cloudformation.Options)) (*cloudformation.DeleteStackOutput, error) {
	op := "DeleteStack"
	if len(in.RetainResources) > 0 {
		op += " retaining " + strings.Join(in.RetainResources, ",")
	}
	if err := f.call(ctx, op); err != nil {
		return nil, err
	}
	if a := f.next(aws.ToString(in.StackName)); a.deleteErr != nil {
		return nil, a.deleteErr
	}
	return &cloudformation.DeleteStackOutput{}, nil
}

func (f *scriptedCF) ContinueUpdateRollback(ctx context.Context, in *cloudformation.ContinueUpdateRollbackInput, _ ...func(*cloudformation.Options)) (*cloudformation.ContinueUpdateRollbackOutput, error) {
	if err := f.call(ctx, "ContinueUpdateRollback skipping "+strings.Join(in.ResourcesToSkip, ",")); err != nil {
		return nil, err
	}
	f.next(aws.ToString(in.StackName))
	return &cloudformation.ContinueUpdateRollbackOutput{}, nil
}

func (f *scriptedCF) ExecuteChangeSet(ctx context.Context, in *cloudformation.ExecuteChangeSetInput, _ ...func(*cloudformation.Options)) (*cloudformation.ExecuteChangeSetOutput, error) {
	if err := f.call(ctx, "ExecuteChangeSet"); err != nil {
		return nil, err
	}
	f.next(aws.ToString(in.StackName))
	return &cloudformation.ExecuteChangeSetOutput{}, nil
}

func (f *scriptedCF) CreateChangeSet(ctx context.Context, in *cloudformation.CreateChangeSetInput, _ ...func(*cloudformation.Options)) (*cloudformation.CreateChangeSetOutput, error) {
	if err := f.call(ctx, "CreateChangeSet:"+string(in.ChangeSetType)); err != nil {
		return nil, err
	}
	return &cloudformation.CreateChangeSetOutput{Id: aws.String("cs-1")}, nil
}

func (f *scriptedCF) DescribeChangeSet(ctx context.Context, _ *cloudformation.DescribeChangeSetInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeChangeSetOutput, error) {
	if err := f.call(ctx, "DescribeChangeSet"); err != nil {
		return nil, err
	}
	return &cloudformation.DescribeChangeSetOutput{Status: types.ChangeSetStatusCreateComplete}, nil
}

func (f *scriptedCF) GetTemplate(ctx context.Context, _ *cloudformation.GetTemplateInput, _ ...func(*cloudformation.Options)) (*cloudformation.GetTemplateOutput, error) {
	if err := f.call(ctx, "GetTemplate"); err != nil {
		return nil, err
	}
	return &cloudformation.GetTemplateOutput{TemplateBody: aws.String("Resources: {}\n")}, nil
}

func (f *scriptedCF) did(op string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.calls {
		if strings.HasPrefix(c, op) {
			return true
		}
	}
	return false
}

func (f *scriptedCF) ops() string {
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

// certs is ACM: which resources use each certificate (InUseBy), in turn per call.
type certs struct {
	edge.ACM
	inUseBy map[string][][]string
}

func (a *certs) DescribeCertificate(_ context.Context, in *acm.DescribeCertificateInput, _ ...func(*acm.Options)) (*acm.DescribeCertificateOutput, error) {
	users := a.inUseBy[aws.ToString(in.CertificateArn)]
	if len(users) == 0 {
		return nil, &acmtypes.ResourceNotFoundException{Message: aws.String("not found")}
	}
	now := users[0]
	if len(users) > 1 {
		a.inUseBy[aws.ToString(in.CertificateArn)] = users[1:]
	}
	return &acm.DescribeCertificateOutput{Certificate: &acmtypes.CertificateDetail{CertificateArn: in.CertificateArn, InUseBy: now}}, nil
}

// logBucket is S3 with one bucket that a late delivery refills: each listing of it
// finds the objects written since the last.
type logBucket struct {
	buckets.S3
	name      string
	fills     []int
	deleted   int
	artifacts int // object versions under the environment's artifact prefix
}

func (b *logBucket) ListObjectVersions(_ context.Context, in *s3.ListObjectVersionsInput, _ ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error) {
	if aws.ToString(in.Bucket) != b.name {
		if b.artifacts > 0 {
			return &s3.ListObjectVersionsOutput{Versions: make([]s3types.ObjectVersion, b.artifacts)}, nil
		}
		return nil, &smithy.GenericAPIError{Code: "NoSuchBucket", Message: "The specified bucket does not exist"}
	}
	out := &s3.ListObjectVersionsOutput{}
	if len(b.fills) > 0 {
		for i := range b.fills[0] {
			out.Versions = append(out.Versions, s3types.ObjectVersion{Key: aws.String(fmt.Sprintf("AWSLogs/%d.log.gz", i)), VersionId: aws.String("v")})
		}
		b.fills = b.fills[1:]
	}
	return out, nil
}

func (b *logBucket) DeleteObjects(_ context.Context, in *s3.DeleteObjectsInput, _ ...func(*s3.Options)) (*s3.DeleteObjectsOutput, error) {
	b.deleted += len(in.Delete.Objects)
	return &s3.DeleteObjectsOutput{}, nil
}

// noRepos is ECR without any repository.
type noRepos struct{ registry.ECR }

func (noRepos) DescribeRepositories(context.Context, *ecr.DescribeRepositoriesInput, ...func(*ecr.Options)) (*ecr.DescribeRepositoriesOutput, error) {
	return nil, &smithy.GenericAPIError{Code: "RepositoryNotFoundException", Message: "not found"}
}

const (
	svcStack = "berth-dev-svc-api"
	certARN  = "arn:aws:acm:us-east-1:123456789012:certificate/c1"
	ownLB    = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/berth-dev-api/1"
	otherLB  = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/someone-else/2"
	inUse    = "Resource handler returned message: \"Certificate " + certARN + " in account 123456789012 is in use. (Service: Acm, Status Code: 400)\""
)

// a delete of the service stack that fails at the certificate, as CloudFormation
// reports it
func certFails() act {
	return act{statuses: []string{"DELETE_IN_PROGRESS", "DELETE_FAILED"}, reason: "The following resource(s) failed to delete: [Certificate].",
		events: []types.StackEvent{
			event(svcStack, svcStack, "AWS::CloudFormation::Stack", "DELETE_FAILED", "The following resource(s) failed to delete: [Certificate]."),
			event(svcStack, "Certificate", "AWS::CertificateManager::Certificate", "DELETE_FAILED", inUse),
			event(svcStack, "Listener", "AWS::ElasticLoadBalancingV2::Listener", "DELETE_COMPLETE", ""),
			event(svcStack, svcStack, "AWS::CloudFormation::Stack", "DELETE_IN_PROGRESS", "User Initiated"),
		},
		resources: []types.StackResourceSummary{
			resource("Certificate", "AWS::CertificateManager::Certificate", "DELETE_FAILED", inUse, certARN),
			resource("LoadBalancer", "AWS::ElasticLoadBalancingV2::LoadBalancer", "DELETE_COMPLETE", "", ownLB),
		}}
}

func deleted() act {
	return act{statuses: []string{"DELETE_IN_PROGRESS", ""}, events: []types.StackEvent{
		event(svcStack, svcStack, "AWS::CloudFormation::Stack", "DELETE_COMPLETE", ""),
		event(svcStack, svcStack, "AWS::CloudFormation::Stack", "DELETE_IN_PROGRESS", "User Initiated"),
	}}
}

func running() act { return act{statuses: []string{"CREATE_COMPLETE"}} }

// Deletes race with AWS: a certificate stays "in use" for seconds after its listener
// goes, a late access log delivery refills the emptied bucket. Those are retried, a
// bounded number of times, saying so; a certificate that something else uses is not
// deleted, and the next delete is offered to leave it.
func TestDeleteRetriesWhatPassesAndNothingElse(t *testing.T) {
	for _, tc := range []struct {
		name    string
		acts    []act
		users   [][]string // InUseBy of the certificate, per look
		fills   []int
		ops     string
		says    string
		err     string
		hint    string
		retries int
	}{
		{
			name: "the certificate is in use for a moment after its listener goes",
			acts: []act{running(), certFails(), deleted()}, users: [][]string{{ownLB}},
			ops:  "DeleteStack; DeleteStack",
			says: "ACM still counts the certificate in use for a moment after its listener is deleted; deleting it again in 10ms (retry 1 of 4)",
		},
		{
			name: "a late delivery refills the access log bucket",
			acts: []act{{statuses: []string{"CREATE_COMPLETE"}, outputs: map[string]string{synth.OutAccessLogBucket: "berth-dev-api-logs"}},
				{statuses: []string{"DELETE_IN_PROGRESS", "DELETE_FAILED"}, events: []types.StackEvent{
					event(svcStack, "AccessLogBucket", "AWS::S3::Bucket", "DELETE_FAILED", "The bucket you tried to delete is not empty (Service: S3, Status Code: 409, Error Code: BucketNotEmpty)"),
				}, resources: []types.StackResourceSummary{
					resource("AccessLogBucket", "AWS::S3::Bucket", "DELETE_FAILED", "The bucket you tried to delete is not empty", "berth-dev-api-logs"),
				}}, deleted()},
			fills: []int{3}, ops: "DeleteStack; DeleteStack",
			says: "the load balancer delivered 3 access log object(s) late, into the emptied bucket berth-dev-api-logs: emptied it again; deleting it again",
		},
		{
			name: "another load balancer serves the certificate: no retry, and the next delete may leave it",
			acts: []act{running(), certFails()}, users: [][]string{{otherLB}},
			ops:  "DeleteStack",
			err:  "stack berth-dev-svc-api ended DELETE_FAILED: Certificate (AWS::CertificateManager::Certificate) could not be deleted: " + inUse,
			hint: "\"berth delete\" again deletes it again, leaving Certificate (" + otherLB + ", not this stack's, serves it",
		},
		{
			name: "a certificate that stays in use is given up on after four retries",
			acts: []act{running(), certFails(), certFails(), certFails(), certFails(), certFails()}, users: [][]string{{}},
			ops: "DeleteStack; DeleteStack; DeleteStack; DeleteStack; DeleteStack", retries: 4,
			err: "could not be deleted: " + inUse, hint: "describe-stack-events --stack-name berth-dev-svc-api",
		},
		{
			name: "on the emulator, the delete call itself fails",
			acts: []act{running(), {statuses: []string{"DELETE_FAILED"}, deleteErr: &smithy.GenericAPIError{Code: "ResourceInUseException", Message: "Certificate " + certARN + " in account 123456789012 is in use."},
				events:    []types.StackEvent{event(svcStack, svcStack, "AWS::CloudFormation::Stack", "DELETE_FAILED", "Certificate "+certARN+" in account 123456789012 is in use.")},
				resources: []types.StackResourceSummary{resource("Certificate", "AWS::CertificateManager::Certificate", "CREATE_COMPLETE", "", certARN)}}},
			users: [][]string{{otherLB}}, ops: "DeleteStack",
			err:  "Certificate (AWS::CertificateManager::Certificate) could not be deleted",
			hint: "aws cloudformation delete-stack --stack-name berth-dev-svc-api --retain-resources Certificate --region us-east-1",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cf := &scriptedCF{stacks: map[string]*script{svcStack: {acts: tc.acts}}}
			var out bytes.Buffer
			logs := &logBucket{name: "berth-dev-api-logs", fills: tc.fills}
			c := &Clients{CF: cf, S3: logs, ACM: &certs{inUseBy: map[string][][]string{certARN: tc.users}}, Region: "us-east-1"}
			st, _ := stacks.Describe(context.Background(), cf, svcStack)
			o := DeleteOptions{Env: "dev", Progress: &lines{w: &out}, Poll: time.Millisecond}
			_, err := c.deleteStack(context.Background(), st, "123456789012", o)
			if got := cf.ops(); got != tc.ops {
				t.Errorf("calls %q, want %q", got, tc.ops)
			}
			if tc.err == "" {
				if err != nil {
					t.Fatalf("%v\n%s", err, out.String())
				}
				if !strings.Contains(out.String(), tc.says) {
					t.Errorf("output lacks %q:\n%s", tc.says, out.String())
				}
				return
			}
			var h interface{ Hint() string }
			if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.As(err, &h) || !strings.Contains(h.Hint(), tc.hint) {
				t.Fatalf("err %v\nhint %v\nwant %q and %q", err, h, tc.err, tc.hint)
			}
			if n := strings.Count(out.String(), "deleting it again"); n != tc.retries {
				t.Errorf("%d retries said, want %d:\n%s", n, tc.retries, out.String())
			}
		})
	}
}

// A stack left DELETE_FAILED is deleted again leaving only what berth knows is safe to
// leave (a certificate something else serves, the log group), never the network.
func TestADeleteFailedStackKeepsOnlyWhatIsSafe(t *testing.T) {
	failed := act{statuses: []string{"DELETE_FAILED"}, reason: "The following resource(s) failed to delete: [Certificate, LogGroup, SecurityGroup].",
		events: []types.StackEvent{
			event(svcStack, svcStack, "AWS::CloudFormation::Stack", "DELETE_FAILED", "The following resource(s) failed to delete: [Certificate, LogGroup, SecurityGroup]."),
			event(svcStack, "SecurityGroup", "AWS::EC2::SecurityGroup", "DELETE_FAILED", "resource sg-1 has a dependent object (Service: Ec2, Status Code: 400, Error Code: DependencyViolation)"),
			event(svcStack, "Certificate", "AWS::CertificateManager::Certificate", "DELETE_FAILED", inUse),
			event(svcStack, svcStack, "AWS::CloudFormation::Stack", "DELETE_IN_PROGRESS", "User Initiated"),
		},
		resources: []types.StackResourceSummary{
			resource("Certificate", "AWS::CertificateManager::Certificate", "DELETE_FAILED", inUse, certARN),
			resource("LogGroup", "AWS::Logs::LogGroup", "DELETE_FAILED", "Rate exceeded", "/berth/dev/api"),
			resource("SecurityGroup", "AWS::EC2::SecurityGroup", "DELETE_FAILED", "resource sg-1 has a dependent object", "sg-1"),
		}}
	cf := &scriptedCF{stacks: map[string]*script{svcStack: {acts: []act{failed, deleted()}, events: failed.events}}}
	var out bytes.Buffer
	c := &Clients{CF: cf, ACM: &certs{inUseBy: map[string][][]string{certARN: {{otherLB}}}}, Region: "us-east-1"}
	st, _ := stacks.Describe(context.Background(), cf, svcStack)
	kept, err := c.deleteStack(context.Background(), st, "123456789012", DeleteOptions{Env: "dev", Progress: &lines{w: &out}, Poll: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if got := cf.ops(); got != "DeleteStack retaining Certificate,LogGroup" {
		t.Errorf("calls %q", got)
	}
	if len(kept) != 2 || !strings.Contains(out.String(), "leaving Certificate ("+certARN+") in the account: "+otherLB+", not this stack's, serves it") {
		t.Errorf("kept %+v\n%s", kept, out.String())
	}
}

// Before it says that nothing of the environment remains, berth looks again; what it
// finds, and what it left on purpose, it names with how to remove it.
func TestNothingRemainsIsTrueOrSaysWhatRemains(t *testing.T) {
	cf := &scriptedCF{stacks: map[string]*script{"berth-dev-network": {acts: []act{{statuses: []string{"DELETE_FAILED"}}}}}}
	var out bytes.Buffer
	d := &deletion{DeleteOptions: DeleteOptions{Env: "dev", Progress: &lines{w: &out}},
		bucket: buckets.NewArtifacts(&logBucket{artifacts: 2}, "123456789012", "us-east-1", true),
		left:   []string{"AWS::Logs::LogGroup /berth/dev/api (LogGroup): it only holds the service's logs"}}
	c := &Clients{CF: cf, ECR: noRepos{}}
	left, err := c.remains(context.Background(), d, []string{"api"})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(left, "\n")
	for _, want := range []string{"stack berth-dev-network (DELETE_FAILED): run berth delete --env dev --environment again",
		"2 artifact object version(s) under s3://berth-artifacts-123456789012-us-east-1/dev/", "/berth/dev/api (LogGroup)"} {
		if !strings.Contains(got, want) {
			t.Errorf("remains lack %q:\n%s", want, got)
		}
	}
	if left, _ := c.remains(context.Background(), &deletion{DeleteOptions: DeleteOptions{Env: "prod"},
		bucket: buckets.NewArtifacts(&logBucket{}, "1", "us-east-1", true)}, []string{"api"}); len(left) != 0 {
		t.Errorf("an environment that is gone: %v", left)
	}
}

// The plan of a deploy says, for each failed state, what state, why and what the deploy
// does first, before anything changes; no change set is asked of a stack that cannot
// take one.
func TestThePlanRecoversEveryFailedState(t *testing.T) {
	for _, tc := range []struct {
		status string
		acts   []act
		note   string
	}{
		{stacks.UpdateRollbackFailed, []act{{statuses: []string{stacks.UpdateRollbackFailed}, events: []types.StackEvent{
			event("berth-dev-cluster", "berth-dev-cluster", "AWS::CloudFormation::Stack", "UPDATE_ROLLBACK_FAILED", ""),
			event("berth-dev-cluster", "CapacityProvider", "AWS::ECS::CapacityProvider", "UPDATE_FAILED", "The specified capacity provider is in use and cannot be removed."),
			event("berth-dev-cluster", "AutoScalingGroup", "AWS::AutoScaling::AutoScalingGroup", "UPDATE_FAILED", "instance type not supported"),
			event("berth-dev-cluster", "berth-dev-cluster", "AWS::CloudFormation::Stack", "UPDATE_IN_PROGRESS", "User Initiated"),
		}, resources: []types.StackResourceSummary{resource("CapacityProvider", "AWS::ECS::CapacityProvider", "UPDATE_FAILED", "in use", "cp")}}},
			"berth-dev-cluster is UPDATE_ROLLBACK_FAILED: AutoScalingGroup (AWS::AutoScaling::AutoScalingGroup) UPDATE_FAILED: instance type not supported. the deploy continues the rollback, skipping CapacityProvider"},
		{stacks.RollbackFailed, []act{{statuses: []string{stacks.RollbackFailed}}}, "the deploy deletes what the failed first create left"},
		{stacks.RollbackComplete, []act{{statuses: []string{stacks.RollbackComplete}}}, "the deploy deletes the empty stack"},
		{stacks.DeleteFailed, []act{{statuses: []string{stacks.DeleteFailed}}}, "the deploy deletes it again"},
	} {
		t.Run(tc.status, func(t *testing.T) {
			cf := &scriptedCF{stacks: map[string]*script{"berth-dev-cluster": {acts: tc.acts, events: tc.acts[0].events}}}
			c := &Clients{CF: cf, Region: "us-east-1"}
			live, _ := stacks.Describe(context.Background(), cf, "berth-dev-cluster")
			tg := &target{kind: synth.Cluster, name: "berth-dev-cluster", live: live}
			sp := StackPlan{Stack: tg.name, Action: "none", target: tg}
			if stacks.Usable(live) != nil {
				if err := c.planUpdate(context.Background(), session.Identity{}, Options{}, tg, live, &sp); err != nil {
					t.Fatal(err)
				}
			}
			pl := &Plan{Stacks: []StackPlan{sp}}
			if err := c.planRecoveries(context.Background(), pl); err != nil {
				t.Fatal(err)
			}
			got := pl.Stacks[0]
			if got.Action != "recover" || got.Recovery == nil || got.Recovery.Status != tc.status || !strings.Contains(got.Note, tc.note) {
				t.Errorf("%s: action %s, note %q; want recover, %q", tc.status, got.Action, got.Note, tc.note)
			}
			if cf.did("CreateChangeSet") {
				t.Errorf("a change set was asked of a stack in %s: %s", tc.status, cf.ops())
			}
		})
	}
}

// The deploy does the recovery the plan showed, then the update; a stack that got into
// a failed state after the plan was made is not touched unasked.
func TestTheDeployRecoversAsPlanned(t *testing.T) {
	rollbackFailed := act{statuses: []string{stacks.UpdateRollbackFailed}}
	rolledBack := act{statuses: []string{"UPDATE_ROLLBACK_IN_PROGRESS", "UPDATE_ROLLBACK_COMPLETE"}, events: []types.StackEvent{
		event("berth-dev-cluster", "berth-dev-cluster", "AWS::CloudFormation::Stack", "UPDATE_ROLLBACK_COMPLETE", ""),
	}}
	updated := act{statuses: []string{"UPDATE_IN_PROGRESS", "UPDATE_COMPLETE"}}
	for _, tc := range []struct {
		name     string
		acts     []act
		recovery *stacks.Recovery
		ops      string
		err      string
	}{
		{
			name: "UPDATE_ROLLBACK_FAILED: the rollback continues, then the update runs", acts: []act{rollbackFailed, rolledBack, updated},
			recovery: &stacks.Recovery{Stack: "berth-dev-cluster", Status: stacks.UpdateRollbackFailed, Action: "continue-rollback", Skip: []string{"CapacityProvider"}},
			ops:      "ContinueUpdateRollback skipping CapacityProvider; CreateChangeSet:UPDATE; ExecuteChangeSet",
		},
		{
			name:     "DELETE_FAILED: deleted leaving what the plan said, then created",
			acts:     []act{{statuses: []string{stacks.DeleteFailed}}, {statuses: []string{"DELETE_IN_PROGRESS", ""}}, {statuses: []string{"CREATE_IN_PROGRESS", "CREATE_COMPLETE"}}},
			recovery: &stacks.Recovery{Stack: "berth-dev-cluster", Status: stacks.DeleteFailed, Action: "delete", Retain: []stacks.Kept{{Resource: "LogGroup"}}},
			ops:      "DeleteStack retaining LogGroup; CreateChangeSet:CREATE; ExecuteChangeSet",
		},
		{
			name: "a failed state the plan did not show", acts: []act{rollbackFailed},
			ops: "", err: "berth-dev-cluster is UPDATE_ROLLBACK_FAILED",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cf := &scriptedCF{stacks: map[string]*script{"berth-dev-cluster": {acts: tc.acts}}}
			var out bytes.Buffer
			c := &Clients{CF: cf, S3: uploadOnly{}, Region: "us-east-1"}
			o := Options{Env: "dev", Manifest: &manifest.Manifest{Name: "api"}, Progress: &lines{w: &out}, Poll: time.Millisecond}
			sp := &StackPlan{target: &target{kind: synth.Cluster, name: "berth-dev-cluster", body: []byte("Resources: {x: 1}\n")}, Recovery: tc.recovery}
			_, err := c.applyStack(context.Background(), o, buckets.NewArtifacts(uploadOnly{}, "1", "us-east-1", true), sp, map[string]string{})
			if got := cf.ops(); got != tc.ops {
				t.Errorf("calls %q, want %q\n%s", got, tc.ops, out.String())
			}
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("err %v, want %q", err, tc.err)
			}
			var h *hint.Error
			if tc.err != "" && (!errors.As(err, &h) || !strings.Contains(h.Hint(), "berth deploy")) {
				t.Errorf("no hint: %v", err)
			}
		})
	}
}

// Ctrl-C during any AWS call of a delete gives the advice Ctrl-C during its wait gives.
func TestInterruptedDeleteSaysWhatGoesOn(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cf := &scriptedCF{stacks: map[string]*script{svcStack: {acts: []act{running(), deleted()}}}, slow: "DeleteStack", reached: cancel}
	var out bytes.Buffer
	c := &Clients{CF: cf, S3: &logBucket{}, ECR: noRepos{}, Region: "us-east-1"}
	err := c.Delete(ctx, session.Identity{Account: "1", Region: "us-east-1"}, DeleteOptions{Env: "dev", Service: "api", Progress: &lines{w: &out}, Poll: time.Millisecond})
	var h *hint.Error
	if err == nil || !strings.Contains(err.Error(), "stopped while asking CloudFormation to change berth-dev-svc-api; if the request arrived, the stack operation goes on") ||
		!errors.As(err, &h) || !strings.Contains(h.Hint(), "describe-stack-events --stack-name berth-dev-svc-api") {
		t.Fatalf("err %v (%v)", err, h)
	}
}
