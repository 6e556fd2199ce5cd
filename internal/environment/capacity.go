package environment

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/berthdev/berth/internal/instances"
	"github.com/berthdev/berth/internal/manifest"
)

// ECS is the part of the ECS API the environment reads: whether ENI trunking is on.
type ECS interface {
	ListAccountSettings(context.Context, *ecs.ListAccountSettingsInput, ...func(*ecs.Options)) (*ecs.ListAccountSettingsOutput, error)
}

// AutoScaling is the part of the Auto Scaling API berth uses on the group behind the
// capacity provider.
type AutoScaling interface {
	DescribeAutoScalingGroups(context.Context, *autoscaling.DescribeAutoScalingGroupsInput, ...func(*autoscaling.Options)) (*autoscaling.DescribeAutoScalingGroupsOutput, error)
	UpdateAutoScalingGroup(context.Context, *autoscaling.UpdateAutoScalingGroupInput, ...func(*autoscaling.Options)) (*autoscaling.UpdateAutoScalingGroupOutput, error)
	SetInstanceProtection(context.Context, *autoscaling.SetInstanceProtectionInput, ...func(*autoscaling.Options)) (*autoscaling.SetInstanceProtectionOutput, error)
	StartInstanceRefresh(context.Context, *autoscaling.StartInstanceRefreshInput, ...func(*autoscaling.Options)) (*autoscaling.StartInstanceRefreshOutput, error)
	DescribeScalingActivities(context.Context, *autoscaling.DescribeScalingActivitiesInput, ...func(*autoscaling.Options)) (*autoscaling.DescribeScalingActivitiesOutput, error)
}

func (c *Clients) describeGroup(ctx context.Context, group string) (*types.AutoScalingGroup, error) {
	out, err := c.ASG.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{group}})
	if err != nil {
		return nil, fmt.Errorf("describe Auto Scaling group %s: %w", group, err)
	}
	if len(out.AutoScalingGroups) == 0 {
		return nil, nil
	}
	return &out.AutoScalingGroups[0], nil
}

// outdated lists the group's instances that were launched from another launch template
// version than the group's own.
func outdated(g *types.AutoScalingGroup) []string {
	want := ""
	if g.LaunchTemplate != nil {
		want = aws.ToString(g.LaunchTemplate.Version)
	}
	var ids []string
	for _, in := range g.Instances {
		have := ""
		if in.LaunchTemplate != nil {
			have = aws.ToString(in.LaunchTemplate.Version)
		}
		if have != want && in.LifecycleState != types.LifecycleStateTerminating && in.LifecycleState != types.LifecycleStateTerminated {
			ids = append(ids, aws.ToString(in.InstanceId))
		}
	}
	return ids
}

// RollInstances replaces the instances that run an older launch template version, after
// a cluster update gave the group a new one (instance type, AMI, volume, user data).
// The group and its capacity provider stay: an instance refresh launches new instances
// before it terminates old ones (100 % healthy minimum, 200 % maximum), refreshes the
// instances that managed termination protection keeps from scale-in, and ECS managed
// draining moves their tasks first. That is the procedure AWS documents for capacity
// providers: docs.aws.amazon.com/AmazonECS/latest/developerguide/managed-instance-draining.html
// ("select Replace for Scale-in protection when calling StartInstanceRefresh if you're
// using managed termination protection").
func (c *Clients) RollInstances(ctx context.Context, group string, say func(string)) error {
	if group == "" {
		return nil
	}
	g, err := c.describeGroup(ctx, group)
	if err != nil || g == nil {
		return err
	}
	old := outdated(g)
	if len(old) == 0 {
		if len(g.Instances) == 0 {
			say(group + ": no instance runs yet; the ones the capacity provider launches use the new launch template")
		}
		return nil
	}
	out, err := c.ASG.StartInstanceRefresh(ctx, &autoscaling.StartInstanceRefreshInput{
		AutoScalingGroupName: aws.String(group),
		Strategy:             types.RefreshStrategyRolling,
		Preferences: &types.RefreshPreferences{
			MinHealthyPercentage:      aws.Int32(100),
			MaxHealthyPercentage:      aws.Int32(200),
			InstanceWarmup:            aws.Int32(60), // the capacity provider's warm-up
			SkipMatching:              aws.Bool(true),
			ScaleInProtectedInstances: types.ScaleInProtectedInstancesRefresh,
			StandbyInstances:          types.StandbyInstancesTerminate,
		},
	})
	var busy *types.InstanceRefreshInProgressFault
	if errors.As(err, &busy) {
		say(fmt.Sprintf("%s: %d instance(s) run an older launch template, and an instance refresh is already in progress; run berth deploy again once it ends to roll the rest", group, len(old)))
		return nil
	}
	if err != nil {
		return fmt.Errorf("roll the instances of %s to the new launch template: %w", group, err)
	}
	say(fmt.Sprintf("%s: rolling %d instance(s) to the new launch template (instance refresh %s): new instances start first, ECS drains the old ones' tasks; \"berth status\" shows the progress",
		group, len(old), aws.ToString(out.InstanceRefreshId)))
	return nil
}

// ReleaseInstances is berth's answer to the reference's teardown hazard
// (docs/architecture.md), without a custom resource: with managed termination protection, instances can stay protected
// from scale-in after the service is gone, and the group then never deletes. So: lift
// the protection of every instance that can take it, from a fresh description each
// time (an instance that started terminating meanwhile refuses it, and is simply not
// asked again), then empty the group, so that CloudFormation can delete it.
func (c *Clients) ReleaseInstances(ctx context.Context, group string, say func(string)) error {
	if group == "" {
		return nil
	}
	lifted := map[string]bool{}
	for attempt := 0; ; attempt++ {
		g, err := c.describeGroup(ctx, group)
		if err != nil || g == nil {
			return err
		}
		var ids []string
		for _, id := range protected(g) {
			if !lifted[id] {
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 {
			break
		}
		_, err = c.ASG.SetInstanceProtection(ctx, &autoscaling.SetInstanceProtectionInput{
			AutoScalingGroupName: aws.String(group), InstanceIds: ids, ProtectedFromScaleIn: aws.Bool(false),
		})
		if err == nil {
			for _, id := range ids {
				lifted[id] = true
			}
			continue // described again: nothing protected is left, or a new instance came
		}
		if attempt >= 5 {
			return fmt.Errorf("lift scale-in protection in %s: %w", group, err)
		}
		// typically "The instance ... is not in InService or EnteringStandby or Standby"
		// (it started terminating): describe again and ask for the others
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt+1) * time.Second):
		}
	}
	if _, err := c.ASG.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String(group), MinSize: aws.Int32(0), DesiredCapacity: aws.Int32(0),
	}); err != nil {
		return fmt.Errorf("empty Auto Scaling group %s: %w", group, err)
	}
	say(fmt.Sprintf("%s: scale-in protection lifted from %d instance(s), group emptied", group, len(lifted)))
	return nil
}

// protected lists the instances whose scale-in protection can be lifted: those in
// service or standby that still have it.
func protected(g *types.AutoScalingGroup) []string {
	var ids []string
	for _, in := range g.Instances {
		switch in.LifecycleState {
		case types.LifecycleStateInService, types.LifecycleStateStandby, types.LifecycleStateEnteringStandby, types.LifecycleStatePending:
			if aws.ToBool(in.ProtectedFromScaleIn) {
				ids = append(ids, aws.ToString(in.InstanceId))
			}
		}
	}
	sort.Strings(ids)
	return ids
}

// FailedLaunches are the group's recent scaling activities that failed: why the
// capacity provider could not launch instances (a vCPU quota, no capacity of the type
// in a zone, an instance type not offered there), which leaves tasks in PROVISIONING.
func (c *Clients) FailedLaunches(ctx context.Context, group string, since time.Time) ([]string, error) {
	if group == "" {
		return nil, nil
	}
	out, err := c.ASG.DescribeScalingActivities(ctx, &autoscaling.DescribeScalingActivitiesInput{AutoScalingGroupName: aws.String(group), MaxRecords: aws.Int32(20)})
	if err != nil {
		return nil, fmt.Errorf("describe scaling activities of %s: %w", group, err)
	}
	var msgs []string
	seen := map[string]bool{}
	for _, a := range out.Activities {
		if a.StatusCode != types.ScalingActivityStatusCodeFailed && a.StatusCode != types.ScalingActivityStatusCodeCancelled {
			continue
		}
		if a.StartTime != nil && a.StartTime.Before(since) {
			continue
		}
		msg := strings.TrimSpace(aws.ToString(a.StatusMessage))
		if msg == "" {
			msg = aws.ToString(a.Description)
		}
		if !seen[msg] {
			seen[msg] = true
			msgs = append(msgs, msg)
		}
	}
	return msgs, nil
}

// trunking reports whether ENI trunking is on for the account's container instances,
// which multiplies the awsvpc tasks an instance holds.
func (c *Clients) trunking(ctx context.Context) (bool, error) {
	out, err := c.ECS.ListAccountSettings(ctx, &ecs.ListAccountSettingsInput{Name: ecstypes.SettingNameAwsvpcTrunking, EffectiveSettings: true})
	if err != nil {
		return false, fmt.Errorf("read the account's awsvpcTrunking setting: %w", err)
	}
	for _, s := range out.Settings {
		if strings.EqualFold(aws.ToString(s.Value), "enabled") {
			return true, nil
		}
	}
	return false, nil
}

// RoomNote warns, before a deploy, when the service's tasks cannot all be placed on
// capacity.max instances (awsvpc takes a network interface per task), and says whether
// ENI trunking, which lifts that bound, is on.
func (c *Clients) RoomNote(ctx context.Context, m *manifest.Manifest) (string, error) {
	w := instances.RoomFor(m)
	if w == "" {
		return "", nil
	}
	on, err := c.trunking(ctx)
	if err != nil {
		return "", err
	}
	if on {
		return w + " (ENI trunking is on for this account: the bound is higher than this, if the instances support it)", nil
	}
	return w + " (ENI trunking is off for this account)", nil
}
