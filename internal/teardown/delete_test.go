package teardown

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	acmtypes "github.com/aws/aws-sdk-go-v2/service/acm/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/berthdev/berth/internal/buckets"
	"github.com/berthdev/berth/internal/edge"
	"github.com/berthdev/berth/internal/hint"
	"github.com/berthdev/berth/internal/registry"
	"github.com/berthdev/berth/internal/session"
	"github.com/berthdev/berth/internal/stacks"
	"github.com/berthdev/berth/internal/stacks/stackstest"
	"github.com/berthdev/berth/internal/synth"
)

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
func certFails() stackstest.Act {
	return stackstest.Act{Statuses: []string{"DELETE_IN_PROGRESS", "DELETE_FAILED"}, Reason: "The following resource(s) failed to delete: [Certificate].",
		Events: []types.StackEvent{
			stackstest.Event(svcStack, svcStack, "AWS::CloudFormation::Stack", "DELETE_FAILED", "The following resource(s) failed to delete: [Certificate]."),
			stackstest.Event(svcStack, "Certificate", "AWS::CertificateManager::Certificate", "DELETE_FAILED", inUse),
			stackstest.Event(svcStack, "Listener", "AWS::ElasticLoadBalancingV2::Listener", "DELETE_COMPLETE", ""),
			stackstest.Event(svcStack, svcStack, "AWS::CloudFormation::Stack", "DELETE_IN_PROGRESS", "User Initiated"),
		},
		Resources: []types.StackResourceSummary{
			stackstest.Resource("Certificate", "AWS::CertificateManager::Certificate", "DELETE_FAILED", inUse, certARN),
			stackstest.Resource("LoadBalancer", "AWS::ElasticLoadBalancingV2::LoadBalancer", "DELETE_COMPLETE", "", ownLB),
		}}
}

func deleted() stackstest.Act {
	return stackstest.Act{Statuses: []string{"DELETE_IN_PROGRESS", ""}, Events: []types.StackEvent{
		stackstest.Event(svcStack, svcStack, "AWS::CloudFormation::Stack", "DELETE_COMPLETE", ""),
		stackstest.Event(svcStack, svcStack, "AWS::CloudFormation::Stack", "DELETE_IN_PROGRESS", "User Initiated"),
	}}
}

func running() stackstest.Act { return stackstest.Act{Statuses: []string{"CREATE_COMPLETE"}} }

// Deletes race with AWS: a certificate stays "in use" for seconds after its listener
// goes, a late access log delivery refills the emptied bucket. Those are retried, a
// bounded number of times, saying so; a certificate that something else uses is not
// deleted, and the next delete is offered to leave it.
func TestDeleteRetriesWhatPassesAndNothingElse(t *testing.T) {
	for _, tc := range []struct {
		name    string
		acts    []stackstest.Act
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
			acts: []stackstest.Act{running(), certFails(), deleted()}, users: [][]string{{ownLB}},
			ops:  "DeleteStack; DeleteStack",
			says: "ACM still counts the certificate in use for a moment after its listener is deleted; deleting it again in 10ms (retry 1 of 4)",
		},
		{
			name: "a late delivery refills the access log bucket",
			acts: []stackstest.Act{{Statuses: []string{"CREATE_COMPLETE"}, Outputs: map[string]string{synth.OutAccessLogBucket: "berth-dev-api-logs"}},
				{Statuses: []string{"DELETE_IN_PROGRESS", "DELETE_FAILED"}, Events: []types.StackEvent{
					stackstest.Event(svcStack, "AccessLogBucket", "AWS::S3::Bucket", "DELETE_FAILED", "The bucket you tried to delete is not empty (Service: S3, Status Code: 409, Error Code: BucketNotEmpty)"),
				}, Resources: []types.StackResourceSummary{
					stackstest.Resource("AccessLogBucket", "AWS::S3::Bucket", "DELETE_FAILED", "The bucket you tried to delete is not empty", "berth-dev-api-logs"),
				}}, deleted()},
			fills: []int{3}, ops: "DeleteStack; DeleteStack",
			says: "the load balancer delivered 3 access log object(s) late, into the emptied bucket berth-dev-api-logs: emptied it again; deleting it again",
		},
		{
			name: "another load balancer serves the certificate: no retry, and the next delete may leave it",
			acts: []stackstest.Act{running(), certFails()}, users: [][]string{{otherLB}},
			ops:  "DeleteStack",
			err:  "stack berth-dev-svc-api ended DELETE_FAILED: Certificate (AWS::CertificateManager::Certificate) could not be deleted: " + inUse,
			hint: "\"berth delete\" again deletes it again, leaving Certificate (" + otherLB + ", not this stack's, serves it",
		},
		{
			name: "a certificate that stays in use is given up on after four retries",
			acts: []stackstest.Act{running(), certFails(), certFails(), certFails(), certFails(), certFails()}, users: [][]string{{}},
			ops: "DeleteStack; DeleteStack; DeleteStack; DeleteStack; DeleteStack", retries: 4,
			err: "could not be deleted: " + inUse, hint: "describe-stack-events --stack-name berth-dev-svc-api",
		},
		{
			name: "on the emulator, the delete call itself fails",
			acts: []stackstest.Act{running(), {Statuses: []string{"DELETE_FAILED"}, DeleteErr: &smithy.GenericAPIError{Code: "ResourceInUseException", Message: "Certificate " + certARN + " in account 123456789012 is in use."},
				Events:    []types.StackEvent{stackstest.Event(svcStack, svcStack, "AWS::CloudFormation::Stack", "DELETE_FAILED", "Certificate "+certARN+" in account 123456789012 is in use.")},
				Resources: []types.StackResourceSummary{stackstest.Resource("Certificate", "AWS::CertificateManager::Certificate", "CREATE_COMPLETE", "", certARN)}}},
			users: [][]string{{otherLB}}, ops: "DeleteStack",
			err:  "Certificate (AWS::CertificateManager::Certificate) could not be deleted",
			hint: "aws cloudformation delete-stack --stack-name berth-dev-svc-api --retain-resources Certificate --region us-east-1",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cf := &stackstest.CF{Stacks: map[string]*stackstest.Script{svcStack: {Acts: tc.acts}}}
			var out bytes.Buffer
			logs := &logBucket{name: "berth-dev-api-logs", fills: tc.fills}
			c := &Clients{CF: cf, S3: logs, ACM: &certs{inUseBy: map[string][][]string{certARN: tc.users}}, Region: "us-east-1"}
			st, _ := stacks.Describe(context.Background(), cf, svcStack)
			o := DeleteOptions{Env: "dev", Progress: &lines{w: &out}, Poll: time.Millisecond}
			_, err := c.deleteStack(context.Background(), st, "123456789012", o)
			if got := cf.Ops(); got != tc.ops {
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
	failed := stackstest.Act{Statuses: []string{"DELETE_FAILED"}, Reason: "The following resource(s) failed to delete: [Certificate, LogGroup, SecurityGroup].",
		Events: []types.StackEvent{
			stackstest.Event(svcStack, svcStack, "AWS::CloudFormation::Stack", "DELETE_FAILED", "The following resource(s) failed to delete: [Certificate, LogGroup, SecurityGroup]."),
			stackstest.Event(svcStack, "SecurityGroup", "AWS::EC2::SecurityGroup", "DELETE_FAILED", "resource sg-1 has a dependent object (Service: Ec2, Status Code: 400, Error Code: DependencyViolation)"),
			stackstest.Event(svcStack, "Certificate", "AWS::CertificateManager::Certificate", "DELETE_FAILED", inUse),
			stackstest.Event(svcStack, svcStack, "AWS::CloudFormation::Stack", "DELETE_IN_PROGRESS", "User Initiated"),
		},
		Resources: []types.StackResourceSummary{
			stackstest.Resource("Certificate", "AWS::CertificateManager::Certificate", "DELETE_FAILED", inUse, certARN),
			stackstest.Resource("LogGroup", "AWS::Logs::LogGroup", "DELETE_FAILED", "Rate exceeded", "/berth/dev/api"),
			stackstest.Resource("SecurityGroup", "AWS::EC2::SecurityGroup", "DELETE_FAILED", "resource sg-1 has a dependent object", "sg-1"),
		}}
	cf := &stackstest.CF{Stacks: map[string]*stackstest.Script{svcStack: {Acts: []stackstest.Act{failed, deleted()}, Events: failed.Events}}}
	var out bytes.Buffer
	c := &Clients{CF: cf, ACM: &certs{inUseBy: map[string][][]string{certARN: {{otherLB}}}}, Region: "us-east-1"}
	st, _ := stacks.Describe(context.Background(), cf, svcStack)
	kept, err := c.deleteStack(context.Background(), st, "123456789012", DeleteOptions{Env: "dev", Progress: &lines{w: &out}, Poll: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if got := cf.Ops(); got != "DeleteStack retaining Certificate,LogGroup" {
		t.Errorf("calls %q", got)
	}
	if len(kept) != 2 || !strings.Contains(out.String(), "leaving Certificate ("+certARN+") in the account: "+otherLB+", not this stack's, serves it") {
		t.Errorf("kept %+v\n%s", kept, out.String())
	}
}

// Before it says that nothing of the environment remains, berth looks again; what it
// finds, and what it left on purpose, it names with how to remove it.
func TestNothingRemainsIsTrueOrSaysWhatRemains(t *testing.T) {
	cf := &stackstest.CF{Stacks: map[string]*stackstest.Script{"berth-dev-network": {Acts: []stackstest.Act{{Statuses: []string{"DELETE_FAILED"}}}}}}
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

// Ctrl-C during any AWS call of a delete gives the advice Ctrl-C during its wait gives.
func TestInterruptedDeleteSaysWhatGoesOn(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cf := &stackstest.CF{Stacks: map[string]*stackstest.Script{svcStack: {Acts: []stackstest.Act{running(), deleted()}}}, Slow: "DeleteStack", Reached: cancel}
	var out bytes.Buffer
	c := &Clients{CF: cf, S3: &logBucket{}, ECR: noRepos{}, Region: "us-east-1"}
	err := c.Delete(ctx, session.Identity{Account: "1", Region: "us-east-1"}, DeleteOptions{Env: "dev", Service: "api", Progress: &lines{w: &out}, Poll: time.Millisecond})
	var h *hint.Error
	if err == nil || !strings.Contains(err.Error(), "stopped while asking CloudFormation to change berth-dev-svc-api; if the request arrived, the stack operation goes on") ||
		!errors.As(err, &h) || !strings.Contains(h.Hint(), "describe-stack-events --stack-name berth-dev-svc-api") {
		t.Fatalf("err %v (%v)", err, h)
	}
}
