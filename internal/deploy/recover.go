package deploy

import (
	"context"
	"fmt"
	"strings"

	"github.com/berthdev/berth/internal/stacks"
	"github.com/berthdev/berth/internal/synth"
)

// What berth does about a stack a failed operation left in a state CloudFormation
// starts no update from (stacks.NeedsRecovery): deploy and diff show it in the plan as
// the stack's action, "recover", which the plan's one question (or --yes) covers;
// delete lists it with what it removes. The mechanics are CloudFormation's
// (stacks.Recovery); which resources a delete may leave behind, teardown's (RecoveryOf).

// planRecoveries gives each stack of the plan in a failed state its recovery, as the
// stack's action: before anything changes, the plan says what state, why, and what the
// deploy does about it.
func (c *Clients) planRecoveries(ctx context.Context, pl *Plan) error {
	for i := range pl.Stacks {
		sp := &pl.Stacks[i]
		live := sp.target.live
		if live == nil || !stacks.NeedsRecovery(live.Status) || sp.Action == "delete" || sp.target.final {
			continue // a stack that goes is deleted as delete does; a move's second step follows its first
		}
		r, err := c.at(sp.target).teardown().RecoveryOf(ctx, live)
		if err != nil {
			return err
		}
		sp.Action, sp.Recovery = "recover", r
		sp.Note = r.Summary() + ". " + r.Remedy("the deploy")
		if r.Action == "continue-rollback" {
			sp.Note += "; its changes are known once the rollback has ended"
		} else {
			sp.Note += "; the changes are those of its create"
		}
	}
	return nil
}

// recover brings a stack out of a failed state before the deploy changes it: the stack
// as it is then (nil once deleted). The empty stacks a failed or unexecuted first
// create leaves hold nothing and are always removed; any other recovery is done only
// as the plan showed it, for the state it showed.
func (c *Clients) recover(ctx context.Context, o Options, sp *StackPlan, st *stacks.Stack) (*stacks.Stack, error) {
	if st == nil {
		return nil, nil
	}
	name := st.Name
	switch {
	case st.Status == stacks.RollbackComplete:
		o.Progress.Message(fmt.Sprintf("%s: deleting it first: a failed first create left it in ROLLBACK_COMPLETE, which CloudFormation cannot update", name))
		return nil, stacks.Delete(ctx, c.CF, o.Progress, name, o.Poll)
	case st.Status == stacks.ReviewInProgress:
		o.Progress.Message(fmt.Sprintf("%s: removing the empty stack an unexecuted first change set left (REVIEW_IN_PROGRESS)", name))
		return nil, stacks.Delete(ctx, c.CF, o.Progress, name, o.Poll)
	case !stacks.NeedsRecovery(st.Status):
		return st, nil
	}
	r := sp.Recovery
	if r == nil || r.Status != st.Status {
		// the stack got there after the plan was made: say so, do nothing unasked
		now, err := c.teardown().RecoveryOf(ctx, st)
		if err != nil {
			return nil, err
		}
		return nil, stacks.RecoveryError(now, "berth deploy (its plan shows it)", c.Region)
	}
	if r.Action == "continue-rollback" {
		o.Progress.Message(fmt.Sprintf("%s: continuing the rollback CloudFormation could not finish (%s), skipping %s", name, st.Status, orNone(r.Skip)))
		return stacks.ContinueRollback(ctx, c.CF, o.Progress, name, r.Skip, o.Poll)
	}
	o.Progress.Message(fmt.Sprintf("%s: deleting it first: %s, which CloudFormation cannot update", name, st.Status))
	if sp.target != nil && sp.target.kind == synth.Cluster {
		// instances kept from scale-in keep the group, and so the stack, from going
		if err := c.environment().ReleaseInstances(ctx, st.Outputs[synth.OutAutoScalingGroup], o.Progress.Message); err != nil {
			return nil, err
		}
	}
	for _, k := range r.Retain {
		o.Progress.Message(fmt.Sprintf("%s: leaving %s (%s) in the account: %s", name, k.Resource, k.ID, k.Why))
	}
	return nil, stacks.DeleteRetaining(ctx, c.CF, o.Progress, name, r.RetainIDs(), o.Poll)
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "nothing"
	}
	return strings.Join(names, ", ")
}
