package stacks

import (
	"context"
	"time"
)

// pace is how often a wait asks CloudFormation for news. It starts at the session's
// poll interval (2 s on AWS, 100 ms against an emulator), grows by half while nothing
// happens, up to five times that (10 s on AWS), and goes back to the start as soon as
// new events come: a busy account is asked less often, and what happens is still seen
// soon after it does. DescribeStacks and DescribeStackEvents share the account's
// CloudFormation request quota with every other tool and console of the account.
type pace struct{ base, cur time.Duration }

func newPace(base time.Duration) *pace {
	if base <= 0 {
		base = time.Second
	}
	return &pace{base: base, cur: base}
}

// next is the pause before the next look; changed says the last look saw news.
func (p *pace) next(changed bool) time.Duration {
	if changed {
		p.cur = p.base
		return p.cur
	}
	d := p.cur
	p.cur = min(p.cur*3/2, 5*p.base)
	return d
}

// sleep pauses for d, or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Sleep pauses for d, or until ctx ends (then it returns the context's error).
func Sleep(ctx context.Context, d time.Duration) error { return sleep(ctx, d) }
