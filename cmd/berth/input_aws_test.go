package main

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
)

// Issue 10, case 1, end to end: env FLAG: "yes" was written bare, CloudFormation (YAML
// 1.1) read a boolean, and the registered task definition held "value": true. Every
// value now reaches ECS as the text in the manifest, ${...} included.
func TestDeployPassesEnvTextAsWritten(t *testing.T) {
	t.Parallel()
	env := awsEnv(t)
	c := clients(t, env)
	want := map[string]string{"FLAG": "yes", "MODE": "off", "SHORT": "n", "OCTAL": "0777", "TIME": "1:20", "TEMPLATE": "${Env}-${AWS::Region}"}
	var block strings.Builder
	block.WriteString("env:\n")
	for k, v := range want {
		block.WriteString("  " + k + ": \"" + v + "\"\n")
	}
	dir := project(t, "name: orders\n", "name: \"no\"\n"+block.String())
	mustSucceed(t, berthWith(t, dir, env, "deploy", "--env", "e2e-text", "--yes"), "deploy")

	ctx := context.Background()
	ecsc := c.ECS
	svc, err := ecsc.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("berth-e2e-text"), Services: []string{"no"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(svc.Services) != 1 {
		t.Fatalf("no service named \"no\" in berth-e2e-text (a bare no is a boolean in YAML 1.1)")
	}
	td, err := ecsc.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: svc.Services[0].TaskDefinition})
	if err != nil {
		t.Fatal(err)
	}
	container := td.TaskDefinition.ContainerDefinitions[0]
	if aws.ToString(container.Name) != "no" {
		t.Errorf("container name %q, want \"no\"", aws.ToString(container.Name))
	}
	got := map[string]string{}
	for _, kv := range container.Environment {
		got[aws.ToString(kv.Name)] = aws.ToString(kv.Value)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q in the task definition, want %q", k, got[k], v)
		}
	}
}
