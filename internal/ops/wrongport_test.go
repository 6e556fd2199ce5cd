package ops

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwlTypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecsTypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// stoppedECS answers as ECS does for a service whose tasks the load balancer's health
// checks stopped (the emulator runs no task, so none ever stops there): ListTasks with
// desiredStatus STOPPED, and DescribeTasks with each task's stoppedReason.
type stoppedECS struct {
	ECS
	reasons map[string]string // task id → stoppedReason
	asked   ecsTypes.DesiredStatus
}

func (f *stoppedECS) ListTasks(_ context.Context, in *ecs.ListTasksInput, _ ...func(*ecs.Options)) (*ecs.ListTasksOutput, error) {
	f.asked = in.DesiredStatus
	out := &ecs.ListTasksOutput{}
	for id := range f.reasons {
		out.TaskArns = append(out.TaskArns, "arn:aws:ecs:us-east-1:123456789012:task/berth-dev/"+id)
	}
	return out, nil
}

func (f *stoppedECS) DescribeTasks(_ context.Context, in *ecs.DescribeTasksInput, _ ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error) {
	out := &ecs.DescribeTasksOutput{}
	for i, arn := range in.Tasks {
		id := lastSegment(arn)
		out.Tasks = append(out.Tasks, ecsTypes.Task{TaskArn: aws.String(arn), LastStatus: aws.String("STOPPED"),
			StoppedReason: aws.String(f.reasons[id]), StoppedAt: aws.Time(time.Unix(int64(1000+i), 0))})
	}
	return out, nil
}

// streamLogs holds each stream's lines; it answers FilterLogEvents for the streams named.
type streamLogs struct {
	streams map[string][]string
	asked   []string
}

func (f *streamLogs) FilterLogEvents(_ context.Context, in *cloudwatchlogs.FilterLogEventsInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error) {
	f.asked = in.LogStreamNames
	out := &cloudwatchlogs.FilterLogEventsOutput{}
	for _, s := range in.LogStreamNames {
		for _, l := range f.streams[s] {
			out.Events = append(out.Events, cwlTypes.FilteredLogEvent{LogStreamName: aws.String(s), Message: aws.String(l)})
		}
	}
	return out, nil
}

func TestVerifyNamesThePortTheAppListensOn(t *testing.T) {
	const reason = "Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/berth-dev-api/0123456789abcdef)"
	for _, tc := range []struct {
		name    string
		reasons map[string]string
		logs    []string
		result  string // "" for no check at all
		want    string
	}{
		{"the app listens on another port", map[string]string{"a1b2": reason},
			[]string{"2026/12/03 10:49:20 starting", "2026/12/03 10:49:20 listening on :3000"}, "fail",
			"1 task(s) stopped after failing the load balancer's health checks; their logs say the app listens on port 3000, but berth.yml says port: 8080. Set port: 3000 in berth.yml"},
		{"the logs say nothing of a port", map[string]string{"a1b2": reason}, []string{"ready"}, "fail",
			"their logs do not say which port the app listens on: it must listen on port 8080 on every address"},
		{"the port is right: the health path is not", map[string]string{"a1b2": reason, "c3d4": reason},
			[]string{"Uvicorn running on http://0.0.0.0:8080 (Press CTRL+C to quit)"}, "pass", "2 task(s) stopped"},
		{"tasks stopped for another reason", map[string]string{"a1b2": "Scaling activity initiated by (deployment ecs-svc/123)"},
			[]string{"listening on :3000"}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			streams := map[string][]string{}
			for id := range tc.reasons {
				streams["api/api/"+id] = tc.logs
			}
			f := &stoppedECS{reasons: tc.reasons}
			logs := &streamLogs{streams: streams}
			c := &Clients{ECS: f, Logs: logs}
			st := &Status{Env: "dev", Service: "api", cluster: "berth-dev", serviceName: "api", logGroup: "/berth/dev/api"}
			got := c.portCheck(context.Background(), st, 8080)
			if f.asked != ecsTypes.DesiredStatusStopped {
				t.Errorf("listed tasks of status %q, want STOPPED", f.asked)
			}
			switch {
			case tc.result == "" && got != nil:
				t.Errorf("a check where none was due: %+v", *got)
			case tc.result != "" && (got == nil || got.Result != tc.result || !strings.Contains(got.Detail, tc.want)):
				t.Errorf("check %+v, want %s with %q", got, tc.result, tc.want)
			}
			if tc.result != "" && (len(logs.asked) == 0 || !strings.HasPrefix(logs.asked[0], "api/api/")) {
				t.Errorf("read the streams %v, want api/api/<task id>", logs.asked)
			}
		})
	}
}
