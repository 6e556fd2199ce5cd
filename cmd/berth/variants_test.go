package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
)

// The reference's variants deploy and delete on the emulator (issue 14): every capacity
// type in each placement, NAT per AZ and single; EC2 in the public subnets runs in
// bridge mode (an awsvpc task on EC2 gets no public IP). Spot is Fargate's template with
// another capacity provider: it runs here once, single-NAT; its other placements are
// the golden files' and cfn-lint's (internal/synth), as every variant's template is.
func TestVariantsDeployAndDelete(t *testing.T) {
	t.Parallel()
	env := awsEnv(t)
	c := clients(t, env)
	ctx := context.Background()
	for _, tc := range []struct {
		variant, env                  string
		launchType, network, provider string
		extra                         string // appended to the manifest
	}{
		{"orders", "e2e-ec2s", "EC2", "awsvpc", "", "network:\n  nat: single\n"},
		{"ec2-public", "e2e-ec2p", "EC2", "bridge", "", ""},
		{"fargate", "e2e-fg", "FARGATE", "awsvpc", "FARGATE", ""},
		{"fargate-public", "e2e-fgp", "FARGATE", "awsvpc", "FARGATE", ""},
		{"fargate-spot-single", "e2e-fsps", "FARGATE", "awsvpc", "FARGATE_SPOT", ""},
	} {
		t.Run(tc.variant, func(t *testing.T) {
			t.Parallel() // an environment each
			src, err := os.ReadFile(filepath.Join("../../internal/synth/testdata", tc.variant, "berth.yml"))
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			text := string(src) + tc.extra
			writeFile(t, filepath.Join(dir, "berth.yml"), text)
			mustSucceed(t, berthWith(t, dir, env, "deploy", "--env", tc.env, "--yes"), "deploy")
			name := strings.TrimPrefix(strings.Split(string(src), "name: ")[1], "")
			name = strings.TrimSpace(strings.SplitN(name, "\n", 2)[0])

			svc, err := c.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("berth-" + tc.env), Services: []string{name}})
			if err != nil || len(svc.Services) != 1 {
				t.Fatalf("service: %v", err)
			}
			s := svc.Services[0]
			td, err := c.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: s.TaskDefinition})
			if err != nil {
				t.Fatal(err)
			}
			if string(td.TaskDefinition.NetworkMode) != tc.network || len(td.TaskDefinition.RequiresCompatibilities) != 1 ||
				string(td.TaskDefinition.RequiresCompatibilities[0]) != tc.launchType {
				t.Errorf("task definition: %s, %v", td.TaskDefinition.NetworkMode, td.TaskDefinition.RequiresCompatibilities)
			}
			if tc.provider != "" && (len(s.CapacityProviderStrategy) != 1 || aws.ToString(s.CapacityProviderStrategy[0].CapacityProvider) != tc.provider) {
				t.Errorf("strategy %+v", s.CapacityProviderStrategy)
			}
			public := strings.Contains(tc.variant, "public")
			if cfg := s.NetworkConfiguration; tc.network == "awsvpc" && (cfg == nil || (cfg.AwsvpcConfiguration.AssignPublicIp == "ENABLED") != public) {
				t.Errorf("network configuration %+v", cfg)
			}
			tgs, err := c.ELB.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{TargetGroupArns: []string{aws.ToString(s.LoadBalancers[0].TargetGroupArn)}})
			if want := map[string]string{"awsvpc": "ip", "bridge": "instance"}[tc.network]; err != nil || string(tgs.TargetGroups[0].TargetType) != want {
				t.Errorf("target type %v (%v), want %s", tgs, err, want)
			}
			nats := 0
			res, err := c.CF.ListStackResources(ctx, &cloudformation.ListStackResourcesInput{StackName: aws.String("berth-" + tc.env + "-network")})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range res.StackResourceSummaries {
				if aws.ToString(r.ResourceType) == "AWS::EC2::NatGateway" {
					nats++
				}
			}
			wantNATs := map[bool]int{false: 2, true: 0}[public]
			if strings.Contains(text, "nat: single") {
				wantNATs = 1
			}
			if nats != wantNATs {
				t.Errorf("%d NAT gateways, want %d", nats, wantNATs)
			}
			if r := berthWith(t, dir, env, "deploy", "--env", tc.env, "--yes"); !strings.Contains(r.stdout, "no changes") {
				t.Errorf("a second deploy changed something:\n%s", r.stdout)
			}
			r := berthWith(t, dir, env, "delete", "--env", tc.env, "--yes")
			mustSucceed(t, r, "delete")
			if !strings.Contains(r.stdout, "nothing berth made for "+tc.env+" remains") {
				t.Errorf("delete:\n%s", r.stdout)
			}
		})
	}
}
