package stacks

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/berthdev/berth/internal/hint"
)

// Ongoing follows, through one command, the stack berth works on and whether an
// operation of it is under way in CloudFormation. A command stopped anywhere (Ctrl-C
// during a wait, or during any AWS call of a deploy or a delete) then says which
// stack, whether its operation goes on without berth, and how to watch it: the same
// advice wherever the interruption came.
type Ongoing struct {
	mu      sync.Mutex
	stack   string
	asking  bool // the call that starts an operation of stack was under way
	running bool // an operation of stack is under way in CloudFormation
}

type ongoingKey struct{}

// Track returns a context in which the stack operations of the stacks functions are
// followed, and what follows them.
func Track(ctx context.Context) (context.Context, *Ongoing) {
	o := &Ongoing{}
	return context.WithValue(ctx, ongoingKey{}, o), o
}

func ongoing(ctx context.Context) *Ongoing {
	o, _ := ctx.Value(ongoingKey{}).(*Ongoing)
	return o
}

func (o *Ongoing) set(stack string, asking, running bool) {
	if o == nil {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.stack, o.asking, o.running = stack, asking, running
}

// WorkOn records that berth works on stack and has not asked for an operation of it.
func WorkOn(ctx context.Context, stack string) { ongoing(ctx).set(stack, false, false) }

func asking(ctx context.Context, stack string)  { ongoing(ctx).set(stack, true, false) }
func running(ctx context.Context, stack string) { ongoing(ctx).set(stack, false, true) }

// Explain turns a command stopped by its context (Ctrl-C) into advice: which stack
// berth was at, whether an operation of it goes on in CloudFormation, how to watch it,
// and that again (the command, e.g. "berth deploy") carries on. Other errors, and
// interruptions already explained, are returned as they are.
func (o *Ongoing) Explain(err error, again string) error {
	if o == nil || err == nil || !errors.Is(err, context.Canceled) {
		return err
	}
	o.mu.Lock()
	stack, asked, runs := o.stack, o.asking, o.running
	o.mu.Unlock()
	switch {
	case runs:
		return Interrupted(err, stack)
	case asked:
		return hint.Wrap(fmt.Errorf("stopped while asking CloudFormation to change %s; if the request arrived, the stack operation goes on in CloudFormation", stack),
			watch(stack))
	case stack != "":
		return hint.Wrap(fmt.Errorf("stopped at %s: no stack operation of it goes on in CloudFormation", stack),
			fmt.Sprintf("run %q again to carry on from there", again))
	}
	return hint.Wrap(errors.New("stopped before any stack changed: no stack operation goes on in CloudFormation"),
		fmt.Sprintf("run %q again to carry on", again))
}

// watch says how to follow a stack operation berth no longer waits for.
func watch(stack string) string {
	return fmt.Sprintf("watch it with \"berth status\" or \"aws cloudformation describe-stack-events --stack-name %s\"; "+
		"to roll an update back: \"aws cloudformation cancel-update-stack --stack-name %s\"", stack, stack)
}
