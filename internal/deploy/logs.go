package deploy

import (
	"context"
	"errors"
	"fmt"
	"io"
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

// LogOptions select what to print.
type LogOptions struct {
	Since  time.Duration
	Follow bool
	Poll   time.Duration
}

// PrintLogs prints the service's log events, every stream interleaved by time, each line
// prefixed with its task. With Follow it keeps printing until ctx ends.
func (c *Clients) PrintLogs(ctx context.Context, env, service string, o LogOptions, w io.Writer) error {
	name, st, err := c.serviceStack(ctx, env, service)
	if err != nil {
		return err
	}
	if st == nil {
		return hint.Wrap(errors.New("the service stack "+name+" is not deployed"), "run \"berth deploy\" first")
	}
	group := st.Outputs[synth.OutLogGroupName]
	start := time.Now().Add(-o.Since).UnixMilli()
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
				ts := time.UnixMilli(aws.ToInt64(e.Timestamp)).UTC().Format("15:04:05.000")
				fmt.Fprintf(w, "%s %-12s %s\n", ts, taskOf(aws.ToString(e.LogStreamName)), strings.TrimRight(aws.ToString(e.Message), "\n"))
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
