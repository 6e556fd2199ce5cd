package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	ecrpush "github.com/berthdev/berth/internal/registry"

	"github.com/berthdev/berth/internal/ops"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Environments on the emulator: two side by side and the delete of one, several
// services sharing one, and network changes a deploy cannot apply.

func TestTwoEnvironmentsAndDeleteLeavesNothing(t *testing.T) {
	env := awsEnv(t)
	c := clients(t, env)
	ctx := context.Background()

	// image.build: berth builds the image and pushes it to ECR; moto's ECR has no
	// registry, so pushes go to an in-memory one (BERTH_ECR_REGISTRY).
	reg := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer reg.Close()
	host := strings.TrimPrefix(reg.URL, "http://")
	env = append(env, ecrpush.RegistryEnv+"="+host)
	dir := t.TempDir()
	api, _ := filepath.Abs("../../examples/api")
	writeFile(t, filepath.Join(dir, "berth.yml"), "name: api\nimage:\n  build: "+api+"\nport: 8080\nhealth:\n  path: /health\n")

	for _, e := range []string{"e2e-stg", "e2e-prd"} {
		mustSucceed(t, berthWith(t, dir, env, "deploy", "--env", e, "--yes"), "deploy "+e)
	}
	for _, stack := range []string{"berth-e2e-stg-network", "berth-e2e-stg-cluster", "berth-e2e-stg-svc-api", "berth-e2e-prd-network", "berth-e2e-prd-cluster", "berth-e2e-prd-svc-api"} {
		if _, err := c.CF.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)}); err != nil {
			t.Errorf("%s: %v", stack, err)
		}
	}
	st, _ := ops.New(c).Status(ctx, "e2e-stg", "api")
	image := ""
	if svc, _ := c.CF.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String("berth-e2e-stg-svc-api")}); svc != nil {
		for _, p := range svc.Stacks[0].Parameters {
			if *p.ParameterKey == "Image" {
				image = *p.ParameterValue
			}
		}
	}
	if !strings.Contains(image, ".dkr.ecr.us-east-1.amazonaws.com/berth/e2e-stg/api@sha256:") {
		t.Fatalf("service image %q, want the ECR repository by digest (status %+v)", image, st)
	}
	_, path, _ := strings.Cut(image, "/")
	ref, _ := name.NewDigest(host + "/" + path)
	if _, err := remote.Image(ref); err != nil {
		t.Errorf("the pushed image is not in the registry: %v", err)
	}

	r := berthWith(t, dir, env, "delete", "--env", "e2e-stg", "--yes")
	// moto 5.2.1 has no CloudFormation delete for NAT gateways and internet gateways:
	// it leaves them, and the VPC delete fails. Everything else must be gone.
	motoNATGap := r.code == 1 && strings.Contains(r.stderr, "DependencyViolation")
	if r.code != 0 && !motoNATGap {
		t.Fatalf("delete: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if motoNATGap {
		t.Log("moto left the NAT and internet gateways of the network stack (no CloudFormation delete for them in moto 5.2.1): the VPC delete failed as it would not on AWS")
	}
	for _, want := range []string{"berth-e2e-stg-svc-api: deleted", "scale-in protection lifted", "berth-e2e-stg-cluster: deleted", "artifact object(s) of e2e-stg", "removed the image repository berth/e2e-stg/api"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("delete output lacks %q:\n%s", want, r.stdout)
		}
	}
	list, _ := c.CF.ListStacks(ctx, &cloudformation.ListStacksInput{})
	for _, s := range list.StackSummaries {
		if strings.HasPrefix(*s.StackName, "berth-e2e-stg-") && s.StackStatus != "DELETE_COMPLETE" {
			t.Errorf("stack %s remains: %s", *s.StackName, s.StackStatus)
		}
	}
	objs, _ := c.S3.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("berth-artifacts-123456789012-us-east-1"), Prefix: aws.String("e2e-stg/")})
	if objs != nil && len(objs.Versions) > 0 {
		t.Errorf("%d artifact objects of e2e-stg remain", len(objs.Versions))
	}
	if _, err := c.ECR.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{"berth/e2e-stg/api"}}); err == nil {
		t.Error("the repository of e2e-stg remains")
	}
	groups, _ := c.ASG.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{})
	for _, g := range groups.AutoScalingGroups {
		if strings.HasPrefix(*g.AutoScalingGroupName, "berth-e2e-stg-") {
			t.Errorf("Auto Scaling group %s remains", *g.AutoScalingGroupName)
		}
	}
	// the other environment is untouched
	if s, err := ops.New(c).Status(ctx, "e2e-prd", "api"); err != nil || s.Stacks[2].Status != "CREATE_COMPLETE" {
		t.Errorf("prod after deleting staging: %+v %v", s, err)
	}
}

// Changes a deploy cannot apply in place are refused before anything changes, with the
// key, both values and what to do: a new range is a new VPC (the load balancer cannot
// move), and a zone count change would pull subnets from under the running services.
func TestNetworkChangesThatCannotApplyAreRefusedUpFront(t *testing.T) {
	t.Parallel()
	env := awsEnv(t)
	c := clients(t, env)
	dir := project(t)
	mustSucceed(t, berthWith(t, dir, env, "deploy", "--env", "e2e-net", "--yes"), "first deploy")
	events := map[string]int{}
	for _, s := range []string{"berth-e2e-net-network", "berth-e2e-net-cluster", "berth-e2e-net-svc-orders"} {
		events[s] = stackEvents(t, c, s)
	}
	for _, tc := range []struct{ edit, want string }{
		{"max: 20\nnetwork:\n  cidr: 10.20.0.0/16", `berth.yml:15: network.cidr: the environment e2e-net runs 10.0.0.0/16 and this manifest says 10.20.0.0/16`},
		{"max: 20\nnetwork:\n  azs: 3", `berth.yml:15: network.azs: the environment e2e-net runs 2 and this manifest says 3, and service(s) orders run in it`},
	} {
		d := project(t, "max: 20", tc.edit)
		for _, cmd := range [][]string{{"deploy", "--yes"}, {"diff"}} {
			r := berthWith(t, d, env, append(cmd, "--env", "e2e-net")...)
			if r.code != 2 || !strings.Contains(r.stderr, tc.want) || !strings.Contains(r.stderr, "hint: ") {
				t.Errorf("%s with %q: exit %d, want 2 and %q\n%s", cmd, tc.edit, r.code, tc.want, r.stderr)
			}
		}
	}
	for s, n := range events {
		if got := stackEvents(t, c, s); got != n {
			t.Errorf("%s changed (%d events, before %d)", s, got, n)
		}
	}
}

// envCost reads a plan's estimate of a new service in an existing environment: the total,
// what it was, the difference, and the service's own part.
var envCost = regexp.MustCompile(`environment \S+ \$([\d.]+) a month \(was \$([\d.]+): \+\$([\d.]+)\)[^\n]*\n    \S+: \$([\d.]+) \(new\) of it`)

// Several services in one environment: they share the network, the cluster and the
// load balancer (each on its own path), a service's deploy leaves the shared stacks
// alone unless the environment's settings change, and deleting one service leaves the
// others and their environment.
func TestServicesShareAnEnvironment(t *testing.T) {
	t.Parallel()
	env := awsEnv(t)
	c := clients(t, env)
	const e = "e2e-mix"
	deployOK := func(dir, what string) result {
		t.Helper()
		r := berthWith(t, dir, env, "deploy", "--env", e, "--yes")
		mustSucceed(t, r, what)
		return r
	}
	// a service on its own path of the environment's load balancer
	routed := func(name string) string { return "name: " + name + "\nload_balancer:\n  path: /" + name }
	deployOK(project(t, "name: orders", "name: svc-b"), "deploy svc-b")
	shared := func() [3]int {
		return [3]int{stackEvents(t, c, "berth-e2e-mix-network"), stackEvents(t, c, "berth-e2e-mix-cluster"), stackEvents(t, c, "berth-e2e-mix-ingress")}
	}
	before := shared()

	// same settings, and a manifest that leaves every environment key out: both inherit
	lean := t.TempDir()
	writeFile(t, filepath.Join(lean, "berth.yml"), "name: lean\nimage:\n  location: public.ecr.aws/docker/library/nginx:latest\nload_balancer:\n  path: /lean\n")
	for i, dir := range []string{project(t, "name: orders", routed("svc-c")), lean} {
		r := deployOK(dir, "deploy another service")
		if !strings.Contains(r.stdout, "berth-e2e-mix-network: no changes") || !strings.Contains(r.stdout, "berth-e2e-mix-cluster: no changes") || !strings.Contains(r.stdout, "berth-e2e-mix-ingress: no changes") {
			t.Errorf("another service's deploy touched the shared stacks:\n%s", r.stdout)
		}
		// the plan's estimate is the environment's: the services already there counted
		// as they run, and the new one adds exactly its own part (issue 28)
		m := envCost.FindStringSubmatch(r.stdout)
		if m == nil || !strings.Contains(r.stdout, fmt.Sprintf("%d other service(s) as they run", i+1)) {
			t.Errorf("deploy %d: the estimate does not count the environment's other services:\n%s", i+1, r.stdout)
		} else if m[3] != m[4] {
			t.Errorf("deploy %d: the environment's total grew by $%s, the new service's own part is $%s:\n%s", i+1, m[3], m[4], r.stdout)
		}
	}
	// names that were the environment's own stack names before
	for _, name := range []string{"network", "cluster", "ingress"} {
		deployOK(project(t, "name: orders", routed(name)), "deploy a service named "+name)
		if _, err := c.CF.DescribeStacks(context.Background(), &cloudformation.DescribeStacksInput{StackName: aws.String("berth-e2e-mix-svc-" + name)}); err != nil {
			t.Errorf("service %s: %v", name, err)
		}
	}
	if shared() != before {
		t.Errorf("the shared stacks changed (events %v, before %v)", shared(), before)
	}

	// a service that disagrees with the environment is refused, nothing changes
	for _, tc := range []struct {
		edit [2]string
		want []string
	}{
		{[2]string{"max: 20", "max: 20\nnetwork:\n  cidr: 10.30.0.0/16"}, []string{"network.cidr: the environment e2e-mix runs 10.0.0.0/16 and this manifest says 10.30.0.0/16"}},
		{[2]string{"instance_type: m7i.large", "instance_type: c6i.large"}, []string{
			"capacity.instance_type: the environment e2e-mix runs m7i.large and this manifest says c6i.large, and service(s) cluster, ingress, lean, network, svc-b share it",
			"--update-env"}},
		{[2]string{"max: 20", "max: 20\nload_balancer:\n  idle_timeout: 90"}, []string{
			"load_balancer.idle_timeout: the load balancer of environment e2e-mix runs 30 and this manifest says 90, and service(s) cluster, ingress, lean, network, svc-b share it",
			"--update-env"}},
	} {
		r := berthWith(t, project(t, "name: orders", "name: svc-c", tc.edit[0], tc.edit[1]), env, "deploy", "--env", e, "--yes")
		for _, want := range tc.want {
			if r.code != 2 || !strings.Contains(r.stderr, want) {
				t.Errorf("exit %d, want 2 and %q:\n%s", r.code, want, r.stderr)
			}
		}
	}
	if shared() != before {
		t.Errorf("a refused deploy changed the shared stacks")
	}

	// status without a manifest: the environment and its services
	r := berthWith(t, t.TempDir(), env, "status", "--env", e)
	mustSucceed(t, r, "status of the environment")
	for _, want := range []string{"environment e2e-mix", "berth-e2e-mix-network", "berth-e2e-mix-ingress", "svc-b", "svc-c", "lean", "berth-e2e-mix-svc-network",
		"the environment's load balancer, in the order its listeners try the rules:", "/lean, /lean/*", "50000"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("environment status lacks %q:\n%s", want, r.stdout)
		}
	}

	// deleting one service leaves the others and the environment
	r = berthWith(t, project(t, "name: orders", "name: svc-b"), env, "delete", "--env", e, "--yes")
	mustSucceed(t, r, "delete svc-b")
	if !strings.Contains(r.stdout, "berth-e2e-mix-svc-svc-b: deleted") || !strings.Contains(r.stdout, "environment e2e-mix stays") {
		t.Errorf("delete svc-b:\n%s", r.stdout)
	}
	for _, s := range []string{"berth-e2e-mix-network", "berth-e2e-mix-cluster", "berth-e2e-mix-ingress", "berth-e2e-mix-svc-svc-c"} {
		st, err := c.CF.DescribeStacks(context.Background(), &cloudformation.DescribeStacksInput{StackName: aws.String(s)})
		if err != nil || string(st.Stacks[0].StackStatus) != "CREATE_COMPLETE" {
			t.Errorf("%s after deleting svc-b: %v %v", s, st, err)
		}
	}

	// the environment goes only when told, and then with every service
	r = berthWith(t, t.TempDir(), env, "delete", "--env", e, "--environment", "--yes")
	if r.code != 1 || !strings.Contains(r.stderr, "still runs service(s) cluster, ingress, lean, network, svc-c") || !strings.Contains(r.stderr, "--force") {
		t.Errorf("delete --environment with services: exit %d\n%s", r.code, r.stderr)
	}
	r = berthWith(t, t.TempDir(), env, "delete", "--env", e, "--environment", "--force", "--yes")
	mustSucceed(t, r, "delete --environment --force")
	if !strings.Contains(r.stdout, "nothing berth made for e2e-mix remains") {
		t.Errorf("delete --environment --force:\n%s", r.stdout)
	}
	r = berthWith(t, t.TempDir(), env, "delete", "--env", e, "--environment", "--yes")
	if r.code != 0 || !strings.Contains(r.stdout, "nothing to delete") {
		t.Errorf("deleting a gone environment: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
