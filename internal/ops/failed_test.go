package ops

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"
	"github.com/berthdev/berth/internal/stacks"
)

// failedCF holds stacks as CloudFormation describes them after a failed operation (the
// emulator never leaves them so): status, events (newest first), resources, outputs.
type failedCF struct {
	stacks.CloudFormation
	stacks map[string]failedStack
}

type failedStack struct {
	status    string
	outputs   map[string]string
	events    []types.StackEvent
	resources []types.StackResourceSummary
}

func (f *failedCF) DescribeStacks(_ context.Context, in *cloudformation.DescribeStacksInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error) {
	s, ok := f.stacks[aws.ToString(in.StackName)]
	if !ok {
		return nil, &smithy.GenericAPIError{Code: "ValidationError", Message: "Stack with id " + aws.ToString(in.StackName) + " does not exist"}
	}
	st := types.Stack{StackName: in.StackName, StackStatus: types.StackStatus(s.status)}
	for k, v := range s.outputs {
		st.Outputs = append(st.Outputs, types.Output{OutputKey: aws.String(k), OutputValue: aws.String(v)})
	}
	return &cloudformation.DescribeStacksOutput{Stacks: []types.Stack{st}}, nil
}

func (f *failedCF) DescribeStackEvents(_ context.Context, in *cloudformation.DescribeStackEventsInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStackEventsOutput, error) {
	return &cloudformation.DescribeStackEventsOutput{StackEvents: f.stacks[aws.ToString(in.StackName)].events}, nil
}

func (f *failedCF) ListStackResources(_ context.Context, in *cloudformation.ListStackResourcesInput, _ ...func(*cloudformation.Options)) (*cloudformation.ListStackResourcesOutput, error) {
	return &cloudformation.ListStackResourcesOutput{StackResourceSummaries: f.stacks[aws.ToString(in.StackName)].resources}, nil
}

func stackEvent(stack, resource, typ, status, reason string) types.StackEvent {
	return types.StackEvent{EventId: aws.String(stack + resource + status), StackName: aws.String(stack), LogicalResourceId: aws.String(resource),
		ResourceType: aws.String(typ), ResourceStatus: types.ResourceStatus(status), ResourceStatusReason: aws.String(reason), Timestamp: aws.Time(time.Now())}
}

var (
	networkRollbackFailed = failedStack{status: "UPDATE_ROLLBACK_FAILED",
		events: []types.StackEvent{
			stackEvent("berth-dev-network", "berth-dev-network", "AWS::CloudFormation::Stack", "UPDATE_ROLLBACK_FAILED", "The following resource(s) failed to update: [NatGateway1]."),
			stackEvent("berth-dev-network", "NatGateway1", "AWS::EC2::NatGateway", "UPDATE_FAILED", "NatGateway nat-1 was deleted outside CloudFormation"),
			stackEvent("berth-dev-network", "berth-dev-network", "AWS::CloudFormation::Stack", "UPDATE_ROLLBACK_IN_PROGRESS", ""),
			stackEvent("berth-dev-network", "PublicSubnet2", "AWS::EC2::Subnet", "UPDATE_FAILED", "The CIDR '10.0.9.0/24' conflicts with another subnet"),
			stackEvent("berth-dev-network", "berth-dev-network", "AWS::CloudFormation::Stack", "UPDATE_IN_PROGRESS", "User Initiated"),
		},
		resources: []types.StackResourceSummary{{LogicalResourceId: aws.String("NatGateway1"), ResourceType: aws.String("AWS::EC2::NatGateway"),
			ResourceStatus: "UPDATE_FAILED", ResourceStatusReason: aws.String("NatGateway nat-1 was deleted outside CloudFormation"), PhysicalResourceId: aws.String("nat-1")}}}
	serviceRollbackFailed = failedStack{status: "ROLLBACK_FAILED",
		events: []types.StackEvent{
			stackEvent("berth-dev-svc-api", "berth-dev-svc-api", "AWS::CloudFormation::Stack", "ROLLBACK_FAILED", ""),
			stackEvent("berth-dev-svc-api", "Service", "AWS::ECS::Service", "CREATE_FAILED", "ECS Deployment Circuit Breaker was triggered"),
			stackEvent("berth-dev-svc-api", "berth-dev-svc-api", "AWS::CloudFormation::Stack", "CREATE_IN_PROGRESS", "User Initiated"),
		}}
)

// status says what state a failed stack is in, the first resource that failed and why,
// and what to do, with the AWS CLI command that does it.
func TestStatusSaysWhatAFailedStackNeeds(t *testing.T) {
	c := &Clients{CF: &failedCF{stacks: map[string]failedStack{"berth-dev-network": networkRollbackFailed}}, Region: "eu-west-1"}
	st, err := c.Status(context.Background(), "dev", "api")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	st.WriteText(&out)
	for _, want := range []string{
		"berth-dev-network is UPDATE_ROLLBACK_FAILED: PublicSubnet2 (AWS::EC2::Subnet) UPDATE_FAILED: The CIDR '10.0.9.0/24' conflicts with another subnet",
		"also failed: NatGateway1 (AWS::EC2::NatGateway) UPDATE_FAILED: NatGateway nat-1 was deleted outside CloudFormation",
		"hint: berth deploy continues the rollback, skipping NatGateway1",
		"or: aws cloudformation continue-update-rollback --stack-name berth-dev-network --resources-to-skip NatGateway1 --region eu-west-1",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("status lacks %q:\n%s", want, out.String())
		}
	}
	if len(st.Failed()) != 1 || st.Failed()[0].Recovery.Skip[0] != "NatGateway1" {
		t.Errorf("json fields: %+v", st.Stacks)
	}
}

// verify and logs say the state too.
func TestVerifyAndLogsSayTheState(t *testing.T) {
	c := &Clients{CF: &failedCF{stacks: map[string]failedStack{"berth-dev-svc-api": serviceRollbackFailed}}, Region: "eu-west-1"}
	v, err := c.Verify(context.Background(), "dev", "api", VerifyOptions{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Checks) != 1 || v.Checks[0].Result != "fail" ||
		!strings.Contains(v.Checks[0].Detail, "berth-dev-svc-api is ROLLBACK_FAILED: Service (AWS::ECS::Service) CREATE_FAILED: ECS Deployment Circuit Breaker was triggered; berth deploy deletes what the failed first create left") {
		t.Errorf("checks %+v", v.Checks)
	}
	_, err = c.LogGroup(context.Background(), "dev", "api", &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "berth-dev-svc-api is ROLLBACK_FAILED") {
		t.Errorf("logs of a stack without a log group: %v", err)
	}
	svc := serviceRollbackFailed
	svc.status, svc.outputs = "DELETE_FAILED", map[string]string{"LogGroupName": "/berth/dev/api"}
	c.CF = &failedCF{stacks: map[string]failedStack{"berth-dev-svc-api": svc}}
	var warn bytes.Buffer
	if group, err := c.LogGroup(context.Background(), "dev", "api", &warn); err != nil || group != "/berth/dev/api" ||
		!strings.Contains(warn.String(), "note: berth-dev-svc-api is DELETE_FAILED") || !strings.Contains(warn.String(), "hint: berth delete deletes it again") {
		t.Errorf("logs: %q %v\n%s", group, err, warn.String())
	}
}
