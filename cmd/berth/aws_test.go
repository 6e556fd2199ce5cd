package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/session"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfnTypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwlTypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/servicequotas"
	"github.com/berthdev/berth/internal/preflight"
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

func mustRead(t *testing.T, path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

type cwEvent = cwlTypes.InputLogEvent
type cwCreateStream = cloudwatchlogs.CreateLogStreamInput
type cwPut = cloudwatchlogs.PutLogEventsInput
type cfnCapability = cfnTypes.Capability

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
