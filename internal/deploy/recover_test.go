package deploy

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/berthdev/berth/internal/buckets"
	"github.com/berthdev/berth/internal/hint"
	"github.com/berthdev/berth/internal/manifest"
	"github.com/berthdev/berth/internal/session"
	"github.com/berthdev/berth/internal/stacks"
	"github.com/berthdev/berth/internal/stacks/stackstest"
	"github.com/berthdev/berth/internal/synth"
)

// The plan of a deploy says, for each failed state, what state, why and what the deploy
// does first, before anything changes; no change set is asked of a stack that cannot
// take one.
func TestThePlanRecoversEveryFailedState(t *testing.T) {
	for _, tc := range []struct {
		status string
		acts   []stackstest.Act
		note   string
	}{
		{stacks.UpdateRollbackFailed, []stackstest.Act{{Statuses: []string{stacks.UpdateRollbackFailed}, Events: []types.StackEvent{
			stackstest.Event("berth-dev-cluster", "berth-dev-cluster", "AWS::CloudFormation::Stack", "UPDATE_ROLLBACK_FAILED", ""),
			stackstest.Event("berth-dev-cluster", "CapacityProvider", "AWS::ECS::CapacityProvider", "UPDATE_FAILED", "The specified capacity provider is in use and cannot be removed."),
			stackstest.Event("berth-dev-cluster", "AutoScalingGroup", "AWS::AutoScaling::AutoScalingGroup", "UPDATE_FAILED", "instance type not supported"),
			stackstest.Event("berth-dev-cluster", "berth-dev-cluster", "AWS::CloudFormation::Stack", "UPDATE_IN_PROGRESS", "User Initiated"),
		}, Resources: []types.StackResourceSummary{stackstest.Resource("CapacityProvider", "AWS::ECS::CapacityProvider", "UPDATE_FAILED", "in use", "cp")}}},
			"berth-dev-cluster is UPDATE_ROLLBACK_FAILED: AutoScalingGroup (AWS::AutoScaling::AutoScalingGroup) UPDATE_FAILED: instance type not supported. the deploy continues the rollback, skipping CapacityProvider"},
		{stacks.RollbackFailed, []stackstest.Act{{Statuses: []string{stacks.RollbackFailed}}}, "the deploy deletes what the failed first create left"},
		{stacks.RollbackComplete, []stackstest.Act{{Statuses: []string{stacks.RollbackComplete}}}, "the deploy deletes the empty stack"},
		{stacks.DeleteFailed, []stackstest.Act{{Statuses: []string{stacks.DeleteFailed}}}, "the deploy deletes it again"},
	} {
		t.Run(tc.status, func(t *testing.T) {
			cf := &stackstest.CF{Stacks: map[string]*stackstest.Script{"berth-dev-cluster": {Acts: tc.acts, Events: tc.acts[0].Events}}}
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
			if cf.Did("CreateChangeSet") {
				t.Errorf("a change set was asked of a stack in %s: %s", tc.status, cf.Ops())
			}
		})
	}
}

// The deploy does the recovery the plan showed, then the update; a stack that got into
// a failed state after the plan was made is not touched unasked.
func TestTheDeployRecoversAsPlanned(t *testing.T) {
	rollbackFailed := stackstest.Act{Statuses: []string{stacks.UpdateRollbackFailed}}
	rolledBack := stackstest.Act{Statuses: []string{"UPDATE_ROLLBACK_IN_PROGRESS", "UPDATE_ROLLBACK_COMPLETE"}, Events: []types.StackEvent{
		stackstest.Event("berth-dev-cluster", "berth-dev-cluster", "AWS::CloudFormation::Stack", "UPDATE_ROLLBACK_COMPLETE", ""),
	}}
	updated := stackstest.Act{Statuses: []string{"UPDATE_IN_PROGRESS", "UPDATE_COMPLETE"}}
	for _, tc := range []struct {
		name     string
		acts     []stackstest.Act
		recovery *stacks.Recovery
		ops      string
		err      string
	}{
		{
			name: "UPDATE_ROLLBACK_FAILED: the rollback continues, then the update runs", acts: []stackstest.Act{rollbackFailed, rolledBack, updated},
			recovery: &stacks.Recovery{Stack: "berth-dev-cluster", Status: stacks.UpdateRollbackFailed, Action: "continue-rollback", Skip: []string{"CapacityProvider"}},
			ops:      "ContinueUpdateRollback skipping CapacityProvider; CreateChangeSet:UPDATE; ExecuteChangeSet",
		},
		{
			name:     "DELETE_FAILED: deleted leaving what the plan said, then created",
			acts:     []stackstest.Act{{Statuses: []string{stacks.DeleteFailed}}, {Statuses: []string{"DELETE_IN_PROGRESS", ""}}, {Statuses: []string{"CREATE_IN_PROGRESS", "CREATE_COMPLETE"}}},
			recovery: &stacks.Recovery{Stack: "berth-dev-cluster", Status: stacks.DeleteFailed, Action: "delete", Retain: []stacks.Kept{{Resource: "LogGroup"}}},
			ops:      "DeleteStack retaining LogGroup; CreateChangeSet:CREATE; ExecuteChangeSet",
		},
		{
			name: "a failed state the plan did not show", acts: []stackstest.Act{rollbackFailed},
			ops: "", err: "berth-dev-cluster is UPDATE_ROLLBACK_FAILED",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cf := &stackstest.CF{Stacks: map[string]*stackstest.Script{"berth-dev-cluster": {Acts: tc.acts}}}
			var out bytes.Buffer
			c := &Clients{CF: cf, S3: uploadOnly{}, Region: "us-east-1"}
			o := Options{Env: "dev", Manifest: &manifest.Manifest{Name: "api"}, Progress: &lines{w: &out}, Poll: time.Millisecond}
			sp := &StackPlan{target: &target{kind: synth.Cluster, name: "berth-dev-cluster", body: []byte("Resources: {x: 1}\n")}, Recovery: tc.recovery}
			_, err := c.applyStack(context.Background(), o, buckets.NewArtifacts(uploadOnly{}, "1", "us-east-1", true), sp, map[string]string{})
			if got := cf.Ops(); got != tc.ops {
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
