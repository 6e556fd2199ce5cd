package stacks

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"
)

const (
	cfnStack = "AWS::CloudFormation::Stack"
	cluster  = "berth-dev-cluster"
)

// The emulator never leaves a stack in these states the way AWS does (a failed update
// there keeps its previous status; only DELETE_FAILED it produces, without resource
// events), so each state is diagnosed here from the answers CloudFormation gives for
// it: the stack's status, its events newest first, its resources.
func TestEveryFailedStateIsDiagnosed(t *testing.T) {
	inUse := "Resource handler returned message: \"The specified capacity provider is in use and cannot be removed.\" (RequestToken: 0f1e, HandlerErrorCode: InvalidRequest)"
	noType := "Resource handler returned message: \"The instance type m7g.large is not supported in us-east-1e\" (HandlerErrorCode: InvalidRequest)"
	for _, tc := range []struct {
		name      string
		stack     *fakeStack
		nested    map[string]*fakeStack
		action    string
		cause     string // the first failed resource
		skip      string
		summary   string
		remedy    string
		command   string
		failed    int
		noFailure bool
	}{
		{
			name: "UPDATE_ROLLBACK_FAILED: the update failed at the group, the rollback at the capacity provider",
			stack: &fakeStack{statuses: []string{UpdateRollbackFailed}, reason: "The following resource(s) failed to update: [CapacityProvider].",
				events: []types.StackEvent{
					ev(cluster, cluster, cfnStack, "UPDATE_ROLLBACK_FAILED", "The following resource(s) failed to update: [CapacityProvider]."),
					ev(cluster, "ClusterCapacityProviderAssociations", "AWS::ECS::ClusterCapacityProviderAssociations", "UPDATE_FAILED", "Resource update cancelled"),
					ev(cluster, "CapacityProvider", "AWS::ECS::CapacityProvider", "UPDATE_FAILED", inUse),
					ev(cluster, "AutoScalingGroup", "AWS::AutoScaling::AutoScalingGroup", "UPDATE_COMPLETE", ""),
					ev(cluster, cluster, cfnStack, "UPDATE_ROLLBACK_IN_PROGRESS", "The following resource(s) failed to update: [AutoScalingGroup]."),
					ev(cluster, "AutoScalingGroup", "AWS::AutoScaling::AutoScalingGroup", "UPDATE_FAILED", noType),
					ev(cluster, "LaunchTemplate", "AWS::EC2::LaunchTemplate", "UPDATE_COMPLETE", ""),
					ev(cluster, cluster, cfnStack, "UPDATE_IN_PROGRESS", "User Initiated"),
					// an older operation's failure is not this one's cause
					ev(cluster, "Cluster", "AWS::ECS::Cluster", "UPDATE_FAILED", "an old failure"),
					ev(cluster, cluster, cfnStack, "UPDATE_IN_PROGRESS", "User Initiated"),
				},
				resources: []types.StackResourceSummary{
					res("AutoScalingGroup", "AWS::AutoScaling::AutoScalingGroup", "UPDATE_COMPLETE", "", "berth-dev-asg"),
					res("CapacityProvider", "AWS::ECS::CapacityProvider", "UPDATE_FAILED", inUse, "berth-dev-cp"),
					res("ClusterCapacityProviderAssociations", "AWS::ECS::ClusterCapacityProviderAssociations", "UPDATE_FAILED", "Resource update cancelled", "berth-dev"),
				}},
			action: "continue-rollback", cause: "AutoScalingGroup", skip: "CapacityProvider", failed: 1,
			summary: "berth-dev-cluster is UPDATE_ROLLBACK_FAILED: AutoScalingGroup (AWS::AutoScaling::AutoScalingGroup) UPDATE_FAILED: " + noType,
			remedy:  "berth deploy continues the rollback, skipping CapacityProvider",
			command: "aws cloudformation continue-update-rollback --stack-name berth-dev-cluster --resources-to-skip CapacityProvider --region us-east-1",
		},
		{
			name: "UPDATE_ROLLBACK_FAILED in a nested stack: skipped as Parent.Resource, a deleted nested stack as itself",
			stack: &fakeStack{statuses: []string{UpdateRollbackFailed},
				events: []types.StackEvent{
					ev(cluster, "Edge", cfnStack, "UPDATE_FAILED", "Embedded stack arn:edge was not successfully updated"),
					ev(cluster, cluster, cfnStack, "UPDATE_IN_PROGRESS", "User Initiated"),
				},
				resources: []types.StackResourceSummary{
					res("Capacity", cfnStack, "UPDATE_FAILED", "Embedded stack arn:capacity was not successfully updated", "arn:capacity"),
					res("Edge", cfnStack, "UPDATE_FAILED", "Embedded stack arn:edge was not successfully updated", "arn:edge"),
				}},
			nested: map[string]*fakeStack{
				"arn:capacity": {statuses: []string{UpdateRollbackFailed}, resources: []types.StackResourceSummary{
					res("CapacityProvider", "AWS::ECS::CapacityProvider", "UPDATE_FAILED", inUse, "cp"),
					res("Group", "AWS::AutoScaling::AutoScalingGroup", "UPDATE_FAILED", "Resource update cancelled", "g"),
				}},
				"arn:edge": {statuses: []string{"DELETE_FAILED"}},
			},
			action: "continue-rollback", cause: "Edge", skip: "Capacity.CapacityProvider Edge", failed: 3,
			command: "--resources-to-skip Capacity.CapacityProvider Edge",
		},
		{
			name: "ROLLBACK_FAILED: a first create whose rollback failed can only be deleted",
			stack: &fakeStack{statuses: []string{RollbackFailed}, reason: "The following resource(s) failed to delete: [NatGateway1].",
				events: []types.StackEvent{
					ev("berth-dev-network", "berth-dev-network", cfnStack, "ROLLBACK_FAILED", "The following resource(s) failed to delete: [NatGateway1]."),
					ev("berth-dev-network", "NatGateway1", "AWS::EC2::NatGateway", "DELETE_FAILED", "NAT gateway nat-0a1 is in state pending"),
					ev("berth-dev-network", "berth-dev-network", cfnStack, "ROLLBACK_IN_PROGRESS", "The following resource(s) failed to create: [NatEIP2]."),
					ev("berth-dev-network", "NatEIP2", "AWS::EC2::EIP", "CREATE_FAILED", "The maximum number of addresses has been reached. (Service: Ec2, Status Code: 400, Error Code: AddressLimitExceeded)"),
					ev("berth-dev-network", "berth-dev-network", cfnStack, "CREATE_IN_PROGRESS", "User Initiated"),
				},
				resources: []types.StackResourceSummary{res("NatGateway1", "AWS::EC2::NatGateway", "DELETE_FAILED", "NAT gateway nat-0a1 is in state pending", "nat-0a1")}},
			action: "delete", cause: "NatEIP2", failed: 1,
			summary: "AddressLimitExceeded", remedy: "berth deploy deletes what the failed first create left",
			command: "aws cloudformation delete-stack --stack-name berth-dev-network --region us-east-1",
		},
		{
			name: "ROLLBACK_COMPLETE: the empty stack of a failed first create",
			stack: &fakeStack{statuses: []string{RollbackComplete},
				events: []types.StackEvent{
					ev("berth-dev-network", "berth-dev-network", cfnStack, "ROLLBACK_COMPLETE", ""),
					ev("berth-dev-network", "VPC", "AWS::EC2::VPC", "CREATE_FAILED", "The CIDR '10.0.0.0/8' is invalid."),
					ev("berth-dev-network", "berth-dev-network", cfnStack, "CREATE_IN_PROGRESS", "User Initiated"),
				}},
			action: "delete", cause: "VPC", summary: "The CIDR '10.0.0.0/8' is invalid.", remedy: "deletes the empty stack",
			command: "delete-stack --stack-name berth-dev-network",
		},
		{
			name: "DELETE_FAILED on AWS: the resource's event says which and why",
			stack: &fakeStack{statuses: []string{DeleteFailed}, reason: "The following resource(s) failed to delete: [Certificate].",
				events: []types.StackEvent{
					ev("berth-dev-svc-api", "berth-dev-svc-api", cfnStack, "DELETE_FAILED", "The following resource(s) failed to delete: [Certificate]."),
					ev("berth-dev-svc-api", "Certificate", "AWS::CertificateManager::Certificate", "DELETE_FAILED",
						"Resource handler returned message: \"Certificate arn:aws:acm:us-east-1:1:certificate/c1 in account 1 is in use. (Service: Acm, Status Code: 400)\""),
					ev("berth-dev-svc-api", "Listener", "AWS::ElasticLoadBalancingV2::Listener", "DELETE_COMPLETE", ""),
					ev("berth-dev-svc-api", "berth-dev-svc-api", cfnStack, "DELETE_IN_PROGRESS", "User Initiated"),
				},
				resources: []types.StackResourceSummary{
					res("Certificate", "AWS::CertificateManager::Certificate", "DELETE_FAILED", "Certificate arn:aws:acm:us-east-1:1:certificate/c1 in account 1 is in use.", "arn:aws:acm:us-east-1:1:certificate/c1"),
					res("LogGroup", "AWS::Logs::LogGroup", "CREATE_COMPLETE", "", "/berth/dev/api"),
				}},
			action: "delete", cause: "Certificate", failed: 1, summary: "is in use", remedy: "berth deploy deletes it again",
			command: "aws cloudformation delete-stack --stack-name berth-dev-svc-api --region us-east-1",
		},
		{
			name: "DELETE_FAILED on the emulator: only the stack's reason names the certificate's ARN",
			stack: &fakeStack{statuses: []string{DeleteFailed},
				events: []types.StackEvent{
					ev("berth-dev-svc-api", "berth-dev-svc-api", cfnStack, "DELETE_FAILED", "Certificate arn:aws:acm:us-east-1:1:certificate/c1 in account 1 is in use."),
				},
				resources: []types.StackResourceSummary{
					res("Certificate", "AWS::CertificateManager::Certificate", "CREATE_COMPLETE", "", "arn:aws:acm:us-east-1:1:certificate/c1"),
					res("LogGroup", "AWS::Logs::LogGroup", "CREATE_COMPLETE", "", "/berth/dev/api"),
				}},
			action: "delete", cause: "Certificate", failed: 1,
			summary: "berth-dev-svc-api is DELETE_FAILED: Certificate (AWS::CertificateManager::Certificate) DELETE_FAILED: Certificate arn:aws:acm",
		},
		{
			name:      "a stack that is fine needs nothing",
			stack:     &fakeStack{statuses: []string{"UPDATE_ROLLBACK_COMPLETE"}},
			noFailure: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := cluster
			if len(tc.stack.events) > 0 {
				name = *tc.stack.events[len(tc.stack.events)-1].StackName
			}
			cf := &fakeCF{stacks: map[string]*fakeStack{name: tc.stack}}
			for k, v := range tc.nested {
				cf.stacks[k] = v
			}
			st, err := Describe(context.Background(), cf, name)
			if err != nil {
				t.Fatal(err)
			}
			r, err := Diagnose(context.Background(), cf, st)
			if err != nil {
				t.Fatal(err)
			}
			if tc.noFailure {
				if r != nil {
					t.Fatalf("recovery %+v for a stack that needs none", r)
				}
				return
			}
			if r == nil || r.Action != tc.action {
				t.Fatalf("recovery %+v, want action %s", r, tc.action)
			}
			if r.Cause == nil || r.Cause.Resource != tc.cause {
				t.Errorf("cause %+v, want %s", r.Cause, tc.cause)
			}
			if got := strings.Join(r.Skip, " "); got != tc.skip {
				t.Errorf("skip %q, want %q", got, tc.skip)
			}
			if len(r.Failed) != tc.failed {
				t.Errorf("failed %+v, want %d", r.Failed, tc.failed)
			}
			for _, want := range []struct{ got, want string }{{r.Summary(), tc.summary}, {r.Remedy("berth deploy"), tc.remedy}, {r.Command("us-east-1"), tc.command}} {
				if !strings.Contains(want.got, want.want) {
					t.Errorf("%q, want it to say %q", want.got, want.want)
				}
			}
		})
	}
}

// A delete that ends DELETE_FAILED says which resource could not go and why, whether
// CloudFormation reports it in events (AWS) or the delete call fails at once (the
// emulator); resources to keep are passed as RetainResources.
func TestDeleteFailureNamesTheResource(t *testing.T) {
	const svc = "berth-dev-svc-api"
	cert := "arn:aws:acm:us-east-1:1:certificate/c1"
	inUse := "Certificate " + cert + " in account 1 is in use."
	resources := []types.StackResourceSummary{res("Certificate", "AWS::CertificateManager::Certificate", "DELETE_FAILED", inUse, cert)}
	t.Run("AWS", func(t *testing.T) {
		cf := &fakeCF{stacks: map[string]*fakeStack{svc: {statuses: []string{"CREATE_COMPLETE"},
			then: []string{"DELETE_IN_PROGRESS", DeleteFailed}, resources: resources,
			thenEvents: []types.StackEvent{
				ev(svc, svc, cfnStack, "DELETE_FAILED", "The following resource(s) failed to delete: [Certificate]."),
				ev(svc, "Certificate", "AWS::CertificateManager::Certificate", "DELETE_FAILED", inUse),
				ev(svc, svc, cfnStack, "DELETE_IN_PROGRESS", "User Initiated"),
			}}}}
		err := DeleteRetaining(context.Background(), cf, &quiet{}, svc, []string{"LogGroup"}, time.Millisecond)
		var df *DeleteFailure
		if !errors.As(err, &df) || df.Cause.Resource != "Certificate" || len(df.Failed) != 1 || df.Failed[0].PhysicalID != cert {
			t.Fatalf("err %v (%+v)", err, df)
		}
		if !strings.Contains(err.Error(), "Certificate (AWS::CertificateManager::Certificate) could not be deleted: "+inUse) {
			t.Errorf("message %q", err)
		}
		if strings.Join(cf.retained, ",") != "LogGroup" {
			t.Errorf("RetainResources %v", cf.retained)
		}
	})
	t.Run("emulator", func(t *testing.T) {
		emu := resources
		emu[0].ResourceStatus = "CREATE_COMPLETE"
		cf := &fakeCF{deleteErr: &smithy.GenericAPIError{Code: "ResourceInUseException", Message: inUse},
			stacks: map[string]*fakeStack{svc: {statuses: []string{"CREATE_COMPLETE"}, then: []string{DeleteFailed}, resources: emu,
				thenEvents: []types.StackEvent{ev(svc, svc, cfnStack, "DELETE_FAILED", inUse)}}}}
		err := Delete(context.Background(), cf, &quiet{}, svc, time.Millisecond)
		var df *DeleteFailure
		if !errors.As(err, &df) || df.Cause.Resource != "Certificate" || df.Cause.Type != "AWS::CertificateManager::Certificate" {
			t.Fatalf("err %v (%+v)", err, df)
		}
	})
	t.Run("a call that fails for another reason is that error", func(t *testing.T) {
		cf := &fakeCF{deleteErr: &smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized to perform: cloudformation:DeleteStack"},
			stacks: map[string]*fakeStack{svc: {statuses: []string{"CREATE_COMPLETE"}}}}
		err := Delete(context.Background(), cf, &quiet{}, svc, time.Millisecond)
		var df *DeleteFailure
		if errors.As(err, &df) || !strings.Contains(err.Error(), "delete stack berth-dev-svc-api: api error AccessDenied") {
			t.Fatalf("err %v", err)
		}
	})
}

func TestContinueRollbackSkipsTheNamedResources(t *testing.T) {
	cf := &fakeCF{stacks: map[string]*fakeStack{cluster: {statuses: []string{UpdateRollbackFailed},
		then: []string{"UPDATE_ROLLBACK_IN_PROGRESS", "UPDATE_ROLLBACK_COMPLETE"},
		thenEvents: []types.StackEvent{
			ev(cluster, cluster, cfnStack, "UPDATE_ROLLBACK_COMPLETE", ""),
			ev(cluster, "CapacityProvider", "AWS::ECS::CapacityProvider", "UPDATE_COMPLETE", "Resource skipped during UpdateRollback"),
			ev(cluster, cluster, cfnStack, "UPDATE_ROLLBACK_IN_PROGRESS", "User Initiated"),
		}}}}
	q := &quiet{}
	st, err := ContinueRollback(context.Background(), cf, q, cluster, []string{"CapacityProvider"}, time.Millisecond)
	if err != nil || st.Status != "UPDATE_ROLLBACK_COMPLETE" {
		t.Fatalf("%v %+v", err, st)
	}
	if strings.Join(cf.skipped, ",") != "CapacityProvider" || len(q.events) != 3 {
		t.Errorf("skipped %v, events %+v", cf.skipped, q.events)
	}
	if !strings.Contains(q.text(), "rollback completed") {
		t.Errorf("messages %q", q.text())
	}
}
