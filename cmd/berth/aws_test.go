package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	ecrpush "github.com/berthdev/berth/internal/registry"

	"github.com/berthdev/berth/internal/ops"
	"github.com/berthdev/berth/internal/session"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfnTypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwlTypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/servicequotas"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/berthdev/berth/internal/deploy"
	"github.com/berthdev/berth/internal/preflight"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// These tests run the real binary against the AWS emulator of test/emulator (moto with
// the gaps berth meets filled in) on a free loopback port, started once for the package
// and stopped after.

var moto struct {
	once     sync.Once
	endpoint string
	cmd      *exec.Cmd
	err      string
	mu       sync.Mutex
	skipped  []string // the tests skipped for want of it
}

func stopMoto() {
	if moto.cmd != nil {
		moto.cmd.Process.Kill()
		moto.cmd.Wait()
	}
}

// emulatorTracebacks prints what the emulator raised: a 500 from it is its own failure,
// and the test that met it says only that.
func emulatorTracebacks() {
	b, err := os.ReadFile(filepath.Join(filepath.Dir(apiLog), "emulator.log"))
	if err != nil {
		return
	}
	text := string(b)
	for {
		i := strings.Index(text, "Traceback (most recent call last)")
		if i < 0 {
			return
		}
		text = text[i:]
		end := strings.Index(text[1:], "\n127.0.0.1") // the next request line
		if end < 0 {
			end = len(text) - 1
		}
		fmt.Fprintf(os.Stderr, "the emulator raised:\n%s\n", text[:end+1])
		text = text[end+1:]
	}
}

// awsEnv is the environment of a berth process that talks to moto.
func awsEnv(t *testing.T) []string {
	t.Helper()
	moto.once.Do(startMoto)
	if moto.err != "" {
		moto.mu.Lock()
		moto.skipped = append(moto.skipped, t.Name())
		moto.mu.Unlock()
		t.Skip(moto.err)
	}
	return append(os.Environ(), "AWS_ENDPOINT_URL="+moto.endpoint, "AWS_ACCESS_KEY_ID=testing",
		"AWS_SECRET_ACCESS_KEY=testing", "AWS_REGION=us-east-1", "AWS_PROFILE=", "AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null", session.APILogEnv+"="+apiLog)
}

// emulatorEnv names another emulator script than the repository's.
const emulatorEnv = "BERTH_EMULATOR"

// emulatorHowTo is how to run the tests that were skipped.
const emulatorHowTo = "install the emulator's Python side: python3 -m pip install 'moto[server]==5.2.1' (test/emulator/README.md), then go test ./cmd/berth"

func startMoto() {
	server, _ := filepath.Abs("../../test/emulator/moto-server")
	if v := os.Getenv(emulatorEnv); v != "" {
		server = v
	}
	if _, err := os.Stat(server); err != nil {
		moto.err = fmt.Sprintf("the AWS emulator %s is absent (%s names another)", server, emulatorEnv)
		return
	}
	if out, err := exec.Command("python3", "-c", "import moto.server, flask").CombinedOutput(); err != nil {
		moto.err = fmt.Sprintf("the AWS emulator needs Python 3 with moto 5.2.1 and flask: %s", strings.TrimSpace(lastLine(string(out), err)))
		return
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		moto.err = err.Error()
		return
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	moto.cmd = exec.Command("python3", server, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	if log, err := os.Create(filepath.Join(filepath.Dir(apiLog), "emulator.log")); err == nil {
		moto.cmd.Stdout, moto.cmd.Stderr = log, log // its tracebacks, for when it answers 500
	}
	if err := moto.cmd.Start(); err != nil {
		moto.err = "start the AWS emulator: " + err.Error()
		return
	}
	moto.endpoint = fmt.Sprintf("http://127.0.0.1:%d", port)
	for range 300 {
		if resp, err := http.Get(moto.endpoint + "/moto-api/"); err == nil {
			resp.Body.Close()
			if err := raiseQuotas(moto.endpoint); err != nil {
				moto.err = "raise the emulated account's quotas: " + err.Error()
			}
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	moto.err = "the AWS emulator did not answer within 30 s"
}

// raiseQuotas gives the emulated account in us-east-1 the quotas a CI account is given:
// the tests make dozens of environments in it, more than the default 5 VPCs and 5
// Elastic IPs, and more services than 50 load balancers. The tests of the quotas
// themselves use other regions, where the defaults hold.
func raiseQuotas(endpoint string) error {
	sq := servicequotas.New(servicequotas.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")})
	for _, q := range []preflight.Quota{preflight.VPCs, preflight.ElasticIPs, preflight.LoadBalancers} {
		if _, err := sq.RequestServiceQuotaIncrease(context.Background(), &servicequotas.RequestServiceQuotaIncreaseInput{
			ServiceCode: aws.String(q.ServiceCode), QuotaCode: aws.String(q.Code), DesiredValue: aws.Float64(1000)}); err != nil {
			return err
		}
	}
	return nil
}

func lastLine(out string, err error) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if l := lines[len(lines)-1]; l != "" {
		return l
	}
	return err.Error()
}

// reportSkipped says which AWS tests did not run, why and how to run them. go test
// shows a passing package's output only with -v, so the report also goes to the
// terminal when there is one; with BERTH_REQUIRE_EMULATOR=1 (CI) a skip fails the package.
func reportSkipped() int {
	if len(moto.skipped) == 0 {
		return 0
	}
	msg := fmt.Sprintf("berth: %d AWS end-to-end test(s) skipped: %s\n  %s\n  skipped: %s\n",
		len(moto.skipped), moto.err, emulatorHowTo, strings.Join(moto.skipped, ", "))
	fmt.Fprint(os.Stderr, msg)
	if tty, err := os.OpenFile(terminalDevice(), os.O_WRONLY, 0); err == nil {
		fmt.Fprint(tty, msg)
		tty.Close()
	}
	if os.Getenv("BERTH_REQUIRE_EMULATOR") == "1" {
		return 1
	}
	return 0
}

func terminalDevice() string {
	if runtime.GOOS == "windows" {
		return "CONOUT$"
	}
	return "/dev/tty"
}

// testAWS is how the tests themselves reach the emulator: the SDK reads its endpoint
// and credentials from the environment, which is the process's and so shared by tests
// that run in parallel. It is set only while a client is made (the SDK resolves the
// endpoint then), under the lock, and put back.
var testAWS struct {
	sync.Mutex
	cfg *aws.Config // for the APIs berth's session has no client of
}

// clients talks to moto from the test itself, to check what berth did.
func clients(t *testing.T, env []string) *session.Session {
	t.Helper()
	return clientsIn(t, env, "us-east-1")
}

// clientsIn is clients in another region of the emulated account.
func clientsIn(t *testing.T, env []string, region string) *session.Session {
	t.Helper()
	testAWS.Lock()
	defer testAWS.Unlock()
	for _, kv := range env[len(os.Environ()):] {
		k, v, _ := strings.Cut(kv, "=")
		if k == session.APILogEnv {
			continue // the test's own calls are not berth's
		}
		old, had := os.LookupEnv(k)
		os.Setenv(k, v)
		if had {
			defer os.Setenv(k, old)
		} else {
			defer os.Unsetenv(k)
		}
	}
	c, err := session.Connect(context.Background(), region, "")
	if err != nil {
		t.Fatal(err)
	}
	if testAWS.cfg == nil {
		cfg, err := config.LoadDefaultConfig(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		testAWS.cfg = &cfg
	}
	return c
}

// commandTimeout bounds every run of the binary: a berth that hangs fails its test
// instead of the whole package.
const commandTimeout = 3 * time.Minute

func berthWith(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir, cmd.Env = dir, env
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("berth %s did not finish within %s:\n%s%s", strings.Join(args, " "), commandTimeout, out.String(), errb.String())
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{out.String(), errb.String(), code}
}

// project writes a manifest (the issue's, with edits) into a fresh directory.
func project(t *testing.T, edits ...string) string {
	dir := t.TempDir()
	src, err := os.ReadFile(issueExample)
	if err != nil {
		t.Fatal(err)
	}
	text := string(src)
	for i := 0; i+1 < len(edits); i += 2 {
		if !strings.Contains(text, edits[i]) {
			t.Fatalf("manifest has no %q", edits[i])
		}
		text = strings.Replace(text, edits[i], edits[i+1], 1)
	}
	writeFile(t, filepath.Join(dir, "berth.yml"), text)
	return dir
}

func mustSucceed(t *testing.T, r result, what string) {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("%s: exit %d\n%s%s", what, r.code, r.stdout, r.stderr)
	}
}

func stackEvents(t *testing.T, c *session.Session, stack string) int {
	t.Helper()
	out, err := c.CF.DescribeStackEvents(context.Background(), &cloudformation.DescribeStackEventsInput{StackName: aws.String(stack)})
	if err != nil {
		t.Fatal(err)
	}
	return len(out.StackEvents)
}

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

func artifacts(t *testing.T, c *session.Session, prefix string) int {
	t.Helper()
	out, err := c.S3.ListObjectVersions(context.Background(), &s3.ListObjectVersionsInput{
		Bucket: aws.String("berth-artifacts-123456789012-us-east-1"), Prefix: aws.String(prefix)})
	if err != nil {
		t.Fatal(err)
	}
	return len(out.Versions)
}

func mustRead(t *testing.T, path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestStatusDiffVerifyLogs(t *testing.T) {
	t.Parallel()
	env := awsEnv(t)
	c := clients(t, env)
	dir := project(t)

	r := berthWith(t, dir, env, "diff", "--env", "e2e-st")
	mustSucceed(t, r, "diff before deploy")
	if !strings.Contains(r.stdout, "berth-e2e-st-network: create, 21 change(s)") || !strings.Contains(r.stdout, "    + NatGateway2") {
		t.Errorf("diff of a new environment:\n%s", r.stdout)
	}
	if !strings.Contains(r.stdout, "estimate: $258.13 a month (nothing of it runs yet) before traffic, at on-demand prices in us-east-1") {
		t.Errorf("diff of a new environment without its estimate:\n%s", r.stdout)
	}
	r = berthWith(t, dir, env, "deploy", "--env", "e2e-st", "--yes", "-o", "json")
	mustSucceed(t, r, "deploy -o json")
	kinds := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var v map[string]any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("deploy -o json printed a line that is not JSON: %q", line)
		}
		kind, _ := v["kind"].(string)
		kinds[kind]++
		if kind == "identity" && (v["account"] != "123456789012" || v["region"] != "us-east-1" || v["caller"] == nil) {
			t.Errorf("identity without its fields: %q", line)
		}
		if e, ok := v["elapsed"].(float64); ok && e*10 != float64(int(e*10)) {
			t.Errorf("elapsed not rounded: %q", line)
		}
		if strings.Contains(line, ":null") {
			t.Errorf("a null in %q", line)
		}
	}
	if kinds["identity"] != 1 || kinds["plan"] != 1 || kinds["event"] < 6 || kinds["stack"] < 6 || kinds["result"] != 1 {
		t.Errorf("deploy -o json: %v", kinds)
	}

	r = berthWith(t, dir, env, "diff", "--env", "e2e-st", "-o", "json")
	mustSucceed(t, r, "diff with no change")
	var plan deploy.Plan
	if err := json.Unmarshal([]byte(r.stdout), &plan); err != nil || len(plan.Stacks) != 4 || plan.Image.Changed {
		t.Fatalf("diff json: %v\n%s", err, r.stdout)
	}
	for _, d := range plan.Stacks {
		if d.Action != "none" {
			t.Errorf("%s: %s, want none", d.Stack, d.Action)
		}
	}
	writeFile(t, filepath.Join(dir, "berth.yml"), strings.Replace(mustRead(t, filepath.Join(dir, "berth.yml")), "cpu: 512", "cpu: 1024", 1))
	before := artifacts(t, c, "e2e-st/")
	r = berthWith(t, dir, env, "diff", "--env", "e2e-st")
	if after := artifacts(t, c, "e2e-st/"); after != before {
		t.Errorf("diff wrote to the artifact bucket: %d objects, then %d", before, after)
	}
	if !strings.Contains(r.stdout, "berth-e2e-st-network: no changes") || !strings.Contains(r.stdout, "berth-e2e-st-svc-orders: update") {
		t.Errorf("diff after a cpu change:\n%s", r.stdout)
	}
	// 3 tasks of 1 vCPU still fit 2 m7i.large (2 vCPU each): the bill does not move.
	if !strings.Contains(r.stdout, "estimate: $258.13 a month (unchanged)") {
		t.Errorf("diff after a cpu change does not say what it costs:\n%s", r.stdout)
	}

	r = berthWith(t, dir, env, "status", "--env", "e2e-st", "-o", "json")
	mustSucceed(t, r, "status")
	var st ops.Status
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatalf("status json: %v\n%s", err, r.stdout)
	}
	if len(st.Stacks) != 4 || st.Stacks[0].Status != "CREATE_COMPLETE" || st.Desired != 3 || !strings.HasPrefix(st.URL, "http://berth-e2e-st-ingres") {
		t.Errorf("status: %+v", st)
	}
	r = berthWith(t, dir, env, "status", "--env", "e2e-st")
	if !strings.Contains(r.stdout, "service orders: desired 3") || !strings.Contains(r.stdout, "url: http://") {
		t.Errorf("status text:\n%s", r.stdout)
	}

	// moto runs no task: verify must say so, check by check, and not claim a pass.
	r = berthWith(t, dir, env, "verify", "--env", "e2e-st", "--timeout", "5s")
	mustSucceed(t, r, "verify")
	if strings.Count(r.stdout, "skip ") != 3 || strings.Contains(r.stdout, "pass ") || !strings.Contains(r.stdout, "no task runs there") {
		t.Errorf("verify against moto:\n%s", r.stdout)
	}

	// logs: two tasks' streams, interleaved by time, each line with its task.
	ctx := context.Background()
	group := "/berth/e2e-st/orders"
	now := time.Now().UnixMilli()
	for i, task := range []string{"aaaaaaaaaaaa1111", "bbbbbbbbbbbb2222"} {
		stream := "orders/orders/" + task
		c.Logs.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream)})
		_, err := c.Logs.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{
			LogGroupName: aws.String(group), LogStreamName: aws.String(stream),
			LogEvents: []cwEvent{{Message: aws.String(fmt.Sprintf("first from %d", i)), Timestamp: aws.Int64(now - 3000 + int64(i)*1000)},
				{Message: aws.String(fmt.Sprintf("second from %d", i)), Timestamp: aws.Int64(now - 1000 + int64(i)*500)}},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	r = berthWith(t, dir, env, "logs", "--env", "e2e-st", "--since", "1m")
	mustSucceed(t, r, "logs")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	order := []string{"first from 0", "first from 1", "second from 0", "second from 1"}
	if len(lines) != 4 {
		t.Fatalf("logs:\n%s", r.stdout)
	}
	for i, l := range lines {
		if !strings.HasSuffix(l, order[i]) || !strings.Contains(l, []string{"aaaaaaaaaaaa", "bbbbbbbbbbbb"}[i%2]) {
			t.Errorf("line %d %q, want task prefix and %q", i, l, order[i])
		}
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
	// (internal/deploy/rootcause_test.go).
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

type cwEvent = cwlTypes.InputLogEvent
type cwClient = cloudwatchlogs.Client
type cwCreateStream = cloudwatchlogs.CreateLogStreamInput
type cwPut = cloudwatchlogs.PutLogEventsInput
type cfnCapability = cfnTypes.Capability

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

func clusterState(t *testing.T, c *session.Session, env string) (providers []string, group string) {
	t.Helper()
	ctx := context.Background()
	cl, err := c.ECS.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{"berth-" + env}})
	if err != nil || len(cl.Clusters) != 1 {
		t.Fatalf("describe cluster: %v", err)
	}
	st, err := c.CF.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String("berth-" + env + "-cluster")})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range st.Stacks[0].Outputs {
		if aws.ToString(o.OutputKey) == "AutoScalingGroupName" {
			group = aws.ToString(o.OutputValue)
		}
	}
	return cl.Clusters[0].CapacityProviders, group
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

func stackParam(t *testing.T, c *session.Session, stack, key string) string {
	t.Helper()
	st, err := c.CF.DescribeStacks(context.Background(), &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range st.Stacks[0].Parameters {
		if aws.ToString(p.ParameterKey) == key {
			return aws.ToString(p.ParameterValue)
		}
	}
	return ""
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
	for _, dir := range []string{project(t, "name: orders", routed("svc-c")), lean} {
		r := deployOK(dir, "deploy another service")
		if !strings.Contains(r.stdout, "berth-e2e-mix-network: no changes") || !strings.Contains(r.stdout, "berth-e2e-mix-cluster: no changes") || !strings.Contains(r.stdout, "berth-e2e-mix-ingress: no changes") {
			t.Errorf("another service's deploy touched the shared stacks:\n%s", r.stdout)
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

// silentListener accepts connections on loopback and never answers: an endpoint that
// hangs.
func silentListener(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return ln.Addr().String()
}

// An endpoint that accepts and never answers fails the command in seconds, saying
// which endpoint, rather than hanging or blaming the credentials.
func TestASilentEndpointFailsInSeconds(t *testing.T) {
	t.Parallel()
	addr := silentListener(t)
	env := append(os.Environ(), "AWS_ENDPOINT_URL=http://"+addr, "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing",
		"AWS_REGION=us-east-1", "AWS_PROFILE=", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	start := time.Now()
	r := berthWith(t, project(t), env, "status", "--env", "e2e-silent")
	took := time.Since(start)
	t.Logf("a silent endpoint failed the command after %s", took.Round(time.Millisecond))
	if r.code != 1 || !strings.Contains(r.stderr, "the AWS endpoint http://"+addr+" did not answer") || strings.Contains(r.stderr, "configure credentials") {
		t.Errorf("exit %d:\n%s", r.code, r.stderr)
	}
	if took > time.Minute {
		t.Errorf("took %s", took)
	}

	// nothing listening at all: said at once
	closed := freePort(t)
	env[len(os.Environ())] = fmt.Sprintf("AWS_ENDPOINT_URL=http://127.0.0.1:%d", closed)
	if r := berthWith(t, project(t), env, "status", "--env", "e2e-silent"); r.code != 1 || !strings.Contains(r.stderr, "could not be reached") {
		t.Errorf("closed port: exit %d:\n%s", r.code, r.stderr)
	}

	// and a Docker engine that does the same
	start = time.Now()
	r = berthWith(t, ".", append(os.Environ(), "DOCKER_HOST=tcp://"+addr), "status", "--local", "--env", "e2e-silent")
	t.Logf("a silent Docker engine failed the command after %s", time.Since(start).Round(time.Millisecond))
	if r.code != 1 || !strings.Contains(r.stderr, "no Docker engine reachable") {
		t.Errorf("docker: exit %d:\n%s", r.code, r.stderr)
	}
}

func TestABadProfileSaysSo(t *testing.T) {
	t.Parallel()
	cfg := filepath.Join(t.TempDir(), "config")
	writeFile(t, cfg, "[default]\nregion = us-east-1\n")
	env := append(os.Environ(), "AWS_CONFIG_FILE="+cfg, "AWS_SHARED_CREDENTIALS_FILE="+cfg)
	r := berthWith(t, project(t), env, "status", "--profile", "nosuch")
	if r.code != 1 || !strings.Contains(r.stderr, `AWS profile "nosuch" is not in your AWS config`) || !strings.Contains(r.stderr, "hint: list the profiles") {
		t.Errorf("exit %d:\n%s", r.code, r.stderr)
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

// diff tells what changes and what is replaced from the templates, where moto's change
// sets list few changes and no Replacement: a port change replaces the target group.
func TestDiffShowsPropertiesAndReplacements(t *testing.T) {
	t.Parallel()
	env := awsEnv(t)
	dir := project(t)
	mustSucceed(t, berthWith(t, dir, env, "deploy", "--env", "e2e-dp", "--yes"), "deploy")
	writeFile(t, filepath.Join(dir, "berth.yml"), strings.NewReplacer("port: 8080", "port: 9090", "count: 3", "count: 4").Replace(mustRead(t, filepath.Join(dir, "berth.yml"))))
	r := berthWith(t, dir, env, "diff", "--env", "e2e-dp")
	mustSucceed(t, r, "diff")
	for _, want := range []string{
		"~ SharedTargetGroup                    AWS::ElasticLoadBalancingV2::TargetGroup  (replaced)",
		"Port: 8080 → 9090  (replaces)",
		"~ Service                              AWS::ECS::Service",
		"DesiredCount: 3 → 4",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("diff lacks %q:\n%s", want, r.stdout)
		}
	}
}

// stackResource is the physical id of a stack's resource, as the emulator reports it.
func stackResource(t *testing.T, c *session.Session, stack, logical string) string {
	t.Helper()
	out, err := c.CF.DescribeStackResource(context.Background(), &cloudformation.DescribeStackResourceInput{
		StackName: aws.String(stack), LogicalResourceId: aws.String(logical)})
	if err != nil || out.StackResourceDetail == nil {
		t.Fatalf("%s %s: %v", stack, logical, err)
	}
	return aws.ToString(out.StackResourceDetail.PhysicalResourceId)
}
