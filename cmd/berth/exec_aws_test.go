package main

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
)

// berth exec on AWS, as far as the emulator goes: it keeps a service's
// EnableExecuteCommand but runs no task and opens no session. Without exec: true the
// command is refused with the fix; with it deployed (the plan says it widens access),
// it says that no task runs. The session itself is covered a level below: the
// ExecuteCommand call and the Session Manager client's arguments from recorded
// answers (internal/ecsexec).
func TestExecRefusesWithoutExecAndSaysNoTaskRunsOnTheEmulator(t *testing.T) {
	t.Parallel()
	env := awsEnv(t)
	c := clients(t, env)
	dir := project(t)
	mustSucceed(t, berthWith(t, dir, env, "deploy", "--env", "e2e-ex", "--yes"), "deploy without exec")

	r := berthWith(t, dir, env, "exec", "--env", "e2e-ex", "--", "env")
	if r.code != 1 || !strings.Contains(r.stderr, "berth: ECS Exec is off for orders in environment e2e-ex: berth exec needs exec: true") ||
		!strings.Contains(r.stderr, "hint: set exec: true in berth.yml, then run \"berth deploy\"") {
		t.Errorf("exec without exec: true: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	writeFile(t, dir+"/berth.yml", mustRead(t, dir+"/berth.yml")+"exec: true\n")
	if r := berthWith(t, dir, env, "exec", "--env", "e2e-ex"); r.code != 1 || !strings.Contains(r.stderr, "hint: berth.yml has exec: true, which is not deployed yet") {
		t.Errorf("exec before the deploy of exec: true: exit %d\n%s", r.code, r.stderr)
	}
	r = berthWith(t, dir, env, "deploy", "--env", "e2e-ex", "--yes")
	mustSucceed(t, r, "deploy with exec: true")
	if !strings.Contains(r.stdout, "exec: true widens access: anyone allowed ecs:ExecuteCommand on the cluster can run commands in the tasks of orders (berth exec)") {
		t.Errorf("the plan does not say that exec widens access:\n%s", r.stdout)
	}
	svc, err := c.ECS.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String("berth-e2e-ex"), Services: []string{"orders"}})
	if err != nil || len(svc.Services) != 1 || !svc.Services[0].EnableExecuteCommand {
		t.Fatalf("the service after exec: true: %+v %v", svc, err)
	}
	r = berthWith(t, dir, env, "exec", "--env", "e2e-ex", "--", "ls", "-la")
	if r.code != 1 || !strings.Contains(r.stderr, "berth: no task of orders runs in environment e2e-ex (desired 3, ") ||
		!strings.Contains(r.stderr, "hint: \"berth status --env e2e-ex\" shows why tasks do not run") {
		t.Errorf("exec with no running task: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := berthWith(t, dir, env, "exec", "--env", "e2e-ex", "ls"); r.code != 2 || !strings.Contains(r.stderr, "put the command after --") {
		t.Errorf("a command without --: exit %d\n%s", r.code, r.stderr)
	}
}
