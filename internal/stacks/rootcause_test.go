package stacks

import (
	"strings"
	"testing"
)

// Event sequences as CloudFormation records them (oldest first), from real failures.
func TestRootCauseIsTheFirstRealFailure(t *testing.T) {
	for _, tc := range []struct {
		name     string
		events   []Event
		resource string
		hint     string
	}{
		{
			name: "service fails to stabilise; the rest is cancelled",
			events: []Event{
				{Stack: "berth-dev-api", Resource: "berth-dev-api", Type: "AWS::CloudFormation::Stack", Status: "CREATE_IN_PROGRESS", Reason: "User Initiated"},
				{Stack: "berth-dev-api", Resource: "LogGroup", Type: "AWS::Logs::LogGroup", Status: "CREATE_COMPLETE"},
				{Stack: "berth-dev-api", Resource: "Service", Type: "AWS::ECS::Service", Status: "CREATE_IN_PROGRESS"},
				{Stack: "berth-dev-api", Resource: "Service", Type: "AWS::ECS::Service", Status: "CREATE_FAILED",
					Reason: "Resource handler returned message: \"Error occurred during operation 'ECS Deployment Circuit Breaker was triggered'.\""},
				{Stack: "berth-dev-api", Resource: "ScalableTarget", Type: "AWS::ApplicationAutoScaling::ScalableTarget", Status: "CREATE_FAILED", Reason: "Resource creation cancelled"},
				{Stack: "berth-dev-api", Resource: "berth-dev-api", Type: "AWS::CloudFormation::Stack", Status: "ROLLBACK_IN_PROGRESS",
					Reason: "The following resource(s) failed to create: [Service, ScalableTarget]. Rollback requested by user."},
				{Stack: "berth-dev-api", Resource: "berth-dev-api", Type: "AWS::CloudFormation::Stack", Status: "ROLLBACK_COMPLETE"},
			},
			resource: "Service",
			hint:     "fail their health checks",
		},
		{
			name: "cancellation recorded before the cause",
			events: []Event{
				{Stack: "s", Resource: "NatGateway1", Type: "AWS::EC2::NatGateway", Status: "CREATE_FAILED", Reason: "Resource creation cancelled"},
				{Stack: "s", Resource: "NatEIP2", Type: "AWS::EC2::EIP", Status: "CREATE_FAILED",
					Reason: "The maximum number of addresses has been reached. (Service: Ec2, Status Code: 400, Error Code: AddressLimitExceeded)"},
			},
			resource: "NatEIP2",
			hint:     "quota",
		},
		{
			name: "missing capability",
			events: []Event{
				{Stack: "s", Resource: "s", Type: "AWS::CloudFormation::Stack", Status: "UPDATE_ROLLBACK_IN_PROGRESS"},
				{Stack: "s", Resource: "ExecutionRole", Type: "AWS::IAM::Role", Status: "UPDATE_FAILED", Reason: "Requires capabilities : [CAPABILITY_IAM]"},
			},
			resource: "ExecutionRole",
			hint:     "CAPABILITY_IAM",
		},
		{
			name: "only the cascade is known",
			events: []Event{
				{Stack: "s", Resource: "Listener", Type: "AWS::ElasticLoadBalancingV2::Listener", Status: "CREATE_FAILED", Reason: "Resource creation cancelled"},
			},
			resource: "Listener",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := RootCause(tc.events)
			if f == nil || f.Resource != tc.resource {
				t.Fatalf("root cause %+v, want %s", f, tc.resource)
			}
			if !strings.Contains(f.Hint(), tc.hint) {
				t.Errorf("hint %q, want it to mention %q", f.Hint(), tc.hint)
			}
			if !strings.Contains(f.Error(), tc.resource) {
				t.Errorf("message %q", f.Error())
			}
		})
	}
	if RootCause([]Event{{Status: "CREATE_COMPLETE"}}) != nil {
		t.Error("a success has a root cause")
	}
}

func TestHints(t *testing.T) {
	for reason, want := range map[string]string{
		"CannotPullContainerError: pull image manifest has been retried": "cannot pull the image",
		"api error DependencyViolation: The vpc has dependencies":        "still uses",
		"User is not authorized to perform: ecs:CreateCluster":           "IAM permissions",
		"something nobody has seen":                                      "",
		// retry exhaustion and server errors are no quota, whatever words they hold
		"operation error CloudFormation: DescribeStacks, exceeded maximum number of attempts, 3, https response error StatusCode: 400, RequestID: x, api error Throttling: Rate exceeded":      "throttled",
		"operation error ECS: DescribeServices, exceeded maximum number of attempts, 3, https response error StatusCode: 503, RequestID: x, api error ServiceUnavailable: Service Unavailable": "server error",
		"operation error ELB: CreateLoadBalancer, https response error StatusCode: 500, api error InternalFailure":                                                                             "server error",
		"You have reached the maximum number of VPCs allowed (VpcLimitExceeded)":                                                                                                               "account quota",
		"Your quota allows for 0 more running instance(s)": "account quota",
	} {
		if got := HintFor(reason); (want == "" && got != "") || !strings.Contains(got, want) {
			t.Errorf("%q: hint %q, want %q", reason, got, want)
		}
	}
}
