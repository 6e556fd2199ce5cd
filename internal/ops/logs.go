package ops

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/berthdev/berth/internal/hint"
	"github.com/berthdev/berth/internal/synth"
)

// Logs is the part of the CloudWatch Logs API berth reads.
type Logs interface {
	FilterLogEvents(context.Context, *cloudwatchlogs.FilterLogEventsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error)
}

// LogOptions select what to read.
type LogOptions struct {
	Since  time.Time
	Follow bool
	Poll   time.Duration
}

// LogEvent is one line a task wrote.
type LogEvent struct {
	Time    time.Time `json:"time"`
	Task    string    `json:"task"` // the task id's first characters
	Stream  string    `json:"stream"`
	Message string    `json:"message"`
}

// LogGroup is the service's log group, for messages about where berth looked. A
// service stack in a failed state is said on warn: its logs may tell why.
func (c *Clients) LogGroup(ctx context.Context, env, service string, warn io.Writer) (string, error) {
	name, st, err := c.environment().ServiceStack(ctx, env, service)
	if err != nil {
		return "", err
	}
	if st == nil {
		return "", hint.Wrap(errors.New("the service stack "+name+" is not deployed"), "run \"berth deploy\" first")
	}
	ss, err := c.stackStatus(ctx, name, st)
	if err != nil {
		return "", err
	}
	group := st.Outputs[synth.OutLogGroupName]
	switch {
	case ss.Recovery != nil && group == "":
		return "", hint.Wrap(errors.New(ss.Recovery.Summary()+": it has no log group"), ss.Hint)
	case ss.Recovery != nil:
		fmt.Fprintf(warn, "note: %s\nhint: %s\n", ss.Recovery.Summary(), ss.Hint)
	}
	return group, nil
}

// ReadLogs hands emit the log events of group since o.Since, every stream interleaved by
// time. With Follow it keeps polling for new ones until ctx ends.
func (c *Clients) ReadLogs(ctx context.Context, group string, o LogOptions, emit func(LogEvent)) error {
	start := o.Since.UnixMilli()
	seen := map[string]bool{}
	for {
		in := &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(group), StartTime: aws.Int64(start), Interleaved: aws.Bool(true)}
		p := cloudwatchlogs.NewFilterLogEventsPaginator(c.Logs, in)
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return fmt.Errorf("read logs of %s: %w", group, err)
			}
			for _, e := range page.Events {
				id := aws.ToString(e.EventId)
				if seen[id] {
					continue
				}
				seen[id] = true
				stream := aws.ToString(e.LogStreamName)
				emit(LogEvent{Time: time.UnixMilli(aws.ToInt64(e.Timestamp)).UTC(), Task: taskOf(stream), Stream: stream,
					Message: strings.TrimRight(aws.ToString(e.Message), "\n")})
				if t := aws.ToInt64(e.Timestamp); t > start {
					start = t // the next poll asks from here; seen drops repeats of the same millisecond
				}
			}
		}
		if !o.Follow {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(o.Poll):
		}
	}
}

// taskOf shortens an awslogs stream name, prefix/container/task-id, to the task id's
// first characters, as a line prefix.
func taskOf(stream string) string {
	id := lastSegment(stream)
	if len(id) > 12 {
		id = id[:12]
	}
	return id
}

// ParseSince reads --since: a duration back from now (Go's units, and d for days), an
// RFC 3339 time, or a date.
func ParseSince(v string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", v); err == nil {
		return t, nil
	}
	rest, back := v, time.Duration(0)
	if days, after, ok := strings.Cut(v, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return time.Time{}, fmt.Errorf("%q is neither a duration (10m, 2h, 3d) nor a time (2026-11-25T08:00:00Z)", v)
		}
		rest, back = after, time.Duration(n)*24*time.Hour
	}
	if rest != "" {
		d, err := time.ParseDuration(rest)
		if err != nil || d < 0 {
			return time.Time{}, fmt.Errorf("%q is neither a duration (10m, 2h, 3d) nor a time (2026-11-25T08:00:00Z)", v)
		}
		back += d
	}
	return now.Add(-back), nil
}
