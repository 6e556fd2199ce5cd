package main

import (
	"context"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	ecrpush "github.com/berthdev/berth/internal/registry"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfnTypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// berth deploy on the emulator: from nothing, again with nothing changed, a count
// change; a failure, Ctrl-C and a declined first deploy; the image and the room for
// tasks.

func TestDeployRedeployAndScale(t *testing.T) {
	env := awsEnv(t)
	c := clients(t, env)
	ctx := context.Background()
	dir := project(t)
	// the emulator is shared by the package's tests: another may have made the role first
	slr := &iam.ListRolesInput{PathPrefix: aws.String("/aws-service-role/ecs.amazonaws.com/")}
	before, err := c.IAM.ListRoles(ctx, slr)
	if err != nil {
		t.Fatal(err)
	}

	r := berthWith(t, dir, env, "deploy", "--env", "e2e", "--yes")
	mustSucceed(t, r, "first deploy")
	for _, want := range []string{"account 123456789012, region us-east-1",
		"berth-e2e-network: create", "+ VPC", "berth-e2e-cluster: CREATE_COMPLETE", "berth-e2e-svc-orders: CREATE_COMPLETE", "deployed orders to e2e in ", ": http://", "the first tasks take a few minutes"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("deploy output lacks %q:\n%s", want, r.stdout)
		}
	}
	st, err := c.CF.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String("berth-e2e-svc-orders")})
	if err != nil {
		t.Fatal(err)
	}
	tags := map[string]string{}
	for _, tg := range st.Stacks[0].Tags {
		tags[*tg.Key] = *tg.Value
	}
	if tags["berth:env"] != "e2e" || tags["berth:service"] != "orders" || tags["berth:version"] == "" {
		t.Errorf("stack tags %v", tags)
	}
	// a fresh account has no ECS service-linked role: berth made it before the cluster
	// (moto names it AWSServiceRoleForecs where AWS says AWSServiceRoleForECS: found by path)
	roles, err := c.IAM.ListRoles(ctx, slr)
	if said := strings.Contains(r.stdout, "created the ECS service-linked role"); err != nil || len(roles.Roles) != 1 || said != (len(before.Roles) == 0) {
		t.Errorf("the ECS service-linked role: %d role(s) before, %d after (%v); said it created one: %v", len(before.Roles), len(roles.Roles), err, said)
	}
	bucket := "berth-artifacts-123456789012-us-east-1"
	if v, err := c.S3.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(bucket)}); err != nil || v.Status != "Enabled" {
		t.Errorf("artifact bucket versioning: %v %v", v, err)
	}
	if _, err := c.S3.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String(bucket)}); err != nil {
		t.Errorf("artifact bucket encryption: %v", err)
	}
	if pab, err := c.S3.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String(bucket)}); err != nil || !aws.ToBool(pab.PublicAccessBlockConfiguration.BlockPublicPolicy) {
		t.Errorf("artifact bucket public access block: %v", err)
	}

	netEvents, clusterEvents := stackEvents(t, c, "berth-e2e-network"), stackEvents(t, c, "berth-e2e-cluster")
	start := time.Now()
	r = berthWith(t, dir, env, "deploy", "--env", "e2e", "--yes")
	took := time.Since(start)
	mustSucceed(t, r, "redeploy")
	if n := strings.Count(r.stdout, ": no changes"); n != 4 {
		t.Errorf("redeploy skipped %d stacks, want 4 (network, cluster, ingress, service):\n%s", n, r.stdout)
	}
	t.Logf("redeploy with no change: %s for the whole process", took.Round(time.Millisecond))

	writeFile(t, filepath.Join(dir, "berth.yml"), strings.Replace(mustRead(t, filepath.Join(dir, "berth.yml")), "count: 3", "count: 5", 1))
	r = berthWith(t, dir, env, "deploy", "--env", "e2e", "--yes")
	mustSucceed(t, r, "deploy with count 5")
	if !strings.Contains(r.stdout, "berth-e2e-network: no changes") || !strings.Contains(r.stdout, "berth-e2e-cluster: no changes") || !strings.Contains(r.stdout, "berth-e2e-svc-orders: UPDATE_COMPLETE") {
		t.Errorf("a count change should update only the service stack:\n%s", r.stdout)
	}
	if stackEvents(t, c, "berth-e2e-network") != netEvents || stackEvents(t, c, "berth-e2e-cluster") != clusterEvents {
		t.Error("the network or cluster stack changed on a count change")
	}
	svc, err := c.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("berth-e2e"), Services: []string{"orders"}})
	if err != nil || len(svc.Services) != 1 || svc.Services[0].DesiredCount != 5 {
		t.Errorf("service after count 5: %+v %v", svc, err)
	}
}

func TestFailedDeployShowsTheCause(t *testing.T) {
	t.Parallel()
	env := awsEnv(t)
	c := clients(t, env)
	// A log group of the same name made outside the stack: the service stack cannot
	// create its own.
	_, err := c.Logs.CreateLogGroup(context.Background(), &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/berth/e2e-fail/orders")})
	if err != nil {
		t.Fatal(err)
	}
	r := berthWith(t, project(t), env, "deploy", "--env", "e2e-fail", "--yes")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	// moto answers the failed execution with a bare 400 (its Logs error does not survive
	// CloudFormation's XML protocol) and writes no stack event, so berth can only pass on
	// what it got; the root cause from stack events is tested on recorded AWS events
	// (internal/stacks/rootcause_test.go).
	if !strings.Contains(r.stderr, "berth: execute change set of berth-e2e-fail-svc-orders") || !strings.Contains(r.stderr, "StatusCode: 400") {
		t.Errorf("stderr does not carry moto's error:\n%s", r.stderr)
	}
	if strings.Count(strings.TrimSpace(r.stderr), "\n") > 1 {
		t.Errorf("more than a message and a hint:\n%s", r.stderr)
	}
}

func TestCtrlCStopsWaitingWithoutCancelling(t *testing.T) {
	t.Parallel()
	env := awsEnv(t)
	c := clients(t, env)
	// moto never finishes a stack with a Lambda-backed custom resource: a stack whose
	// operation stays in progress, which deploy waits for before it changes anything.
	stuck, _ := os.ReadFile("testdata/stuck.yml")
	if _, err := c.CF.CreateStack(context.Background(), &cloudformation.CreateStackInput{
		StackName: aws.String("berth-e2e-ctrlc-network"), TemplateBody: aws.String(string(stuck)), Capabilities: []cfnCapability{"CAPABILITY_IAM"},
	}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "deploy", "--env", "e2e-ctrlc", "--yes")
	cmd.Dir, cmd.Env = project(t), env
	var out, errb lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "waiting for the operation in progress") && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Errorf("exit %v, want 1\n%s%s", err, out.String(), errb.String())
	}
	if !strings.Contains(errb.String(), "stopped waiting for berth-e2e-ctrlc-network; the stack operation goes on") || !strings.Contains(errb.String(), "cancel-update-stack") {
		t.Errorf("stderr:\n%s", errb.String())
	}
	st, _ := c.CF.DescribeStacks(context.Background(), &cloudformation.DescribeStacksInput{StackName: aws.String("berth-e2e-ctrlc-network")})
	if st == nil || string(st.Stacks[0].StackStatus) != "CREATE_IN_PROGRESS" {
		t.Errorf("the stack operation was touched: %+v", st)
	}
}

func TestNonTerminalRequiresYes(t *testing.T) {
	t.Parallel()
	env := awsEnv(t)
	r := berthWith(t, project(t), env, "deploy", "--env", "e2e-yes")
	if r.code != 2 || !strings.Contains(r.stderr, "pass --yes") {
		t.Errorf("exit %d\n%s", r.code, r.stderr)
	}
}

// A CREATE change set leaves the new stack in REVIEW_IN_PROGRESS until it runs. Before,
// declining the first deploy left that empty stack behind and the next deploy waited
// on it forever as "an operation in progress".
func TestDeclinedFirstDeployLeavesNothingAndTheNextOneRuns(t *testing.T) {
	t.Parallel()
	env := awsEnv(t)
	c := clients(t, env)
	dir := project(t)

	p := startTTY(t, dir, env, "deploy", "--env", "e2e-decl")
	p.waitFor("[y/N]", time.Minute)
	p.send("n\r")
	if code := p.wait(time.Minute); code != 1 {
		t.Errorf("declined deploy: exit %d, want 1\n%s", code, p.out.String())
	}
	if st, _ := c.CF.DescribeStacks(context.Background(), &cloudformation.DescribeStacksInput{StackName: aws.String("berth-e2e-decl-network")}); st != nil && len(st.Stacks) > 0 && st.Stacks[0].StackStatus != "DELETE_COMPLETE" {
		t.Errorf("declining left the stack %s", st.Stacks[0].StackStatus)
	}

	start := time.Now()
	r := berthWith(t, dir, env, "deploy", "--env", "e2e-decl", "--yes")
	mustSucceed(t, r, "deploy after a declined one")
	t.Logf("deploy after a declined first deploy: %s", time.Since(start).Round(time.Millisecond))
	if strings.Contains(r.stdout, "waiting for the operation in progress") {
		t.Errorf("the next deploy waited on the declined one:\n%s", r.stdout)
	}
}

// A first create whose change set was made but never executed (another tool, a crash,
// an older berth) is removed, not waited on.
func TestLeftoverReviewInProgressIsRemoved(t *testing.T) {
	t.Parallel()
	env := awsEnv(t)
	c := clients(t, env)
	ctx := context.Background()
	stuck, _ := os.ReadFile("testdata/stuck.yml")
	if _, err := c.CF.CreateChangeSet(ctx, &cloudformation.CreateChangeSetInput{
		StackName: aws.String("berth-e2e-rev-network"), ChangeSetName: aws.String("left-over"), ChangeSetType: cfnTypes.ChangeSetTypeCreate,
		TemplateBody: aws.String(string(stuck)), Capabilities: []cfnCapability{"CAPABILITY_IAM"},
	}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "deploy", "--env", "e2e-rev", "--yes")
	cmd.Dir, cmd.Env = project(t), env
	done := make(chan error, 1)
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Start()
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("deploy: %v\n%s", err, out.String())
		}
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		t.Fatalf("deploy hung on the REVIEW_IN_PROGRESS stack:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "removing the empty stack an unexecuted first change set left") {
		t.Errorf("no word about the leftover:\n%s", out.String())
	}
}

// A Dockerfile service is built for the instances' CPU, not the engine's: built on an
// Apple Silicon laptop for c5 instances, it was arm64 and its tasks died with "exec
// format error". Here the engine's CPU is the other one of the instances'.
func TestDockerfileImageIsBuiltForTheInstances(t *testing.T) {
	t.Parallel()
	env := awsEnv(t)
	needDocker(t)
	reg := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer reg.Close()
	host := strings.TrimPrefix(reg.URL, "http://")
	env = append(env, ecrpush.RegistryEnv+"="+host)
	c := clients(t, env)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "app", "Dockerfile"), "FROM scratch\nCOPY hello.txt /hello.txt\n")
	writeFile(t, filepath.Join(dir, "app", "hello.txt"), "hello "+t.Name()+"\n")
	instance, want := "m7g.large", "arm64"
	if out, _ := exec.Command("docker", "version", "-f", "{{.Server.Arch}}").Output(); strings.TrimSpace(string(out)) == "arm64" {
		instance, want = "c5.large", "amd64"
	}
	writeFile(t, filepath.Join(dir, "berth.yml"), "name: cpu\nimage:\n  build: ./app\ncapacity:\n  instance_type: "+instance+"\n")
	mustSucceed(t, berthWith(t, dir, env, "deploy", "--env", "e2e-cpu", "--yes"), "deploy")
	image := stackParam(t, c, "berth-e2e-cpu-svc-cpu", "Image")
	_, path, _ := strings.Cut(image, "/")
	ref, err := name.NewDigest(host + "/" + path)
	if err != nil {
		t.Fatalf("image %q: %v", image, err)
	}
	img, err := remote.Image(ref)
	if err != nil {
		t.Fatal(err)
	}
	if cf, err := img.ConfigFile(); err != nil || cf.Architecture != want {
		t.Errorf("pushed a %s image for %s instances (%v)", cf.Architecture, instance, err)
	}
	// tagged by content: the tag is the image's own digest
	tags, err := remote.List(ref.Context())
	d, _ := img.Digest()
	if err != nil || len(tags) != 1 || tags[0] != "sha256-"+d.Hex[:16] {
		t.Errorf("tags %v (%v), want the content's", tags, err)
	}
}

func TestDeployWarnsWhenTasksCannotFit(t *testing.T) {
	t.Parallel()
	env := awsEnv(t)
	r := berthWith(t, project(t, "count: 3", "count: 8", "max: 20", "max: 2"), env, "deploy", "--env", "e2e-room", "--yes")
	mustSucceed(t, r, "deploy")
	if !strings.Contains(r.stdout, "warning: a rollout runs up to 16 task(s)") || !strings.Contains(r.stdout, "m7i.large holds 2 awsvpc task(s)") ||
		!strings.Contains(r.stdout, "ENI trunking is off for this account") {
		t.Errorf("no warning:\n%s", r.stdout)
	}
}
