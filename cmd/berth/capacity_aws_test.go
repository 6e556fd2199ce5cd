package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// The cluster's capacity on the emulator: an auto-scaled count across deploys, instance
// type and volume changes, the AMI.

// With count as a range, auto scaling owns the desired count once the service exists;
// before, every deploy passed count.min and scaled a loaded service down.
func TestAutoScaledCountSurvivesADeploy(t *testing.T) {
	t.Parallel()
	env := awsEnv(t)
	c := clients(t, env)
	ctx := context.Background()
	dir := project(t, "count: 3", "count: {min: 2, max: 8, cpu: 60}")
	mustSucceed(t, berthWith(t, dir, env, "deploy", "--env", "e2e-as", "--yes"), "first deploy")
	desired := func() int32 {
		out, err := c.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("berth-e2e-as"), Services: []string{"orders"}})
		if err != nil || len(out.Services) != 1 {
			t.Fatalf("describe service: %v", err)
		}
		return out.Services[0].DesiredCount
	}
	if d := desired(); d != 2 {
		t.Fatalf("created with desired %d, want count.min 2", d)
	}
	// what Application Auto Scaling does under load
	if _, err := c.ECS.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("berth-e2e-as"), Service: aws.String("orders"), DesiredCount: aws.Int32(6)}); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "berth.yml"), strings.Replace(mustRead(t, filepath.Join(dir, "berth.yml")), "cpu: 512", "cpu: 1024", 1))
	r := berthWith(t, dir, env, "deploy", "--env", "e2e-as", "--yes")
	mustSucceed(t, r, "deploy of a cpu change")
	if !strings.Contains(r.stdout, "berth-e2e-as-svc-orders: UPDATE_COMPLETE") {
		t.Fatalf("the service stack was not updated:\n%s", r.stdout)
	}
	if d := desired(); d != 6 {
		t.Errorf("desired %d after the deploy, want the 6 auto scaling had set", d)
	}
	r = berthWith(t, dir, env, "deploy", "--env", "e2e-as", "--yes")
	if n := strings.Count(r.stdout, ": no changes"); n != 4 {
		t.Errorf("a deploy with nothing changed touched a stack (%d skipped):\n%s", n, r.stdout)
	}
}

// The reference replaced the Auto Scaling group, and with it the capacity provider, on
// any launch template change; removing the old provider from the cluster then failed
// while the service used it ("The specified capacity provider is in use and cannot be
// removed", which moto-server reproduces) and the cluster stack rolled back.
func TestClusterChangeKeepsTheGroupAndTheProvider(t *testing.T) {
	t.Parallel()
	env := awsEnv(t)
	c := clients(t, env)
	dir := project(t)
	mustSucceed(t, berthWith(t, dir, env, "deploy", "--env", "e2e-it", "--yes"), "first deploy")
	providers, group := clusterState(t, c, "e2e-it")

	for _, edit := range [][2]string{{"instance_type: m7i.large", "instance_type: m7i.xlarge"}, {"max: 20", "max: 20\n  volume_size: 80"}} {
		writeFile(t, filepath.Join(dir, "berth.yml"), strings.Replace(mustRead(t, filepath.Join(dir, "berth.yml")), edit[0], edit[1], 1))
		r := berthWith(t, dir, env, "deploy", "--env", "e2e-it", "--yes")
		mustSucceed(t, r, "deploy with "+edit[1])
		if !strings.Contains(r.stdout, "berth-e2e-it-cluster: UPDATE_COMPLETE") {
			t.Errorf("%s: the cluster stack was not updated:\n%s", edit[1], r.stdout)
		}
		if !strings.Contains(r.stdout, "no instance runs yet") {
			t.Errorf("%s: no word on the instances:\n%s", edit[1], r.stdout)
		}
		p, g := clusterState(t, c, "e2e-it")
		if strings.Join(p, ",") != strings.Join(providers, ",") || g != group {
			t.Errorf("%s: providers %v group %s, before %v %s: the capacity was replaced", edit[1], p, g, providers, group)
		}
	}
	svc, _ := c.ECS.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String("berth-e2e-it"), Services: []string{"orders"}})
	if len(svc.Services) != 1 || len(svc.Services[0].CapacityProviderStrategy) == 0 ||
		aws.ToString(svc.Services[0].CapacityProviderStrategy[0].CapacityProvider) != providers[0] {
		t.Errorf("the service left its provider: %+v", svc.Services)
	}
}

// An AWS::SSM::Parameter::Value parameter is resolved again on every stack update, so
// any cluster change after AWS published a new AMI rolled every instance. berth resolves
// capacity.ami once, keeps it, says when a newer one exists, and takes it on request.
func TestAMIIsResolvedOnceAndRefreshedOnRequest(t *testing.T) {
	t.Parallel()
	env := awsEnv(t)
	c := clients(t, env)
	ctx := context.Background()
	put := func(v string) {
		if _, err := c.SSM.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/berth-e2e/ami"), Value: aws.String(v), Type: "String", Overwrite: aws.Bool(true)}); err != nil {
			t.Fatal(err)
		}
	}
	const first, second = "ami-0aaaaaaaaaaaaaaa1", "ami-0bbbbbbbbbbbbbbb2"
	put(first)
	dir := project(t, "max: 20", "max: 20\n  ami: /berth-e2e/ami")
	mustSucceed(t, berthWith(t, dir, env, "deploy", "--env", "e2e-ami", "--yes"), "first deploy")
	if got := stackParam(t, c, "berth-e2e-ami-cluster", "AmiId"); got != first {
		t.Fatalf("cluster AmiId %q, want the resolved %s", got, first)
	}

	put(second) // AWS publishes a new image
	r := berthWith(t, dir, env, "deploy", "--env", "e2e-ami", "--yes")
	mustSucceed(t, r, "deploy after a new AMI")
	if n := strings.Count(r.stdout, ": no changes"); n != 4 || !strings.Contains(r.stdout, "now names "+second) || !strings.Contains(r.stdout, "--refresh-ami") {
		t.Errorf("a new AMI alone changed a stack, or went unmentioned:\n%s", r.stdout)
	}
	if got := stackParam(t, c, "berth-e2e-ami-cluster", "AmiId"); got != first {
		t.Errorf("AmiId %q after a deploy without --refresh-ami, want %s kept", got, first)
	}
	for _, cmd := range [][]string{{"diff", "--env", "e2e-ami"}, {"status", "--env", "e2e-ami"}} {
		if r := berthWith(t, dir, env, cmd...); !strings.Contains(r.stdout, "now names "+second) {
			t.Errorf("%s does not say a newer AMI exists:\n%s%s", cmd[0], r.stdout, r.stderr)
		}
	}

	r = berthWith(t, dir, env, "deploy", "--env", "e2e-ami", "--yes", "--refresh-ami")
	mustSucceed(t, r, "deploy --refresh-ami")
	if got := stackParam(t, c, "berth-e2e-ami-cluster", "AmiId"); got != second || !strings.Contains(r.stdout, "berth-e2e-ami-cluster: UPDATE_COMPLETE") {
		t.Errorf("AmiId %q after --refresh-ami, want %s:\n%s", got, second, r.stdout)
	}
}
