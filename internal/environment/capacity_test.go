package environment

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/smithy-go"
)

// fakeASG answers as the Auto Scaling API does, from a list of group states: each
// DescribeAutoScalingGroups returns the next one (the last one repeats). moto-server has
// no instance in a group that the capacity provider would fill, and no instance refresh.
type fakeASG struct {
	AutoScaling
	states   []types.AutoScalingGroup
	calls    []string
	refresh  *autoscaling.StartInstanceRefreshInput
	errs     map[string][]error // per call, returned in turn
	describe int
}

func (f *fakeASG) next(call string) error {
	f.calls = append(f.calls, call)
	if errs := f.errs[call]; len(errs) > 0 {
		f.errs[call] = errs[1:]
		return errs[0]
	}
	return nil
}

func (f *fakeASG) DescribeAutoScalingGroups(context.Context, *autoscaling.DescribeAutoScalingGroupsInput, ...func(*autoscaling.Options)) (*autoscaling.DescribeAutoScalingGroupsOutput, error) {
	f.calls = append(f.calls, "Describe")
	g := f.states[min(f.describe, len(f.states)-1)]
	f.describe++
	return &autoscaling.DescribeAutoScalingGroupsOutput{AutoScalingGroups: []types.AutoScalingGroup{g}}, nil
}

func (f *fakeASG) SetInstanceProtection(_ context.Context, in *autoscaling.SetInstanceProtectionInput, _ ...func(*autoscaling.Options)) (*autoscaling.SetInstanceProtectionOutput, error) {
	return &autoscaling.SetInstanceProtectionOutput{}, f.next("Protect:" + strings.Join(in.InstanceIds, ","))
}

func (f *fakeASG) UpdateAutoScalingGroup(context.Context, *autoscaling.UpdateAutoScalingGroupInput, ...func(*autoscaling.Options)) (*autoscaling.UpdateAutoScalingGroupOutput, error) {
	return &autoscaling.UpdateAutoScalingGroupOutput{}, f.next("Empty")
}

func (f *fakeASG) StartInstanceRefresh(_ context.Context, in *autoscaling.StartInstanceRefreshInput, _ ...func(*autoscaling.Options)) (*autoscaling.StartInstanceRefreshOutput, error) {
	f.refresh = in
	return &autoscaling.StartInstanceRefreshOutput{InstanceRefreshId: aws.String("r-1")}, f.next("Refresh")
}

func instance(id, version string, state types.LifecycleState, protected bool) types.Instance {
	return types.Instance{InstanceId: aws.String(id), LifecycleState: state, ProtectedFromScaleIn: aws.Bool(protected),
		LaunchTemplate: &types.LaunchTemplateSpecification{Version: aws.String(version)}}
}

func group(version string, instances ...types.Instance) types.AutoScalingGroup {
	return types.AutoScalingGroup{LaunchTemplate: &types.LaunchTemplateSpecification{Version: aws.String(version)}, Instances: instances}
}

func TestRollInstancesRefreshesOnlyOutdatedOnesWithProtectionReplaced(t *testing.T) {
	f := &fakeASG{states: []types.AutoScalingGroup{group("3",
		instance("i-old", "2", types.LifecycleStateInService, true),
		instance("i-new", "3", types.LifecycleStateInService, true))}}
	var out bytes.Buffer
	c := &Clients{ASG: f}
	if err := c.RollInstances(context.Background(), "asg", say(&out)); err != nil {
		t.Fatal(err)
	}
	if f.refresh == nil {
		t.Fatal("no instance refresh for an instance on launch template version 2 of 3")
	}
	p := f.refresh.Preferences
	if p.ScaleInProtectedInstances != types.ScaleInProtectedInstancesRefresh || aws.ToInt32(p.MinHealthyPercentage) != 100 ||
		aws.ToInt32(p.MaxHealthyPercentage) != 200 || !aws.ToBool(p.SkipMatching) {
		t.Errorf("preferences %+v: want protected instances refreshed, launch before terminate, matching ones skipped", p)
	}
	if !strings.Contains(out.String(), "rolling 1 instance(s)") {
		t.Errorf("output: %s", out.String())
	}

	// nothing outdated: nothing to do
	f = &fakeASG{states: []types.AutoScalingGroup{group("3", instance("i-new", "3", types.LifecycleStateInService, true))}}
	(&Clients{ASG: f}).RollInstances(context.Background(), "asg", say(&out))
	if f.refresh != nil {
		t.Error("refreshed a group whose instances all run the current version")
	}

	// a refresh already running is reported, not an error
	f = &fakeASG{states: []types.AutoScalingGroup{group("4", instance("i-old", "2", types.LifecycleStateInService, true))},
		errs: map[string][]error{"Refresh": {&types.InstanceRefreshInProgressFault{Message: aws.String("An Instance Refresh is already in progress")}}}}
	out.Reset()
	if err := (&Clients{ASG: f}).RollInstances(context.Background(), "asg", say(&out)); err != nil || !strings.Contains(out.String(), "already in progress") {
		t.Errorf("err %v, output %s", err, out.String())
	}
}

// The teardown hazard, in the right order: protection is lifted from the instances that
// are in service, described again each time (one that started terminating refuses it),
// and only then is the group emptied. Before, the group was emptied first and the
// protection call named instances that were by then terminating, and failed.
func TestReleaseInstancesLiftsProtectionFirstAndRetries(t *testing.T) {
	refused := &smithy.GenericAPIError{Code: "ValidationError", Message: "The instance i-a is not in InService or EnteringStandby or Standby."}
	f := &fakeASG{
		states: []types.AutoScalingGroup{
			group("1", instance("i-a", "1", types.LifecycleStateInService, true), instance("i-b", "1", types.LifecycleStateInService, true),
				instance("i-c", "1", types.LifecycleStateTerminating, true)),
			// i-a started terminating meanwhile
			group("1", instance("i-a", "1", types.LifecycleStateTerminating, true), instance("i-b", "1", types.LifecycleStateInService, true)),
			group("1", instance("i-a", "1", types.LifecycleStateTerminating, true), instance("i-b", "1", types.LifecycleStateInService, false)),
		},
		errs: map[string][]error{"Protect:i-a,i-b": {refused}},
	}
	var out bytes.Buffer
	if err := (&Clients{ASG: f}).ReleaseInstances(context.Background(), "asg", say(&out)); err != nil {
		t.Fatal(err)
	}
	want := "Describe Protect:i-a,i-b Describe Protect:i-b Describe Empty"
	if got := strings.Join(f.calls, " "); got != want {
		t.Errorf("calls %s\nwant  %s", got, want)
	}
}

func (f *fakeASG) DescribeScalingActivities(context.Context, *autoscaling.DescribeScalingActivitiesInput, ...func(*autoscaling.Options)) (*autoscaling.DescribeScalingActivitiesOutput, error) {
	now := time.Now()
	return &autoscaling.DescribeScalingActivitiesOutput{Activities: []types.Activity{
		{StatusCode: types.ScalingActivityStatusCodeFailed, StartTime: aws.Time(now.Add(-time.Minute)),
			StatusMessage: aws.String("You have requested more vCPU capacity than your current vCPU limit of 32 allows for the instance bucket that the specified instance type belongs to. Launching EC2 instance failed.")},
		{StatusCode: types.ScalingActivityStatusCodeFailed, StartTime: aws.Time(now.Add(-2 * time.Minute)),
			StatusMessage: aws.String("You have requested more vCPU capacity than your current vCPU limit of 32 allows for the instance bucket that the specified instance type belongs to. Launching EC2 instance failed.")},
		{StatusCode: types.ScalingActivityStatusCodeSuccessful, StartTime: aws.Time(now.Add(-3 * time.Minute)), StatusMessage: aws.String("")},
		{StatusCode: types.ScalingActivityStatusCodeFailed, StartTime: aws.Time(now.Add(-3 * time.Hour)), StatusMessage: aws.String("an old failure")},
	}}, nil
}

// Tasks that stay PROVISIONING are explained by what the group failed to launch (an
// activity as AWS records a vCPU quota), once, and only recent failures.
func TestCapacityThatNeverArrivesIsExplained(t *testing.T) {
	c := &Clients{ASG: &fakeASG{}}
	got, err := c.FailedLaunches(context.Background(), "asg", time.Now().Add(-time.Hour))
	if err != nil || len(got) != 1 || !strings.Contains(got[0], "vCPU limit of 32") {
		t.Fatalf("failed launches %q %v", got, err)
	}
	// what verify makes of them: internal/ops TestCapacityThatNeverArrivesFailsVerify
}

// say writes each message on a line of its own, as the plain progress view does.
func say(w io.Writer) func(string) { return func(m string) { fmt.Fprintln(w, m) } }
