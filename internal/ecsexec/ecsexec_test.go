package ecsexec

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
	"github.com/berthdev/berth/internal/stacks"
	"github.com/berthdev/berth/internal/synth"
)

// fakeCF has the environment's cluster stack and the service's stack, as deployed.
type fakeCF struct {
	stacks.CloudFormation
	deployed bool
}

func (f *fakeCF) DescribeStacks(_ context.Context, in *cloudformation.DescribeStacksInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error) {
	name := aws.ToString(in.StackName)
	outputs := map[string]map[string]string{
		"berth-dev-cluster":    {synth.OutClusterName: "berth-dev"},
		"berth-dev-svc-orders": {synth.OutServiceName: "orders"},
	}[name]
	if !f.deployed || outputs == nil {
		return nil, &smithy.GenericAPIError{Code: "ValidationError", Message: "Stack with id " + name + " does not exist"}
	}
	st := cfntypes.Stack{StackName: aws.String(name), StackStatus: cfntypes.StackStatusCreateComplete}
	for k, v := range outputs {
		st.Outputs = append(st.Outputs, cfntypes.Output{OutputKey: aws.String(k), OutputValue: aws.String(v)})
	}
	return &cloudformation.DescribeStacksOutput{Stacks: []cfntypes.Stack{st}}, nil
}

// fakeECS answers as recorded: the service, its tasks, and ExecuteCommand's session.
type fakeECS struct {
	service ecstypes.Service
	tasks   []ecstypes.Task
	asked   *ecs.ExecuteCommandInput
}

func (f *fakeECS) DescribeServices(context.Context, *ecs.DescribeServicesInput, ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	return &ecs.DescribeServicesOutput{Services: []ecstypes.Service{f.service}}, nil
}

func (f *fakeECS) ListTasks(context.Context, *ecs.ListTasksInput, ...func(*ecs.Options)) (*ecs.ListTasksOutput, error) {
	out := &ecs.ListTasksOutput{}
	for _, t := range f.tasks {
		out.TaskArns = append(out.TaskArns, aws.ToString(t.TaskArn))
	}
	return out, nil
}

func (f *fakeECS) DescribeTasks(context.Context, *ecs.DescribeTasksInput, ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error) {
	return &ecs.DescribeTasksOutput{Tasks: f.tasks}, nil
}

func (f *fakeECS) ExecuteCommand(_ context.Context, in *ecs.ExecuteCommandInput, _ ...func(*ecs.Options)) (*ecs.ExecuteCommandOutput, error) {
	f.asked = in
	return &ecs.ExecuteCommandOutput{Session: &ecstypes.Session{SessionId: aws.String("ecs-execute-command-0a1b2c"),
		StreamUrl:  aws.String("wss://ssmmessages.us-east-1.amazonaws.com/v1/data-channel/ecs-execute-command-0a1b2c?role=publish_subscribe"),
		TokenValue: aws.String("secret-token")}}, nil
}

func service(exec bool) ecstypes.Service {
	return ecstypes.Service{ServiceName: aws.String("orders"), Status: aws.String("ACTIVE"), EnableExecuteCommand: exec, DesiredCount: 2, PendingCount: 2}
}

func task(id, status string, exec bool, agent string) ecstypes.Task {
	c := ecstypes.Container{Name: aws.String("orders"), RuntimeId: aws.String(id + "-1234567890")}
	if agent != "" {
		c.ManagedAgents = []ecstypes.ManagedAgent{{Name: ecstypes.ManagedAgentNameExecuteCommandAgent, LastStatus: aws.String(agent), Reason: aws.String("")}}
	}
	return ecstypes.Task{TaskArn: aws.String("arn:aws:ecs:us-east-1:123456789012:task/berth-dev/" + id), LastStatus: aws.String(status),
		EnableExecuteCommand: exec, Containers: []ecstypes.Container{c}}
}

func TestOpenRefusesWithTheFix(t *testing.T) {
	for _, tc := range []struct {
		name         string
		deployed     bool
		svc          ecstypes.Service
		tasks        []ecstypes.Task
		o            Options
		err, fixText string
	}{
		{"not deployed", false, service(true), nil, Options{},
			"orders is not deployed to environment dev", "berth deploy --env dev"},
		{"exec off, and off in berth.yml", true, service(false), nil, Options{},
			"ECS Exec is off for orders in environment dev", "set exec: true in berth.yml, then run \"berth deploy\""},
		{"exec on in berth.yml, not deployed yet", true, service(false), nil, Options{ManifestExec: true},
			"ECS Exec is off for orders", "berth.yml has exec: true, which is not deployed yet"},
		{"no running task", true, service(true), nil, Options{},
			"no task of orders runs in environment dev (desired 2, running 0, pending 2)", "berth status --env dev"},
		{"tasks still starting", true, service(true), []ecstypes.Task{task("aaaa", "PROVISIONING", true, "PENDING")}, Options{},
			"no task of orders is RUNNING in environment dev yet", "wait for one"},
		{"no such task", true, service(true), []ecstypes.Task{task("aaaa", "RUNNING", true, "RUNNING"), task("bbbb", "RUNNING", true, "RUNNING")}, Options{Task: "cccc"},
			"task cccc is not a running task of orders", "running: aaaa, bbbb"},
		{"a task from before exec was on", true, service(true), []ecstypes.Task{task("aaaa", "RUNNING", false, "")}, Options{},
			"task aaaa started before ECS Exec was turned on", "\"berth deploy\" after turning exec on replaces the tasks"},
		{"agent not running", true, service(true), []ecstypes.Task{task("aaaa", "RUNNING", true, "STOPPED")}, Options{},
			"the ECS Exec agent of task aaaa is stopped", "ssmmessages"},
	} {
		f := &fakeECS{service: tc.svc, tasks: tc.tasks}
		tc.o.Env, tc.o.Service = "dev", "orders"
		_, err := (&Clients{CF: &fakeCF{deployed: tc.deployed}, ECS: f}).Open(context.Background(), tc.o)
		if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(hintOf(err), tc.fixText) {
			t.Errorf("%s: %v (hint %q), want %q with %q", tc.name, err, hintOf(err), tc.err, tc.fixText)
		}
		if f.asked != nil {
			t.Errorf("%s: ExecuteCommand was called", tc.name)
		}
	}
}

func TestOpenAsksECSAndBuildsThePluginArguments(t *testing.T) {
	f := &fakeECS{service: service(true), tasks: []ecstypes.Task{task("aaaa", "RUNNING", true, "RUNNING"), task("bbbb", "RUNNING", true, "RUNNING")}}
	target, err := (&Clients{CF: &fakeCF{deployed: true}, ECS: f}).Open(context.Background(),
		Options{Env: "dev", Service: "orders", Task: "bbbb", Command: []string{"sh", "-c", "echo it's $HOME"}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(f.asked.Cluster) != "berth-dev" || !strings.HasSuffix(aws.ToString(f.asked.Task), "/bbbb") || aws.ToString(f.asked.Container) != "orders" ||
		!f.asked.Interactive || aws.ToString(f.asked.Command) != `sh -c 'echo it'\''s $HOME'` {
		t.Errorf("ExecuteCommand %+v command %q", f.asked, aws.ToString(f.asked.Command))
	}
	args, env, err := target.PluginArgs("us-east-1", "dev-profile", "https://ecs.us-east-1.amazonaws.com")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"AWS_SSM_START_SESSION_RESPONSE", "us-east-1", "StartSession", "dev-profile", `{"Target":"ecs:berth-dev_bbbb_bbbb-1234567890"}`, "https://ecs.us-east-1.amazonaws.com"}
	if strings.Join(args, "\n") != strings.Join(want, "\n") {
		t.Errorf("plugin args %q, want %q", args, want)
	}
	if strings.Contains(strings.Join(args, " "), "secret-token") {
		t.Error("the session token is in the process's arguments")
	}
	name, value, _ := strings.Cut(env, "=")
	var session map[string]string
	if err := json.Unmarshal([]byte(value), &session); err != nil || name != ResponseEnv || session["tokenValue"] != "secret-token" || session["sessionId"] != "ecs-execute-command-0a1b2c" || !strings.HasPrefix(session["streamUrl"], "wss://") {
		t.Errorf("session env %s: %v", env, err)
	}
}

func TestNoCommandIsAShell(t *testing.T) {
	f := &fakeECS{service: service(true), tasks: []ecstypes.Task{task("aaaa", "RUNNING", true, "RUNNING")}}
	if _, err := (&Clients{CF: &fakeCF{deployed: true}, ECS: f}).Open(context.Background(), Options{Env: "dev", Service: "orders"}); err != nil || aws.ToString(f.asked.Command) != "/bin/sh" {
		t.Errorf("%v %+v", err, f.asked)
	}
	if got := CommandLine([]string{"ls", "-la", "/tmp dir", ""}); got != `ls -la '/tmp dir' ''` {
		t.Errorf("CommandLine %q", got)
	}
}

func hintOf(err error) string {
	var h interface{ Hint() string }
	if errors.As(err, &h) {
		return h.Hint()
	}
	return ""
}
