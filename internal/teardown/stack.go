package teardown

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/berthdev/berth/internal/buckets"
	"github.com/berthdev/berth/internal/hint"
	"github.com/berthdev/berth/internal/stacks"
	"github.com/berthdev/berth/internal/synth"
)

// What a delete does about a stack a failed operation left behind, and about a delete
// that fails on something that passes by itself: the mechanics are CloudFormation's
// (stacks.Recovery); what berth adds is which resources a delete may leave behind, and
// which failures it may retry.

// RecoveryOf diagnoses st, and for a failed delete decides what the next delete may
// leave in the account (keepable): nil for a stack that needs nothing.
func (c *Clients) RecoveryOf(ctx context.Context, st *stacks.Stack) (*stacks.Recovery, error) {
	r, err := stacks.Diagnose(ctx, c.CF, st)
	if err != nil || r == nil {
		return r, err
	}
	if r.Status == stacks.DeleteFailed {
		if r.Retain, err = c.keepable(ctx, st, r.Failed); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// keepable are the resources a delete failed on that berth knows it may leave in the
// account (DeleteStack RetainResources), each with why that is safe; any other stays
// to be deleted, and the delete retried.
//   - a certificate another load balancer or distribution serves: it cannot be deleted
//     while they do (ACM ResourceInUseException), and leaving it keeps them working;
//     one that nothing but this stack's own (gone) load balancer used is not kept: that
//     "in use" passes (see passing);
//   - the service's log group: it only holds the service's logs; leaving it loses
//     nothing and costs its storage.
//
// The network's resources are never kept: a VPC or subnet that cannot go has something
// in it (DependencyViolation), which a retry after it left deletes.
func (c *Clients) keepable(ctx context.Context, st *stacks.Stack, failed []stacks.Failure) ([]stacks.Kept, error) {
	var kept []stacks.Kept
	for _, f := range failed {
		switch f.Type {
		case "AWS::CertificateManager::Certificate":
			others, err := c.otherUsers(ctx, st, f.PhysicalID)
			if err != nil {
				return nil, err
			}
			if len(others) > 0 {
				kept = append(kept, stacks.Kept{Resource: f.Resource, Type: f.Type, ID: f.PhysicalID, Why: fmt.Sprintf(
					"%s, not this stack's, serve%s it: it cannot be deleted while they use it, and leaving it keeps them working; delete it once they no longer do: aws acm delete-certificate --certificate-arn %s",
					strings.Join(others, ", "), map[bool]string{true: "s", false: ""}[len(others) == 1], f.PhysicalID)})
			}
		case "AWS::Logs::LogGroup":
			kept = append(kept, stacks.Kept{Resource: f.Resource, Type: f.Type, ID: f.PhysicalID, Why: fmt.Sprintf(
				"it only holds the service's logs: leaving it loses nothing; remove it with: aws logs delete-log-group --log-group-name %s", f.PhysicalID)})
		}
	}
	return kept, nil
}

// otherUsers are the resources that use a certificate now, but the stack's own load
// balancer (which ACM may count for a moment after its listener went).
func (c *Clients) otherUsers(ctx context.Context, st *stacks.Stack, certARN string) ([]string, error) {
	if certARN == "" {
		return nil, nil
	}
	users, err := c.edge().CertificateUsers(ctx, certARN)
	if err != nil || len(users) == 0 {
		return nil, err
	}
	own, err := stacks.PhysicalID(ctx, c.CF, st.Name, "LoadBalancer")
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(users, func(u string) bool { return own != "" && u == own }), nil
}

// maxDeleteRetries bounds how often a delete that failed on something passing is tried
// again; the pauses double from ten poll intervals (20 s on AWS): 20, 40, 80, 160 s.
const maxDeleteRetries = 4

// deleteStack deletes a stack, and again, a bounded number of times, when what stopped
// it passes by itself (see passing), saying so. A stack in DELETE_FAILED is deleted
// leaving what berth knows it may (keepable), as the listing before the question said.
// It returns what it left in the account; a delete that still fails is a
// *stacks.DeleteFailure that says which resource, why, and what to do.
func (c *Clients) deleteStack(ctx context.Context, st *stacks.Stack, owner string, o DeleteOptions) ([]stacks.Kept, error) {
	var retain []stacks.Kept
	if st.Status == stacks.DeleteFailed {
		r, err := c.RecoveryOf(ctx, st)
		if err != nil {
			return nil, err
		}
		if r != nil {
			retain = r.Retain
		}
		for _, k := range retain {
			o.Progress.Message(fmt.Sprintf("%s: leaving %s (%s) in the account: %s", st.Name, k.Resource, k.ID, k.Why))
		}
	}
	wait := 10 * o.Poll
	for retry := 0; ; retry++ {
		err := stacks.DeleteRetaining(ctx, c.CF, o.Progress, st.Name, keptIDs(retain), o.Poll)
		var failed *stacks.DeleteFailure
		if !errors.As(err, &failed) {
			if err != nil {
				return nil, err
			}
			return retain, nil
		}
		why, err := c.passing(ctx, st, failed.Failed, owner)
		if err != nil {
			return nil, errors.Join(failed, err)
		}
		if why == "" || retry == maxDeleteRetries {
			return nil, c.deleteFailure(ctx, st, failed)
		}
		o.Progress.Message(fmt.Sprintf("%s: %s; deleting it again in %s (retry %d of %d)", st.Name, why, wait, retry+1, maxDeleteRetries))
		if err := stacks.Sleep(ctx, wait); err != nil {
			return nil, err
		}
		wait *= 2
	}
}

func keptIDs(kept []stacks.Kept) []string {
	var ids []string
	for _, k := range kept {
		ids = append(ids, k.Resource)
	}
	return ids
}

// passing says why a delete failed on something that passes by itself, having done
// what makes it pass; "" when one of the failures does not pass (the delete then stops).
//   - a certificate "in use" that nothing but the stack's own deleted load balancer uses:
//     ACM takes seconds to see that a listener went (aws/aws-cdk#4179: "around 10s";
//     hashicorp/terraform-provider-aws#3866: ResourceInUseException after the load
//     balancer's deletion);
//   - the access log bucket, refilled by a late delivery after berth emptied it: the
//     load balancer delivers its logs at intervals (5 or 60 minutes: the Elastic Load
//     Balancing API reference, AccessLog EmitInterval), so one may land after berth
//     stopped them. It is emptied again; no other bucket is ever emptied.
func (c *Clients) passing(ctx context.Context, st *stacks.Stack, failed []stacks.Failure, owner string) (string, error) {
	if len(failed) == 0 {
		return "", nil
	}
	var whys []string
	for _, f := range failed {
		reason := strings.ToLower(f.Reason)
		switch {
		case f.Type == "AWS::CertificateManager::Certificate" && strings.Contains(reason, "in use"):
			others, err := c.otherUsers(ctx, st, f.PhysicalID)
			if err != nil || len(others) > 0 {
				return "", err
			}
			whys = append(whys, "ACM still counts the certificate in use for a moment after its listener is deleted")
		case f.Type == "AWS::S3::Bucket" && (strings.Contains(reason, "bucketnotempty") || strings.Contains(reason, "not empty")) &&
			f.PhysicalID != "" && f.PhysicalID == st.Outputs[synth.OutAccessLogBucket]:
			n, err := buckets.EmptyBucket(ctx, c.S3, f.PhysicalID, owner)
			if err != nil {
				return "", fmt.Errorf("empty the access log bucket %s again: %w", f.PhysicalID, err)
			}
			whys = append(whys, fmt.Sprintf("the load balancer delivered %d access log object(s) late, into the emptied bucket %s: emptied it again", n, f.PhysicalID))
		default:
			return "", nil
		}
	}
	return strings.Join(whys, "; "), nil
}

// deleteFailure is the end of a delete that cannot go on by itself: which resource, why,
// and what the next delete does about it (what it may leave, if anything).
func (c *Clients) deleteFailure(ctx context.Context, st *stacks.Stack, failed *stacks.DeleteFailure) error {
	kept, err := c.keepable(ctx, st, failed.Failed)
	if err != nil {
		return errors.Join(failed, err)
	}
	if len(kept) == 0 {
		return failed
	}
	r := failed.Recovery
	r.Retain = kept
	return hint.Wrap(failed, r.Remedy("\"berth delete\" again")+"; or: "+r.Command(c.Region))
}
