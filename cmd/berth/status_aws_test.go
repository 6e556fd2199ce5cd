package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/ops"
	"github.com/berthdev/berth/internal/session"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/berthdev/berth/internal/deploy"
)

// The commands that read on the emulator: diff, status, verify and logs.

func artifacts(t *testing.T, c *session.Session, prefix string) int {
	t.Helper()
	out, err := c.S3.ListObjectVersions(context.Background(), &s3.ListObjectVersionsInput{
		Bucket: aws.String("berth-artifacts-123456789012-us-east-1"), Prefix: aws.String(prefix)})
	if err != nil {
		t.Fatal(err)
	}
	return len(out.Versions)
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
	if !strings.Contains(r.stdout, "estimate: environment e2e-st $258.13 a month (nothing of it runs yet) before traffic, at on-demand prices in us-east-1") {
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
	if !strings.Contains(r.stdout, "estimate: environment e2e-st $258.13 a month (unchanged)") {
		t.Errorf("diff after a cpu change does not say what it costs:\n%s", r.stdout)
	}
	// A service template past the 51,200 bytes CloudFormation takes inline goes to the
	// artifact bucket: a diff's under the plan's prefix, which berth ci role's plan role
	// may write, never where a deploy's templates are (names.PlanArtifactPrefix).
	big := mustRead(t, filepath.Join(dir, "berth.yml")) + "env:\n"
	for i := range 45 {
		big += fmt.Sprintf("  V%d: %s\n", i, strings.Repeat("x", 1000))
	}
	writeFile(t, filepath.Join(dir, "berth.yml"), big)
	deployed, planned := artifacts(t, c, "e2e-st/berth-"), artifacts(t, c, "e2e-st/_plan/berth-e2e-st-svc-orders/")
	r = berthWith(t, dir, env, "diff", "--env", "e2e-st")
	mustSucceed(t, r, "diff of a template too large to go inline")
	if now := artifacts(t, c, "e2e-st/berth-"); now != deployed {
		t.Errorf("diff wrote where a deploy's templates are: %d objects, then %d", deployed, now)
	}
	if now := artifacts(t, c, "e2e-st/_plan/berth-e2e-st-svc-orders/"); now != planned+1 {
		t.Errorf("diff's template under the plan's prefix: %d objects, then %d, want one more", planned, now)
	}
	writeFile(t, filepath.Join(dir, "berth.yml"), big[:strings.Index(big, "env:\n")])

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
