package local

import (
	"strings"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/manifest"
)

func parse(t *testing.T, text string) *manifest.Manifest {
	t.Helper()
	m, err := manifest.Parse([]byte(text), "berth.yml")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// A reload sorts each change by how it applies, and keeps what needs a restart as it runs.
func TestReloadSortsChanges(t *testing.T) {
	cur := parse(t, "name: api\nport: 8080\ncount: 2\nenv:\n  A: one\n")
	next := parse(t, "name: api\nport: 9090\ncount: 3\ncpu: 512\nhealth:\n  interval: 10\nenv:\n  A: two\n  B: new\ncapacity:\n  max: 5\n")
	c := diff(cur, next)
	got := map[string]string{
		"service": strings.Join(c.service, "; "), "task": strings.Join(c.task, "; "),
		"restart": strings.Join(c.restart, "; "), "aws": strings.Join(c.aws, "; "),
	}
	want := map[string]string{
		"service": "count 2 -> 3; health.interval 6 -> 10",
		"task":    "cpu 256 -> 512; env.A; env.B",
		"restart": "port 8080 -> 9090",
		"aws":     "capacity",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: %q, want %q", k, got[k], w)
		}
	}
	if c.applied.Port != 8080 || c.applied.Count.Min != 3 || c.applied.CPU != 512 {
		t.Errorf("applied port %d count %d cpu %d", c.applied.Port, c.applied.Count.Min, c.applied.CPU)
	}
	if same := diff(cur, cur); len(same.service)+len(same.task)+len(same.restart)+len(same.aws) != 0 {
		t.Errorf("no change reported as %+v", same)
	}
}

// The circuit breaker's threshold and the backoff follow ECS.
func TestBreakerThresholdAndBackoff(t *testing.T) {
	for desired, want := range map[int]int{1: 3, 2: 3, 6: 3, 7: 4, 100: 50, 1000: 200} {
		if got := breakerThreshold(desired); got != want {
			t.Errorf("threshold for %d: %d, want %d", desired, got, want)
		}
	}
	for failures, want := range map[int]time.Duration{0: 0, 1: time.Second, 2: 2 * time.Second, 4: 8 * time.Second, 7: time.Minute, 30: time.Minute} {
		if got := backoff(failures); got != want {
			t.Errorf("backoff after %d: %s, want %s", failures, got, want)
		}
	}
}

// A secret that comes from elsewhere needs new replicas; permissions are AWS's.
func TestReloadSeesSecretsAndPermissions(t *testing.T) {
	cur := parse(t, "name: api\nsecrets:\n  A: ssm:/a\n  B: ssm:/b\n")
	next := parse(t, "name: api\nsecrets:\n  A: ssm:/a2\n  C: secretsmanager:c\npermissions:\n  - arn:aws:iam::aws:policy/ReadOnlyAccess\n")
	c := diff(cur, next)
	if got := strings.Join(c.task, "; "); got != "secrets.A; secrets.B; secrets.C" {
		t.Errorf("task changes %q", got)
	}
	if got := strings.Join(c.aws, "; "); got != "permissions or secrets_kms_key" {
		t.Errorf("aws changes %q", got)
	}
}

// Locally there is no VPC: naming an existing one (network.vpc, its subnets) changes
// nothing berth up runs, and a reload says it is AWS's.
func TestAnExistingVPCIsAWSsOnly(t *testing.T) {
	const vpc = "network:\n  vpc: vpc-0abc1234\n  public_subnets: [subnet-0aaa1111, subnet-0bbb2222]\n  private_subnets: [subnet-0ccc3333, subnet-0ddd4444]\n"
	cur, next := parse(t, "name: api\nport: 8080\n"), parse(t, "name: api\nport: 8080\n"+vpc)
	c := diff(cur, next)
	if len(c.service)+len(c.task)+len(c.restart) != 0 || strings.Join(c.aws, "; ") != "network" {
		t.Errorf("naming an existing VPC: %+v", c)
	}
	if other := parse(t, "name: api\nport: 8080\n"+strings.Replace(vpc, "subnet-0ddd4444", "subnet-0eee5555", 1)); strings.Join(diff(next, other).aws, "; ") != "network" {
		t.Error("other subnets are not reported as a change of the network")
	}
}

// A change of strategy or rule applies at once, to the next rollout: nothing restarts.
func TestReloadAppliesAStrategyToTheNextRollout(t *testing.T) {
	cur := parse(t, "name: api\n")
	next := parse(t, "name: api\ndeployment:\n  strategy: canary\n  rollback_on:\n    errors: 2%\n")
	c := diff(cur, next)
	want := "deployment.strategy rolling: tasks replaced a few at a time -> canary 5 % for 3m, then 100 %, bake 3m: ≥ 6m; " +
		"deployment.rollback_on 5xx > 1 % in 2 of 3 one-minute windows -> 5xx > 2 % in 2 of 3 one-minute windows"
	if got := strings.Join(c.service, "; "); got != want || len(c.task) > 0 {
		t.Errorf("service changes %q, task %v; want %q", got, c.task, want)
	}
}
