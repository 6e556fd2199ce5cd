// Package traffic is what berth reads of a release on its way to the users: which of a
// service's target groups serves (the production rule's weights), the rollout as it
// happens (each revision's share of the traffic, the stage, the bake left, the alarms'
// states), and, when ECS rolled a deployment back, why: which alarm fired, with its
// numbers. It reads; CloudFormation and ECS change.
//
// It must not import deploy, ops or progress.
package traffic

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/berthdev/berth/internal/rollout"
	"github.com/berthdev/berth/internal/synth"
)

// ELB is the part of the Elastic Load Balancing v2 API that shows the rule's weights.
type ELB interface {
	DescribeRules(context.Context, *elb.DescribeRulesInput, ...func(*elb.Options)) (*elb.DescribeRulesOutput, error)
}

// ECS is the part of the ECS API that shows a service's deployments (ListServiceDeployments,
// DescribeServiceDeployments: the service deployments of the ECS deployment
// controller, with traffic weights, lifecycle stage, alarms and rollback).
type ECS interface {
	ListServiceDeployments(context.Context, *ecs.ListServiceDeploymentsInput, ...func(*ecs.Options)) (*ecs.ListServiceDeploymentsOutput, error)
	DescribeServiceDeployments(context.Context, *ecs.DescribeServiceDeploymentsInput, ...func(*ecs.Options)) (*ecs.DescribeServiceDeploymentsOutput, error)
}

// CloudWatch is the part of the CloudWatch API that shows alarms.
type CloudWatch interface {
	DescribeAlarms(context.Context, *cloudwatch.DescribeAlarmsInput, ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
}

// Clients are the APIs the traffic is read through.
type Clients struct {
	ELB ELB
	ECS ECS
	CW  CloudWatch
}

// Serving says which target group serves now, from the production rule's weights:
// synth.ServingAlternate when the alternate group has the larger weight, else
// synth.ServingPrimary (also for a stack without a rule, made before berth had them).
func (c *Clients) Serving(ctx context.Context, outputs map[string]string) (string, error) {
	rule, alt := outputs[synth.OutProductionRuleArn], outputs[synth.OutAlternateTargetGroup]
	if rule == "" || alt == "" {
		return synth.ServingPrimary, nil
	}
	out, err := c.ELB.DescribeRules(ctx, &elb.DescribeRulesInput{RuleArns: []string{rule}})
	var gone *elbtypes.RuleNotFoundException
	if errors.As(err, &gone) {
		// the rule went before its stack (a delete that failed half way): nothing
		// serves through it, and the stack's template names the primary group first
		return synth.ServingPrimary, nil
	}
	if err != nil {
		return "", fmt.Errorf("read the production listener rule %s: %w", rule, err)
	}
	var primary, alternate int32
	for _, r := range out.Rules {
		for _, a := range r.Actions {
			if a.ForwardConfig == nil {
				if aws.ToString(a.TargetGroupArn) == alt {
					alternate = 1
				}
				continue
			}
			for _, tg := range a.ForwardConfig.TargetGroups {
				if aws.ToString(tg.TargetGroupArn) == alt {
					alternate += aws.ToInt32(tg.Weight)
				} else {
					primary += aws.ToInt32(tg.Weight)
				}
			}
		}
	}
	if alternate > primary {
		return synth.ServingAlternate, nil
	}
	return synth.ServingPrimary, nil
}

// Revision is one service revision of a deployment and its part of the traffic.
type Revision struct {
	Arn     string  `json:"arn"`
	New     bool    `json:"new"` // the revision being deployed
	Share   float64 `json:"share"`
	Running int32   `json:"running"`
	Desired int32   `json:"desired"`
}

// Alarm is one deployment alarm and its state.
type Alarm struct {
	Name   string `json:"name"`
	State  string `json:"state"` // OK, ALARM, INSUFFICIENT_DATA
	Reason string `json:"reason,omitempty"`
}

// View is a look at a service's newest deployment.
type View struct {
	Status    string        `json:"status"` // IN_PROGRESS, SUCCESSFUL, ROLLBACK_IN_PROGRESS, ...
	Stage     string        `json:"stage,omitempty"`
	Revisions []Revision    `json:"revisions"`
	BakeLeft  time.Duration `json:"bake_left"`
	Alarms    []Alarm       `json:"alarms"`
	Reason    string        `json:"reason,omitempty"`
	Triggered []string      `json:"triggered,omitempty"` // the alarms that failed it
}

// Look reads the newest deployment of a service and the states of its alarms; nil when
// the service has none (a new one, or an ECS that does not list them).
func (c *Clients) Look(ctx context.Context, cluster, service string, spec rollout.Spec, alarms []string, now time.Time) (*View, error) {
	d, err := c.newest(ctx, cluster, service)
	if err != nil || d == nil {
		return nil, err
	}
	v := &View{Status: string(d.Status), Stage: string(d.LifecycleStage), Reason: aws.ToString(d.StatusReason), Revisions: []Revision{}}
	if t := d.TargetServiceRevision; t != nil {
		v.Revisions = append(v.Revisions, revision(*t, true))
	}
	for _, s := range d.SourceServiceRevisions {
		v.Revisions = append(v.Revisions, revision(s, false))
	}
	if d.Alarms != nil {
		v.Triggered = d.Alarms.TriggeredAlarmNames
	}
	if d.LifecycleStage == ecstypes.ServiceDeploymentLifecycleStageBakeTime && d.UpdatedAt != nil {
		v.BakeLeft = max(0, spec.Bake-now.Sub(*d.UpdatedAt)).Round(time.Second)
	}
	if v.Alarms, err = c.alarms(ctx, alarms); err != nil {
		return nil, err
	}
	return v, nil
}

func revision(r ecstypes.ServiceRevisionSummary, isNew bool) Revision {
	return Revision{Arn: aws.ToString(r.Arn), New: isNew, Share: aws.ToFloat64(r.RequestedProductionTrafficWeight),
		Running: r.RunningTaskCount, Desired: r.RequestedTaskCount}
}

// newest is the service's newest deployment, described.
func (c *Clients) newest(ctx context.Context, cluster, service string) (*ecstypes.ServiceDeployment, error) {
	list, err := c.ECS.ListServiceDeployments(ctx, &ecs.ListServiceDeploymentsInput{Cluster: aws.String(cluster), Service: aws.String(service)})
	if err != nil {
		return nil, fmt.Errorf("list the deployments of %s: %w", service, err)
	}
	if len(list.ServiceDeployments) == 0 {
		return nil, nil
	}
	briefs := slices.Clone(list.ServiceDeployments)
	slices.SortFunc(briefs, func(a, b ecstypes.ServiceDeploymentBrief) int {
		return aws.ToTime(b.CreatedAt).Compare(aws.ToTime(a.CreatedAt))
	})
	out, err := c.ECS.DescribeServiceDeployments(ctx, &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: []string{aws.ToString(briefs[0].ServiceDeploymentArn)}})
	if err != nil {
		return nil, fmt.Errorf("describe the deployment of %s: %w", service, err)
	}
	if len(out.ServiceDeployments) == 0 {
		return nil, nil
	}
	return &out.ServiceDeployments[0], nil
}

func (c *Clients) alarms(ctx context.Context, names []string) ([]Alarm, error) {
	out := []Alarm{}
	if len(names) == 0 {
		return out, nil
	}
	res, err := c.CW.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: names, AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm}})
	if err != nil {
		return nil, fmt.Errorf("describe the deployment alarms: %w", err)
	}
	for _, a := range res.MetricAlarms {
		out = append(out, Alarm{Name: aws.ToString(a.AlarmName), State: string(a.StateValue), Reason: aws.ToString(a.StateReason)})
	}
	slices.SortFunc(out, func(a, b Alarm) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// RolledBack is a deployment ECS rolled back: why, and the alarms that fired with their
// numbers (CloudWatch's state reason: "Threshold Crossed: 2 out of the last 3
// datapoints [5.2 (...), 3.1 (...)] were greater than the threshold (1.0) ...").
type RolledBack struct {
	Service string
	Status  string
	Reason  string
	Fired   []Alarm
}

func (r *RolledBack) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the new release of %s was rolled back (%s)", r.Service, r.Status)
	for _, a := range r.Fired {
		fmt.Fprintf(&b, ": alarm %s fired: %s", a.Name, a.Reason)
	}
	if len(r.Fired) == 0 && r.Reason != "" {
		fmt.Fprintf(&b, ": %s", r.Reason)
	}
	return b.String()
}

// Hint is what to do next.
func (r *RolledBack) Hint() string {
	return "the previous revision serves again (berth status shows it); look at the new one's errors (berth logs), fix it and deploy again"
}

// Why tells whether the service's newest deployment was rolled back or failed, and by
// which alarms; nil when it was not.
func (c *Clients) Why(ctx context.Context, cluster, service string) (*RolledBack, error) {
	d, err := c.newest(ctx, cluster, service)
	if err != nil || d == nil {
		return nil, err
	}
	switch d.Status {
	case ecstypes.ServiceDeploymentStatusRollbackRequested, ecstypes.ServiceDeploymentStatusRollbackInProgress,
		ecstypes.ServiceDeploymentStatusRollbackSuccessful, ecstypes.ServiceDeploymentStatusRollbackFailed, ecstypes.ServiceDeploymentStatusStopped:
	default:
		return nil, nil
	}
	r := &RolledBack{Service: service, Status: string(d.Status), Reason: aws.ToString(d.StatusReason)}
	if d.Rollback != nil && r.Reason == "" {
		r.Reason = aws.ToString(d.Rollback.Reason)
	}
	if d.Alarms != nil && len(d.Alarms.TriggeredAlarmNames) > 0 {
		if r.Fired, err = c.alarms(ctx, d.Alarms.TriggeredAlarmNames); err != nil {
			return nil, err
		}
	}
	return r, nil
}
