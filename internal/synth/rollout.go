package synth

import (
	"fmt"

	"github.com/berthdev/berth/internal/cfn"
	"github.com/berthdev/berth/internal/manifest"
	"github.com/berthdev/berth/internal/rollout"
)

// How a release reaches the traffic. Every service has two target groups and a
// production listener rule that forwards to them by weight: the rule is the service's
// unit of routing (on a load balancer shared by an environment's services, each would
// have its own). A rolling update replaces the tasks of the target group that serves;
// canary, linear and blue-green are ECS's own deployments: ECS starts the new revision
// in the other target group and moves the rule's weights to it, step by step, through
// a role of the service's ("Application Load Balancer resources for blue/green, linear,
// and canary deployments", "Amazon ECS infrastructure IAM role for load balancers",
// Amazon ECS Developer Guide). The rule and both groups exist whatever the strategy, so
// that a change of strategy changes the ECS service and nothing that routes.

// Names of the rollout's resources, parameter and outputs.
const (
	ResTargetGroup          = "TargetGroup"
	ResAlternateTargetGroup = "AlternateTargetGroup"
	ResProductionRule       = "ProductionRule"
	ResDeploymentRole       = "DeploymentRole"
	// on the environment's load balancer (shared.go)
	ResSharedTargetGroup          = "SharedTargetGroup"
	ResSharedAlternateTargetGroup = "SharedAlternateTargetGroup"
	ResSharedRule                 = "SharedRule"
	// ParamSourceServing is ParamServing for the load balancer a service moves from.
	ParamSourceServing    = "SourceServingTargetGroup"
	sourceServesAlternate = "SourceServesAlternate"
	// ParamServing says which target group serves now: ECS leaves the traffic on the
	// group of the revision it deployed last, which is the alternate one after every
	// other traffic-shifting deployment. berth deploy reads the rule's weights and
	// passes it, so that the rule (should CloudFormation ever write it again) and a
	// rolling update use the group that serves.
	ParamServing            = "ServingTargetGroup"
	ServingPrimary          = "primary"
	ServingAlternate        = "alternate"
	OutProductionRuleArn    = "ProductionRuleArn"
	OutAlternateTargetGroup = "AlternateTargetGroupArn"
	OutStrategy             = "Strategy"
	// ParamPreviousImage is the image the service ran before the current one, which
	// berth rollback deploys again; berth deploy passes it whenever the image changes.
	ParamPreviousImage = "PreviousImage"
	// RulePriority is the production rule's place on its listener: one rule per
	// service, matching every path.
	RulePriority = 100
)

const servesAlternate = "ServesAlternate"

// lbIDs are the logical ids of what routes to the service: its target groups and its
// production rule, on a load balancer of its own or on the environment's (whose
// groups have ids of their own: a target group can be attached to one load balancer
// only, "Quotas for your Application Load Balancers", so a service that moves between
// the two gets new ones), and the condition that says the alternate group serves.
type lbIDs struct {
	shared                       bool
	targetGroup, alternate, rule string
	serves, servingParam         string
}

var (
	ownIDs    = lbIDs{false, ResTargetGroup, ResAlternateTargetGroup, ResProductionRule, servesAlternate, ParamServing}
	sharedIDs = lbIDs{true, ResSharedTargetGroup, ResSharedAlternateTargetGroup, ResSharedRule, servesAlternate, ParamServing}
)

// loadBalancerName is the load balancer's CloudWatch dimension, for a Fn::Sub.
func (ids lbIDs) loadBalancerName() string {
	if ids.shared {
		return "${" + OutSharedFullName + "}"
	}
	return "${LoadBalancer.LoadBalancerFullName}"
}

// serviceLoadBalancers are the ECS service's load balancer entries: its one load
// balancer's, or while it moves, the new one's and the old one's, whose target groups
// ECS registers every task with ("Registering multiple target groups with an Amazon ECS
// service": up to five, under the ECS deployment controller, rolling or blue/green).
func serviceLoadBalancers(m *manifest.Manifest, own, shared bool) []any {
	out := []any{serviceLoadBalancer(m, idsOf(m, false))}
	if own && shared {
		out = append(out, serviceLoadBalancer(m, idsOf(m, true)))
	}
	return out
}

// sharedMetadata says, for berth check, which parameters are the environment's load
// balancer: its security group (the tasks' group admits it, BERTH002) and its
// listeners with their protocols (what a rule on them serves, BERTH009).
func sharedMetadata(m *manifest.Manifest) map[string]any {
	protocol := "HTTP"
	if m.HTTPS() {
		protocol = "HTTPS"
	}
	listeners := map[string]any{ParamSharedListener: protocol}
	if m.Route().Host != "" {
		listeners[OutSharedHTTPListener] = "HTTP"
	}
	lb := map[string]any{"listeners": listeners}
	if m.CloudFront() {
		// an internal load balancer whose way in is the environment's distribution, which
		// serves HTTPS only: berth check passes the service's rule on its HTTP listener
		// (the distribution is judged in the ingress template)
		lb["scheme"], lb["edge"] = "internal", manifest.EdgeCloudFront
	}
	if !Bridge(m) {
		lb["security_group"] = OutSharedSecurityGroup
	}
	return map[string]any{"load_balancer": lb}
}

// idsOf are the ids of m's load balancer; with source, those of the one a service
// moves from, whose serving group has a parameter of its own.
func idsOf(m *manifest.Manifest, source bool) lbIDs {
	ids := ownIDs
	if m.Shared() != source {
		ids = sharedIDs
	}
	if source {
		ids.serves, ids.servingParam = sourceServesAlternate, ParamSourceServing
	}
	return ids
}

// addRouting adds the alternate target group, the production rule on the listener that
// serves (HTTPS with a domain), the serving parameter, and for traffic-shifting
// strategies the role ECS moves the traffic with. Moving from this load balancer to the
// other (source), it adds what still routes until the move is over, no more.
func addRouting(t *cfn.Template, m *manifest.Manifest, ids lbIDs, source bool) {
	t.Parameters.Set(ids.servingParam, cfn.Parameter{
		Type: "String", Default: ServingPrimary, AllowedValues: []string{ServingPrimary, ServingAlternate},
		Description: "The target group that serves now (berth deploy reads it from the production rule's weights)",
	})
	t.Conditions.Set(ids.serves, cfn.Equals(cfn.Ref(ids.servingParam), ServingAlternate))
	t.Resources.Set(ids.alternate, targetGroup(m))
	listener := cfn.Ref("Listener")
	if terminatesTLS(m) {
		listener = cfn.Ref("HTTPSListener")
	}
	conditions := []any{map[string]any{"Field": "path-pattern", "PathPatternConfig": map[string]any{"Values": []any{"/*"}}}}
	var priority any = RulePriority
	if ids.shared {
		listener, conditions, priority = cfn.Ref(ParamSharedListener), ruleConditions(m), cfn.Ref(ParamRulePriority)
	}
	// ECS rewrites the rule's forward action into these weights as it shifts traffic;
	// berth writes the weights as they are (serving 100, other 0), so that a
	// replacement of the rule never sends traffic to a group without tasks
	// (aws/aws-cdk#36649: a stack update that resets them breaks the deployment)
	weight := func(serving bool) any {
		if serving {
			return cfn.If(ids.serves, 0, 100)
		}
		return cfn.If(ids.serves, 100, 0)
	}
	t.Resources.Set(ids.rule, cfn.Resource{Type: "AWS::ElasticLoadBalancingV2::ListenerRule", Properties: map[string]any{
		"ListenerArn": listener,
		"Priority":    priority,
		"Conditions":  conditions,
		"Actions": []any{map[string]any{"Type": "forward", "ForwardConfig": map[string]any{"TargetGroups": []any{
			map[string]any{"TargetGroupArn": cfn.Ref(ids.targetGroup), "Weight": weight(true)},
			map[string]any{"TargetGroupArn": cfn.Ref(ids.alternate), "Weight": weight(false)},
		}}}},
	}})
	if ids.shared {
		addRedirect(t, m)
	}
	if source {
		return
	}
	if m.Deployment.Rollout.Strategy.ShiftsTraffic() {
		t.Resources.Set(ResDeploymentRole, deploymentRole(m))
	}
	t.Outputs.Set(OutProductionRuleArn, output("The service's production listener rule", cfn.Ref(ids.rule)))
	t.Outputs.Set(OutAlternateTargetGroup, output("The second target group of the service's rollouts", cfn.Ref(ids.alternate)))
	t.Outputs.Set(OutStrategy, output("How a release reaches the traffic", string(m.Deployment.Rollout.Strategy)))
	t.Parameters.Set(ParamPreviousImage, cfn.Parameter{Type: "String", Default: "",
		Description: "The image the service ran before Image, which berth rollback deploys again (berth deploy passes it)"})
	t.Outputs.Set(ParamPreviousImage, output("The image before the current one (berth rollback)", cfn.Ref(ParamPreviousImage)))
}

// deploymentRole is the role ECS moves the production rule's traffic with: the AWS
// managed AmazonECSInfrastructureRolePolicyForLoadBalancers, trusted by
// ecs.amazonaws.com with the trust policy AWS documents for it ("Amazon ECS
// infrastructure IAM role for load balancers"), which has no condition: AWS does not
// say ECS sends aws:SourceAccount when it assumes this role, and a condition ECS does
// not meet would fail every traffic-shifting deployment. (The task role's trust,
// ecs-tasks.amazonaws.com, is scoped: AWS documents those keys for it.)
func deploymentRole(m *manifest.Manifest) cfn.Resource {
	return cfn.Resource{Type: "AWS::IAM::Role", Properties: map[string]any{
		"Description": fmt.Sprintf("berth %s: ECS moves traffic between the service's target groups during %s deployments", m.Name, m.Deployment.Rollout.Strategy),
		"AssumeRolePolicyDocument": map[string]any{
			"Version": "2012-10-17",
			"Statement": []any{map[string]any{
				"Effect": "Allow", "Principal": map[string]any{"Service": "ecs.amazonaws.com"}, "Action": "sts:AssumeRole",
			}},
		},
		"ManagedPolicyArns": []any{cfn.AWSManagedPolicy("AmazonECSInfrastructureRolePolicyForLoadBalancers")},
	}}
}

// serving and other are the target group that serves now and the other one.
func (ids lbIDs) serving() any {
	return cfn.If(ids.serves, cfn.Ref(ids.alternate), cfn.Ref(ids.targetGroup))
}
func (ids lbIDs) other() any {
	return cfn.If(ids.serves, cfn.Ref(ids.targetGroup), cfn.Ref(ids.alternate))
}

// deploymentConfiguration is the ECS service's: the rolling bounds, the circuit
// breaker (tasks that never pass their health checks), the alarms that roll a
// deployment back on every strategy ("How CloudWatch alarms detect Amazon ECS
// deployment failures"), and the strategy with its steps and bake (AWS::ECS::Service
// DeploymentConfiguration: Strategy, BakeTimeInMinutes, CanaryConfiguration,
// LinearConfiguration). The deployment controller stays ECS's default, unwritten: a
// new DeploymentController replaces the service (CloudFormation reference,
// "Update requires: Replacement"), which its fixed name forbids.
func deploymentConfiguration(m *manifest.Manifest) map[string]any {
	r := m.Deployment.Rollout
	var names []any
	for _, a := range alarms(m) {
		names = append(names, cfn.Ref(a))
	}
	dc := map[string]any{
		"MaximumPercent":           m.Deployment.MaxPercent,
		"MinimumHealthyPercent":    m.Deployment.MinHealthyPercent,
		"DeploymentCircuitBreaker": map[string]any{"Enable": true, "Rollback": true},
		"Alarms":                   map[string]any{"AlarmNames": names, "Enable": true, "Rollback": true},
		"Strategy":                 r.Strategy.ECS(),
	}
	if r.Strategy.ShiftsTraffic() {
		dc["BakeTimeInMinutes"] = minutes(r.Bake)
	}
	switch r.Strategy {
	case rollout.Canary:
		dc["CanaryConfiguration"] = map[string]any{"CanaryPercent": r.Percent, "CanaryBakeTimeInMinutes": minutes(r.Interval)}
	case rollout.Linear:
		dc["LinearConfiguration"] = map[string]any{"StepPercent": r.Percent, "StepBakeTimeInMinutes": minutes(r.Interval)}
	}
	return dc
}

// serviceLoadBalancer is the ECS service's load balancer entry: the serving target
// group, and for traffic-shifting strategies the other one, the production rule and
// the role ("AWS::ECS::Service AdvancedConfiguration").
func serviceLoadBalancer(m *manifest.Manifest, ids lbIDs) map[string]any {
	lb := map[string]any{"ContainerName": m.Name, "ContainerPort": m.Port, "TargetGroupArn": ids.serving()}
	if m.Deployment.Rollout.Strategy.ShiftsTraffic() {
		lb["AdvancedConfiguration"] = map[string]any{
			"AlternateTargetGroupArn": ids.other(),
			"ProductionListenerRule":  cfn.Ref(ids.rule),
			"RoleArn":                 cfn.GetAtt(ResDeploymentRole + ".Arn"),
		}
	}
	return lb
}

func minutes(d interface{ Minutes() float64 }) int { return int(d.Minutes()) }
