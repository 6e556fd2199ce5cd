package synth

import (
	"github.com/berthdev/berth/internal/cfn"
	"github.com/berthdev/berth/internal/manifest"
)

// addAutoScaling keeps the task count between count.min and count.max by target
// tracking on average CPU and/or requests per task.
func addAutoScaling(t *cfn.Template, m *manifest.Manifest, ids lbIDs) {
	t.Resources.Set("ScalableTarget", cfn.Resource{Type: "AWS::ApplicationAutoScaling::ScalableTarget", Properties: map[string]any{
		"ServiceNamespace":  "ecs",
		"ScalableDimension": "ecs:service:DesiredCount",
		"ResourceId":        cfn.Sub("service/${" + OutClusterName + "}/${Service.Name}"),
		"MinCapacity":       m.Count.Min,
		"MaxCapacity":       m.Count.Max,
	}})
	if m.Count.CPU > 0 {
		t.Resources.Set("CPUScalingPolicy", scalingPolicy("cpu", m.Count.CPU, "PredefinedMetricSpecification", map[string]any{
			"PredefinedMetricType": "ECSServiceAverageCPUUtilization",
		}))
	}
	if m.Count.Requests > 0 {
		kind, metric := requestsMetric(m, ids)
		t.Resources.Set("RequestsScalingPolicy", scalingPolicy("requests", m.Count.Requests, kind, metric))
	}
}

// requestsMetric is what the requests policy tracks: requests per task per minute.
// A rolling update keeps the tasks in the group that serves, and AWS's predefined
// ALBRequestCountPerTarget of that group is it. A canary, linear or blue/green
// deployment moves the traffic to the other group without a stack update, and a
// predefined metric of one group would track a group without requests until the next
// deploy: ELB publishes RequestCount only while requests flow, and target tracking
// "does not perform scaling when the specified metric has insufficient data" ("Use a
// target metric to scale Amazon ECS services"; helper review, 2026-12-04). There it is
// metric math ("Create a target tracking scaling policy for Application Auto Scaling
// using metric math"): the busier group's RequestCountPerTarget (the predefined
// metric's own measure, "always reported", a group without requests at 0). Not both
// groups' requests over all the service's tasks: while both revisions run (a canary's
// new one at full count, a blue/green bake) that reads half the load, and scale-out,
// which goes on during a deployment, would wait for twice the traffic (helper review).
func requestsMetric(m *manifest.Manifest, ids lbIDs) (string, map[string]any) {
	if !m.Deployment.Rollout.Strategy.ShiftsTraffic() {
		return "PredefinedMetricSpecification", map[string]any{
			"PredefinedMetricType": "ALBRequestCountPerTarget",
			"ResourceLabel": cfn.If(ids.serves,
				cfn.Sub(ids.loadBalancerName()+"/${"+ids.alternate+".TargetGroupFullName}"),
				cfn.Sub(ids.loadBalancerName()+"/${"+ids.targetGroup+".TargetGroupFullName}")),
		}
	}
	return "CustomizedMetricSpecification", map[string]any{"Metrics": []any{
		albMetric(ids, "per_target_a", "RequestCountPerTarget", "Sum", ids.targetGroup),
		albMetric(ids, "per_target_b", "RequestCountPerTarget", "Sum", ids.alternate),
		expression("per_task", "MAX([FILL(per_target_a, 0), FILL(per_target_b, 0)])", "requests per task per minute, the busier target group's", true),
	}}
}

func scalingPolicy(name string, target int, kind string, metric map[string]any) cfn.Resource {
	return cfn.Resource{Type: "AWS::ApplicationAutoScaling::ScalingPolicy", Properties: map[string]any{
		"PolicyName":      cfn.Sub("${AWS::StackName}-" + name),
		"PolicyType":      "TargetTrackingScaling",
		"ScalingTargetId": cfn.Ref("ScalableTarget"),
		"TargetTrackingScalingPolicyConfiguration": map[string]any{
			kind:               metric,
			"TargetValue":      target,
			"ScaleInCooldown":  60,
			"ScaleOutCooldown": 60,
		},
	}}
}
