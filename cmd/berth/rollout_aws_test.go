package main

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/berthdev/berth/internal/session"
)

// A canary service deploys with its alarms wired as deployment alarms, switches to
// rolling in place (the service is not replaced), rolls back to the image before, and
// is deleted with its alarms. The emulator keeps and checks the deployment
// configuration but runs no deployment: no traffic shift, no bake and no alarm
// rollback. Those are covered below: the live view and "which alarm fired" on recorded
// DescribeServiceDeployments / DescribeAlarms answers (internal/traffic,
// internal/progress), the templates by goldens and cfn-lint (internal/synth).
func TestStrategySwitchRollbackAndDelete_EmulatorShiftsNoTraffic(t *testing.T) {
	t.Parallel()
	env := awsEnv(t)
	c := clients(t, env)
	ctx := context.Background()
	const first, second = "public.ecr.aws/docker/library/nginx:1.27", "public.ecr.aws/docker/library/nginx:1.28"
	dir := project(t, "nginx:latest", "nginx:1.27", "max: 20\n", "max: 20\ndeployment:\n  strategy: canary\n  rollback_on: {errors: 1%, latency_p99: 2s}\n")
	manifest := filepath.Join(dir, "berth.yml")

	r := berthWith(t, dir, env, "deploy", "--env", "e2e-ro", "--yes")
	mustSucceed(t, r, "canary deploy")
	if !strings.Contains(r.stdout, "rollout: canary 5 % for 3m, then 100 %, bake 3m: ≥ 6m; rolled back on 5xx > 1 % or p99 > 2s in 2 of 3 one-minute windows") {
		t.Errorf("the plan does not say the rollout:\n%s", r.stdout)
	}
	svc := describe(t, c, "berth-e2e-ro")
	dc, lb := svc.DeploymentConfiguration, svc.LoadBalancers[0]
	if dc.Strategy != "CANARY" || dc.CanaryConfiguration == nil || aws.ToFloat64(dc.CanaryConfiguration.CanaryPercent) != 5 ||
		aws.ToInt32(dc.BakeTimeInMinutes) != 3 || dc.Alarms == nil || !dc.Alarms.Enable || !dc.Alarms.Rollback ||
		strings.Join(dc.Alarms.AlarmNames, ",") != "berth-e2e-ro-orders-errors,berth-e2e-ro-orders-latency" ||
		lb.AdvancedConfiguration == nil || !strings.Contains(aws.ToString(lb.AdvancedConfiguration.ProductionListenerRule), ":listener-rule/") {
		t.Errorf("canary service: %+v %+v", dc, lb)
	}
	// the alarms, as the stack made them (the emulator answers CloudWatch's query
	// protocol only; the SDK's client speaks CBOR, which it refuses with a 404)
	res, err := c.CF.ListStackResources(ctx, &cloudformation.ListStackResourcesInput{StackName: aws.String("berth-e2e-ro-svc-orders")})
	alarms := map[string]string{}
	for _, x := range res.StackResourceSummaries {
		if aws.ToString(x.ResourceType) == "AWS::CloudWatch::Alarm" {
			alarms[aws.ToString(x.LogicalResourceId)] = aws.ToString(x.PhysicalResourceId)
		}
	}
	if err != nil || alarms["ErrorAlarm"] != "berth-e2e-ro-orders-errors" || alarms["LatencyAlarm"] != "berth-e2e-ro-orders-latency" {
		t.Errorf("alarms: %v %v", alarms, err)
	}
	arn := aws.ToString(svc.ServiceArn)

	// canary → rolling with a new image: in place, said so in the plan
	writeFile(t, manifest, strings.NewReplacer("strategy: canary", "strategy: rolling", first, second).Replace(mustRead(t, manifest)))
	r = berthWith(t, dir, env, "diff", "--env", "e2e-ro")
	mustSucceed(t, r, "diff")
	if !strings.Contains(r.stdout, "strategy canary → rolling: the ECS service is updated in place") ||
		!regexp.MustCompile(`~ Service +AWS::ECS::Service\n`).MatchString(r.stdout) || !strings.Contains(r.stdout, "DeploymentConfiguration.Strategy: CANARY → ROLLING") {
		t.Errorf("diff of a strategy switch:\n%s", r.stdout)
	}
	mustSucceed(t, berthWith(t, dir, env, "deploy", "--env", "e2e-ro", "--yes"), "rolling deploy")
	svc = describe(t, c, "berth-e2e-ro")
	if svc.DeploymentConfiguration.Strategy != "ROLLING" || svc.LoadBalancers[0].AdvancedConfiguration != nil || aws.ToString(svc.ServiceArn) != arn {
		t.Errorf("after the switch: %+v %+v, service %s (was %s)", svc.DeploymentConfiguration, svc.LoadBalancers[0], aws.ToString(svc.ServiceArn), arn)
	}
	if p := stackParam(t, c, "berth-e2e-ro-svc-orders", "PreviousImage"); p != first {
		t.Errorf("PreviousImage %q, want %q", p, first)
	}

	// rollback: the image before, through the strategy the manifest says
	r = berthWith(t, dir, env, "rollback", "--env", "e2e-ro", "--yes")
	mustSucceed(t, r, "rollback")
	if !strings.Contains(r.stdout, second+" → "+first+" (rollback to the previous image)") {
		t.Errorf("rollback plan:\n%s", r.stdout)
	}
	if img, prev := stackParam(t, c, "berth-e2e-ro-svc-orders", "Image"), stackParam(t, c, "berth-e2e-ro-svc-orders", "PreviousImage"); img != first || prev != second {
		t.Errorf("after rollback: Image %q PreviousImage %q", img, prev)
	}
	r = berthWith(t, dir, env, "status", "--env", "e2e-ro")
	mustSucceed(t, r, "status")
	if !strings.Contains(r.stdout, "serving: "+first+", from the primary target group (strategy rolling)") {
		t.Errorf("status:\n%s", r.stdout)
	}

	mustSucceed(t, berthWith(t, dir, env, "delete", "--env", "e2e-ro", "--yes"), "delete")
	if _, err := c.CF.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String("berth-e2e-ro-svc-orders")}); err == nil {
		t.Error("the service stack, with its alarms, rule and target groups, is still there after delete")
	}
}

func describe(t *testing.T, c *session.Session, cluster string) *ecstypes.Service {
	t.Helper()
	out, err := c.ECS.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{"orders"}})
	if err != nil || len(out.Services) != 1 {
		t.Fatalf("describe service: %+v %v", out, err)
	}
	return &out.Services[0]
}
