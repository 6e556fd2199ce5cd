package ops

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecsTypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/berthdev/berth/internal/listening"
)

// failedHealthChecks is in the stoppedReason ECS gives a task that the load balancer's
// health checks stopped: "Task failed ELB health checks in (target-group arn:...)", as
// AWS Copilot's progress shows it from DescribeTasks and the Knowledge Center's "How do
// I troubleshoot health check failures for Amazon ECS tasks" quotes it.
const failedHealthChecks = "failed ELB health checks"

// stoppedToRead bounds how many stopped tasks' logs verify reads: their reasons agree,
// and the last few are what the user changed last.
const stoppedToRead = 3

// portCheck explains targets that never turn healthy when the app listens elsewhere
// than berth.yml's port: it finds the tasks ECS stopped for failing the load balancer's
// health checks (stopped tasks stay listed for at least an hour, "Amazon ECS stopped
// tasks" in the ECS guide) and reads what they logged about where they listen (their
// streams are prefix/container/task-id, "Using the awslogs log driver"; berth names
// both prefix and container after the service). Nil when no task stopped so.
func (c *Clients) portCheck(ctx context.Context, st *Status, port int) *Check {
	if port == 0 || st.cluster == "" || c.ECS == nil || c.Logs == nil {
		return nil
	}
	list, err := c.ECS.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(st.cluster), ServiceName: aws.String(st.serviceName),
		DesiredStatus: ecsTypes.DesiredStatusStopped})
	if err != nil || len(list.TaskArns) == 0 {
		return nil // verify's other checks stand without this one
	}
	out, err := c.ECS.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(st.cluster), Tasks: list.TaskArns})
	if err != nil {
		return nil
	}
	var stopped []ecsTypes.Task
	for _, t := range out.Tasks {
		if strings.Contains(aws.ToString(t.StoppedReason), failedHealthChecks) {
			stopped = append(stopped, t)
		}
	}
	if len(stopped) == 0 {
		return nil
	}
	slices.SortFunc(stopped, func(a, b ecsTypes.Task) int { return aws.ToTime(b.StoppedAt).Compare(aws.ToTime(a.StoppedAt)) })
	streams := []string{}
	for _, t := range stopped[:min(len(stopped), stoppedToRead)] {
		streams = append(streams, st.Service+"/"+st.Service+"/"+lastSegment(aws.ToString(t.TaskArn)))
	}
	name := "app listens on port " + fmt.Sprint(port)
	said := fmt.Sprintf("%d task(s) stopped after failing the load balancer's health checks", len(stopped))
	lines := c.stoppedLogs(ctx, st, streams)
	ports := listening.InLog(lines)
	switch {
	case len(ports) == 0:
		return &Check{name, "fail", fmt.Sprintf("%s, and their logs do not say which port the app listens on: it must listen on port %d on every address (0.0.0.0, not 127.0.0.1) and answer the health path with 200; \"berth logs --since 1h\" shows what they wrote", said, port)}
	case slices.Contains(ports, port):
		return &Check{name, "pass", fmt.Sprintf("%s, though their logs say the app listens on port %d: look at the health path, and at what the app logs when it is called", said, port)}
	}
	return &Check{name, "fail", fmt.Sprintf("%s; their logs say the app listens on port %s, but berth.yml says port: %d. Set port: %d in berth.yml, or make the app listen on %d, and deploy again",
		said, joinInts(ports), port, ports[len(ports)-1], port)}
}

// stoppedLogs is what the streams hold, oldest first, as far back as the logs are kept.
func (c *Clients) stoppedLogs(ctx context.Context, st *Status, streams []string) []string {
	if st.logGroup == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	out, err := c.Logs.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(st.logGroup), LogStreamNames: streams, Limit: aws.Int32(500)})
	if err != nil {
		return nil
	}
	lines := make([]string, 0, len(out.Events))
	for _, e := range out.Events {
		lines = append(lines, aws.ToString(e.Message))
	}
	return lines
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, " and ")
}
