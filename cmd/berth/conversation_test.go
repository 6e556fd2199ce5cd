package main

import (
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	ecrpush "github.com/berthdev/berth/internal/registry"

	"github.com/berthdev/berth/internal/ops"
	"github.com/berthdev/berth/internal/session"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// The deploy conversation: one plan, one question, honest waiting (issue 12).

var colour = regexp.MustCompile(`\x1b\[[0-9;]*m`)

// One question for the whole deploy, on a terminal, however many stacks it creates;
// the answer is the user's, and what the plan said is what runs.
func TestOneQuestionPerDeploy(t *testing.T) {
	t.Parallel()
	env := awsEnv(t)
	p := startTTY(t, project(t), env, "deploy", "--env", "e2e-one")
	p.waitFor("[y/N]", time.Minute)
	p.send("y\r")
	if code := p.wait(2 * time.Minute); code != 0 {
		t.Fatalf("exit %d:\n%s", code, p.out.String())
	}
	out := p.text()
	if n := strings.Count(out, "[y/N]"); n != 1 {
		t.Errorf("%d questions for one deploy:\n%s", n, out)
	}
	for _, want := range []string{"plan: orders to e2e-one", "berth-e2e-one-network: create, 21 change(s)", "berth-e2e-one-ingress: create, 3 change(s)", "berth-e2e-one-svc-orders: create, 9 change(s)",
		"deploy this plan (42 change(s)) to e2e-one? [y/N]", "✔ berth-e2e-one-network", "21/21 resources", "deployed"} {
		if !strings.Contains(out, want) {
			t.Errorf("terminal lacks %q:\n%s", want, out)
		}
	}
	if !colour.MatchString(p.out.String()) {
		t.Error("no colour on a terminal")
	}
	// a plan with nothing to do asks nothing
	q := startTTY(t, project(t), env, "deploy", "--env", "e2e-one")
	if code := q.wait(time.Minute); code != 0 || strings.Contains(q.out.String(), "[y/N]") || !strings.Contains(q.out.String(), "no changes: orders in e2e-one runs this manifest already") {
		t.Errorf("a deploy with nothing to do: exit %d\n%s", code, q.out.String())
	}
}

// Ctrl-C at the question ends berth at once, and the change sets the plan prepared are
// deleted: nothing changed.
func TestCtrlCAtTheQuestionChangesNothing(t *testing.T) {
	t.Parallel()
	env := awsEnv(t)
	c := clients(t, env)
	dir := project(t)
	mustSucceed(t, berthWith(t, dir, env, "deploy", "--env", "e2e-int", "--yes"), "deploy")
	writeFile(t, filepath.Join(dir, "berth.yml"), strings.Replace(mustRead(t, filepath.Join(dir, "berth.yml")), "cpu: 512", "cpu: 1024", 1))
	before := stackEvents(t, c, "berth-e2e-int-svc-orders")
	p := startTTY(t, dir, env, "deploy", "--env", "e2e-int")
	p.waitFor("[y/N]", time.Minute)
	asked := time.Now()
	p.cmd.Process.Signal(syscall.SIGINT)
	code := p.wait(10 * time.Second)
	t.Logf("berth ended %s after Ctrl-C at the question", time.Since(asked).Round(time.Millisecond))
	if code != 1 || time.Since(asked) > 3*time.Second || !strings.Contains(p.out.String(), "nothing was changed") {
		t.Errorf("exit %d after %s:\n%s", code, time.Since(asked), p.out.String())
	}
	sets, err := c.CF.ListChangeSets(context.Background(), &cloudformation.ListChangeSetsInput{StackName: aws.String("berth-e2e-int-svc-orders")})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sets.Summaries {
		// moto lists every stack's change sets, and keeps executed ones listed
		if aws.ToString(s.StackName) == "berth-e2e-int-svc-orders" && s.ExecutionStatus != "EXECUTE_COMPLETE" {
			t.Errorf("change set %s left behind (%s)", aws.ToString(s.ChangeSetName), s.ExecutionStatus)
		}
	}
	if stackEvents(t, c, "berth-e2e-int-svc-orders") != before {
		t.Error("the stack changed")
	}
}

// diff sees new code: a source change of an image.build service shows as the image
// changing, though no template does; nothing is pushed.
func TestDiffSeesNewCode(t *testing.T) {
	t.Parallel()
	env := awsEnv(t)
	c := clients(t, env)
	reg := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer reg.Close()
	host := strings.TrimPrefix(reg.URL, "http://")
	env = append(env, ecrpush.RegistryEnv+"="+host)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "app", "main.go"), "package main\n\nfunc main() { println(\"one\") }\n")
	writeFile(t, filepath.Join(dir, "app", "go.mod"), "module app\n\ngo 1.26\n")
	writeFile(t, filepath.Join(dir, "berth.yml"), "name: code\nimage:\n  build: ./app\n")
	mustSucceed(t, berthWith(t, dir, env, "deploy", "--env", "e2e-code", "--yes"), "deploy")
	deployed := stackParam(t, c, "berth-e2e-code-svc-code", "Image")
	repo, _ := name.NewRepository(host + "/berth/e2e-code/code")
	tagsBefore, _ := remote.List(repo)

	if r := berthWith(t, dir, env, "diff", "--env", "e2e-code"); !strings.Contains(r.stdout, "(unchanged)") || strings.Contains(r.stdout, "sources changed") {
		t.Errorf("diff with unchanged sources:\n%s%s", r.stdout, r.stderr)
	}
	writeFile(t, filepath.Join(dir, "app", "main.go"), "package main\n\nfunc main() { println(\"two\") }\n")
	r := berthWith(t, dir, env, "diff", "--env", "e2e-code")
	mustSucceed(t, r, "diff")
	if !strings.Contains(r.stdout, "image: "+deployed[:40]) || !strings.Contains(r.stdout, "(sources changed)") ||
		!strings.Contains(r.stdout, "berth-e2e-code-svc-code: update") || !strings.Contains(r.stdout, "ContainerDefinitions[0].Image: ") {
		t.Errorf("diff after a source change:\n%s", r.stdout)
	}
	if tags, _ := remote.List(repo); len(tags) != len(tagsBefore) {
		t.Errorf("diff pushed: tags %v, before %v", tags, tagsBefore)
	}
}

// verify waits honestly: it says where it stands while it waits, ends at its timeout
// (not half of it later), and sums up. Here a container instance is registered, so the
// emulator is not taken for one that runs nothing, and the tasks never come.
func TestVerifyRespectsItsTimeout(t *testing.T) {
	t.Parallel()
	env := awsEnv(t)
	c := clients(t, env)
	dir := project(t)
	mustSucceed(t, berthWith(t, dir, env, "deploy", "--env", "e2e-vt", "--yes"), "deploy")
	// an instance of the cluster's group, as the capacity provider would launch it
	ctx := context.Background()
	_, group := clusterState(t, c, "e2e-vt")
	asg := c.ASG
	if _, err := asg.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String(group), DesiredCapacity: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	groups, err := asg.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{group}})
	if err != nil || len(groups.AutoScalingGroups) != 1 || len(groups.AutoScalingGroups[0].Instances) != 1 {
		t.Fatalf("the group launched no instance: %v", err)
	}
	id := aws.ToString(groups.AutoScalingGroups[0].Instances[0].InstanceId)
	doc := `{"accountId":"123456789012","region":"us-east-1","instanceId":"` + id + `","availabilityZone":"us-east-1a","instanceType":"m7i.large","privateIp":"10.0.128.10"}`
	if _, err := c.ECS.RegisterContainerInstance(context.Background(), &ecs.RegisterContainerInstanceInput{
		Cluster: aws.String("berth-e2e-vt"), InstanceIdentityDocument: aws.String(doc)}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r := berthWith(t, dir, env, "verify", "--env", "e2e-vt", "--timeout", "5s")
	took := time.Since(start)
	t.Logf("verify --timeout 5s took %s", took.Round(time.Millisecond))
	// well short of the default 10 minutes, with room for a busy machine and the
	// emulator the parallel tests share (it answers one call at a time): verify stops at
	// its timeout instead of starting another look
	if took > time.Minute || r.code != 1 {
		t.Errorf("verify --timeout 5s: exit %d after %s", r.code, took)
	}
	if !strings.Contains(r.stdout, "waiting: 0/3 running, 0/0 targets healthy") || !strings.Contains(r.stdout, "of 5s") ||
		!strings.Contains(r.stdout, "verify: 2 of 3 check(s) failed") || !strings.Contains(r.stdout, "skip  GET http://berth-e2e-vt-ingres") {
		t.Errorf("verify output:\n%s", r.stdout)
	}
}

// Against an emulator that runs nothing, the note is said once, the checks are
// skipped, and --strict makes that a failure.
func TestVerifyNotesOnceAndStrictFails(t *testing.T) {
	t.Parallel()
	env := awsEnv(t)
	dir := project(t)
	mustSucceed(t, berthWith(t, dir, env, "deploy", "--env", "e2e-vs", "--yes"), "deploy")
	r := berthWith(t, dir, env, "verify", "--env", "e2e-vs", "--timeout", "5s")
	if r.code != 0 || strings.Count(r.stdout, "no container instance has joined") != 1 || !strings.Contains(r.stdout, "verify: 0 of 3 check(s) passed, 3 skipped") {
		t.Errorf("verify: exit %d\n%s", r.code, r.stdout)
	}
	if r := berthWith(t, dir, env, "verify", "--env", "e2e-vs", "--strict"); r.code != 1 || !strings.Contains(r.stdout, "which --strict counts as failed") {
		t.Errorf("verify --strict: exit %d\n%s", r.code, r.stdout)
	}
}

func TestLogsSpeakJSONAndSayWhereTheyLooked(t *testing.T) {
	t.Parallel()
	env := awsEnv(t)
	dir := project(t)
	mustSucceed(t, berthWith(t, dir, env, "deploy", "--env", "e2e-lg", "--yes"), "deploy")
	r := berthWith(t, dir, env, "logs", "--env", "e2e-lg", "--since", "2d")
	if r.code != 0 || !strings.Contains(r.stdout, "no log events in /berth/e2e-lg/orders since ") || !strings.Contains(r.stdout, "(48h0m") {
		t.Errorf("logs with no event: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	c := clients(t, env)
	putLogs(t, c, "/berth/e2e-lg/orders", "orders/orders/cccccccccccc3333", "hello json")
	r = berthWith(t, dir, env, "logs", "--env", "e2e-lg", "-o", "json", "--since", time.Now().Add(-time.Hour).UTC().Format(time.RFC3339))
	var e ops.LogEvent
	if err := json.Unmarshal([]byte(strings.TrimSpace(r.stdout)), &e); err != nil || e.Message != "hello json" || e.Task != "cccccccccccc" {
		t.Errorf("logs -o json: %v\n%s", err, r.stdout)
	}
	if r := berthWith(t, dir, env, "logs", "--env", "e2e-lg", "--since", "yesterday"); r.code != 2 || !strings.Contains(r.stderr, "--since") {
		t.Errorf("a bad --since: exit %d %s", r.code, r.stderr)
	}
}

// Deleting what is gone succeeds, for a service and for an environment; a production
// environment's name must be typed.
func TestDeleteTwiceAndProductionNames(t *testing.T) {
	t.Parallel()
	env := awsEnv(t)
	dir := project(t)
	mustSucceed(t, berthWith(t, dir, env, "deploy", "--env", "prod-e2e", "--yes"), "deploy")
	p := startTTY(t, dir, env, "delete", "--env", "prod-e2e")
	p.waitFor("type its name to delete this:", time.Minute)
	for _, want := range []string{"- stack berth-prod-e2e-svc-orders", "- stack berth-prod-e2e-cluster", "- stack berth-prod-e2e-network", "- log group /berth/prod-e2e/orders"} {
		if !strings.Contains(p.text(), want) {
			t.Errorf("delete does not list %q:\n%s", want, p.text())
		}
	}
	p.send("y\r") // not the name
	if code := p.wait(time.Minute); code != 1 || !strings.Contains(p.out.String(), "nothing deleted") {
		t.Errorf("a y for a production environment: exit %d\n%s", code, p.out.String())
	}
	for i := range 2 {
		r := berthWith(t, dir, env, "delete", "--env", "prod-e2e", "--yes")
		if r.code != 0 {
			t.Fatalf("delete %d: exit %d\n%s%s", i+1, r.code, r.stdout, r.stderr)
		}
		if i == 1 && !strings.Contains(r.stdout, "nothing to delete") {
			t.Errorf("second delete:\n%s", r.stdout)
		}
	}
}

// A pipe and NO_COLOR get no colour; a pipe gets no escape code at all.
func TestNoColourWhenPipedOrAsked(t *testing.T) {
	t.Parallel()
	env := awsEnv(t)
	dir := project(t)
	r := berthWith(t, dir, env, "deploy", "--env", "e2e-nc", "--yes")
	mustSucceed(t, r, "deploy")
	if strings.Contains(r.stdout+r.stderr, "\x1b") {
		t.Errorf("escape codes in a pipe:\n%q", r.stdout)
	}
	p := startTTY(t, dir, append(env, "NO_COLOR=1"), "diff", "--env", "e2e-nc")
	if code := p.wait(time.Minute); code != 0 || colour.MatchString(p.out.String()) {
		t.Errorf("NO_COLOR on a terminal: exit %d\n%q", code, p.out.String())
	}
}

func TestUnknownCommandIsUsage(t *testing.T) {
	t.Parallel()
	if r := berth(t, t.TempDir(), "deploi"); r.code != 2 || !strings.Contains(r.stderr, `unknown command "deploi"`) {
		t.Errorf("exit %d %s", r.code, r.stderr)
	}
	if r := berth(t, t.TempDir(), "--version"); r.code != 0 || !strings.HasPrefix(r.stdout, "berth ") {
		t.Errorf("--version: %+v", r)
	}
}

func putLogs(t *testing.T, c *session.Session, group, stream, message string) {
	t.Helper()
	ctx := context.Background()
	cw := c.Logs
	cw.CreateLogStream(ctx, &cwCreateStream{LogGroupName: aws.String(group), LogStreamName: aws.String(stream)})
	if _, err := cw.PutLogEvents(ctx, &cwPut{LogGroupName: aws.String(group), LogStreamName: aws.String(stream),
		LogEvents: []cwEvent{{Message: aws.String(message), Timestamp: aws.Int64(time.Now().UnixMilli())}}}); err != nil {
		t.Fatal(err)
	}
}
