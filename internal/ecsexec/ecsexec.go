// Package ecsexec is "berth exec" on AWS: a shell, or a command, in a running task of
// the service through ECS Exec. It finds the task, asks ECS for a session
// (ecs:ExecuteCommand) and hands the session to the Session Manager client, which
// runs as a child process of berth itself (plugin.go), so that nothing else needs to
// be installed.
//
// It must not import deploy, ops or anything above them.
package ecsexec

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/berthdev/berth/internal/environment"
	"github.com/berthdev/berth/internal/hint"
	"github.com/berthdev/berth/internal/names"
	"github.com/berthdev/berth/internal/stacks"
	"github.com/berthdev/berth/internal/synth"
)

// ECS is the part of the ECS API berth exec calls.
type ECS interface {
	DescribeServices(context.Context, *ecs.DescribeServicesInput, ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
	ListTasks(context.Context, *ecs.ListTasksInput, ...func(*ecs.Options)) (*ecs.ListTasksOutput, error)
	DescribeTasks(context.Context, *ecs.DescribeTasksInput, ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error)
	ExecuteCommand(context.Context, *ecs.ExecuteCommandInput, ...func(*ecs.Options)) (*ecs.ExecuteCommandOutput, error)
}

// Clients are the AWS APIs berth exec reads and calls.
type Clients struct {
	CF  stacks.CloudFormation
	ECS ECS
}

// Options say where to run what.
type Options struct {
	Env, Service string
	// Task is the task to run in, by id or ARN; empty: the first running task.
	Task string
	// Command is what to run; empty: a shell.
	Command []string
	// ManifestExec is the manifest's exec, to tell "turn it on" from "deploy it".
	ManifestExec bool
}

// Shell is what berth exec runs when no command is given.
const Shell = "/bin/sh"

// Target is a session ECS opened in one container of a task, with what the Session
// Manager client needs to join it.
type Target struct {
	Cluster, Task, Container string
	Session                  *ecstypes.Session
	// RuntimeID is the container's id on its host: with the cluster and the task it
	// makes the Session Manager target, ecs:CLUSTER_TASK_RUNTIMEID.
	RuntimeID string
}

// Open finds a running task of the service and asks ECS for a session in its
// container: each reason it cannot (not deployed, exec off, no running task, no such
// task, the task's agent not running) is an error that says what to do.
func (c *Clients) Open(ctx context.Context, o Options) (*Target, error) {
	cluster, service, err := c.service(ctx, o.Env, o.Service)
	if err != nil {
		return nil, err
	}
	out, err := c.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{service}})
	if err != nil {
		return nil, fmt.Errorf("describe service %s: %w", service, err)
	}
	if len(out.Services) == 0 || aws.ToString(out.Services[0].Status) != "ACTIVE" {
		return nil, notDeployed(o)
	}
	svc := out.Services[0]
	if !svc.EnableExecuteCommand {
		fix := "set exec: true in berth.yml, then run \"berth deploy\" (the plan says what it opens)"
		if o.ManifestExec {
			fix = "berth.yml has exec: true, which is not deployed yet: run \"berth deploy\""
		}
		return nil, hint.Wrap(fmt.Errorf("ECS Exec is off for %s in environment %s: berth exec needs exec: true", o.Service, o.Env), fix)
	}
	task, err := c.pick(ctx, cluster, service, o, svc)
	if err != nil {
		return nil, err
	}
	container := containerOf(task, o.Service)
	if container == nil {
		return nil, fmt.Errorf("task %s has no container %s", taskID(task), o.Service)
	}
	if err := agentReady(task, container); err != nil {
		return nil, err
	}
	command := Shell
	if len(o.Command) > 0 {
		command = CommandLine(o.Command)
	}
	// interactive is the only mode ECS Exec has (API reference, ExecuteCommand)
	res, err := c.ECS.ExecuteCommand(ctx, &ecs.ExecuteCommandInput{Cluster: aws.String(cluster), Task: task.TaskArn,
		Container: container.Name, Command: aws.String(command), Interactive: true})
	if err != nil {
		return nil, hint.Wrap(fmt.Errorf("ECS Exec into task %s: %w", taskID(task), err),
			"the caller needs ecs:ExecuteCommand (berth iam-policy has it); a task started before exec was turned on has no agent: \"berth deploy\" replaces the tasks")
	}
	if res.Session == nil || res.Session.StreamUrl == nil || res.Session.TokenValue == nil {
		return nil, fmt.Errorf("ECS Exec into task %s: ECS answered no session", taskID(task))
	}
	return &Target{Cluster: cluster, Task: taskID(task), Container: aws.ToString(container.Name), Session: res.Session, RuntimeID: aws.ToString(container.RuntimeId)}, nil
}

// service reads the cluster and the service's ECS name from the stacks.
func (c *Clients) service(ctx context.Context, env, name string) (cluster, service string, err error) {
	_, svc, err := (&environment.Clients{CF: c.CF}).ServiceStack(ctx, env, name)
	if err != nil {
		return "", "", err
	}
	cl, err := stacks.Describe(ctx, c.CF, names.Stack(env, "", synth.Cluster))
	if err != nil {
		return "", "", err
	}
	if stacks.Usable(svc) == nil || cl == nil {
		return "", "", notDeployed(Options{Env: env, Service: name})
	}
	cluster, service = cl.Outputs[synth.OutClusterName], svc.Outputs[synth.OutServiceName]
	if service == "" {
		service = name
	}
	return cluster, service, nil
}

func notDeployed(o Options) error {
	return hint.Wrap(fmt.Errorf("%s is not deployed to environment %s", o.Service, o.Env), "deploy it with \"berth deploy --env "+o.Env+"\" (or pass the --env it runs in)")
}

// pick is the task to run in: the one --task names, else the first running one.
func (c *Clients) pick(ctx context.Context, cluster, service string, o Options, svc ecstypes.Service) (*ecstypes.Task, error) {
	list, err := c.ECS.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(cluster), ServiceName: aws.String(service), DesiredStatus: ecstypes.DesiredStatusRunning})
	if err != nil {
		return nil, fmt.Errorf("list the tasks of %s: %w", service, err)
	}
	if len(list.TaskArns) == 0 {
		return nil, hint.Wrap(fmt.Errorf("no task of %s runs in environment %s (desired %d, running %d, pending %d)", o.Service, o.Env, svc.DesiredCount, svc.RunningCount, svc.PendingCount),
			"\"berth status --env "+o.Env+"\" shows why tasks do not run; berth exec needs a running one")
	}
	out, err := c.ECS.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: list.TaskArns})
	if err != nil {
		return nil, fmt.Errorf("describe the tasks of %s: %w", service, err)
	}
	var running []string
	for i, t := range out.Tasks {
		if aws.ToString(t.LastStatus) != "RUNNING" {
			continue
		}
		running = append(running, taskID(&out.Tasks[i]))
		if o.Task == "" || o.Task == taskID(&t) || o.Task == aws.ToString(t.TaskArn) {
			return &out.Tasks[i], nil
		}
	}
	if o.Task == "" || len(running) == 0 {
		return nil, hint.Wrap(fmt.Errorf("no task of %s is RUNNING in environment %s yet (%d starting)", o.Service, o.Env, len(out.Tasks)),
			"wait for one (\"berth status\" shows them), then try again")
	}
	return nil, hint.Wrap(fmt.Errorf("task %s is not a running task of %s in environment %s", o.Task, o.Service, o.Env),
		"running: "+strings.Join(running, ", ")+" (--task takes one of these, or leave it out for the first)")
}

func taskID(t *ecstypes.Task) string {
	arn := aws.ToString(t.TaskArn)
	return arn[strings.LastIndex(arn, "/")+1:]
}

func containerOf(t *ecstypes.Task, name string) *ecstypes.Container {
	for i := range t.Containers {
		if aws.ToString(t.Containers[i].Name) == name {
			return &t.Containers[i]
		}
	}
	return nil
}

// agentReady checks the ExecuteCommandAgent ECS runs beside a container when the task
// started with exec on: a task started before has none ("Using Amazon ECS Exec for
// debugging": ECS Exec applies to tasks started after it was turned on).
func agentReady(t *ecstypes.Task, c *ecstypes.Container) error {
	if !t.EnableExecuteCommand {
		return hint.Wrap(fmt.Errorf("task %s started before ECS Exec was turned on: it has no exec agent", taskID(t)),
			"\"berth deploy\" after turning exec on replaces the tasks; pick a newer task with --task")
	}
	for _, a := range c.ManagedAgents {
		if a.Name == ecstypes.ManagedAgentNameExecuteCommandAgent {
			if s := aws.ToString(a.LastStatus); s != "RUNNING" {
				return hint.Wrap(fmt.Errorf("the ECS Exec agent of task %s is %s, not RUNNING: %s", taskID(t), strings.ToLower(s), aws.ToString(a.Reason)),
					"a new task starts its agent within a minute; if it stays down, the task may not reach the Session Manager endpoints (ssmmessages) through NAT")
			}
			return nil
		}
	}
	return nil
}

// CommandLine makes the command line ECS Exec runs from berth exec's arguments: an argument
// with a space or a quote is put in single quotes (a single quote inside as '\”), as
// a shell would read it back.
func CommandLine(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a != "" && !strings.ContainsAny(a, " \t\n'\"\\$`") {
			out[i] = a
			continue
		}
		out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(out, " ")
}

// PluginArgs are the arguments and the environment the Session Manager client takes,
// as the AWS CLI's "aws ecs execute-command" passes them (awscli/customizations/ecs/
// executecommand.py): the session (in an environment variable, so that its token is
// not in the process list: the client reads it from there when the first argument
// names AWS_SSM_START_SESSION_RESPONSE), the region, the operation, the profile, the
// target and the ECS endpoint.
func (t *Target) PluginArgs(region, profile, endpoint string) (args []string, env string, err error) {
	session, err := json.Marshal(map[string]string{
		"sessionId": aws.ToString(t.Session.SessionId), "streamUrl": aws.ToString(t.Session.StreamUrl), "tokenValue": aws.ToString(t.Session.TokenValue),
	})
	if err != nil {
		return nil, "", err
	}
	target, err := json.Marshal(map[string]string{"Target": fmt.Sprintf("ecs:%s_%s_%s", t.Cluster, t.Task, t.RuntimeID)})
	if err != nil {
		return nil, "", err
	}
	return []string{ResponseEnv, region, "StartSession", profile, string(target), endpoint}, ResponseEnv + "=" + string(session), nil
}

// ResponseEnv carries the session to the client.
const ResponseEnv = "AWS_SSM_START_SESSION_RESPONSE"
