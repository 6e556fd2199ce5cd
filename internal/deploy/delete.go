package deploy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/berthdev/berth/internal/synth"
)

// Delete removes service, cluster and network, waiting for each, then berth's objects
// in the artifact bucket (and the bucket once empty) and the image repository if berth
// created it.
func (c *Clients) Delete(ctx context.Context, id Identity, env, service string, p Progress, poll time.Duration) error {
	stackErr := c.deleteStacks(ctx, env, service, p, poll)
	if st, err := describeStack(ctx, c.CF, StackName(env, service, synth.Service)); err != nil || st != nil {
		return errors.Join(stackErr, err) // the service may still run the image and templates: keep them
	}
	// Once the service is gone its image and templates serve nothing, even if a later
	// stack failed to delete: clean them up and report the failure after.
	n, gone, err := emptyPrefix(ctx, c.S3, BucketName(id.Account, id.Region), env+"/")
	if err != nil {
		return errors.Join(stackErr, err)
	}
	p.Message(fmt.Sprintf("removed %d artifact object(s) of %s", n, env))
	if gone {
		p.Message("removed the artifact bucket, which nothing else used")
	}
	if deleted, err := deleteRepository(ctx, c.ECR, RepositoryName(env, service)); err != nil {
		return errors.Join(stackErr, err)
	} else if deleted {
		p.Message("removed the image repository " + RepositoryName(env, service))
	}
	return stackErr
}

// deleteStacks deletes service, cluster and network, stopping at the first failure:
// each depends on the one after it.
func (c *Clients) deleteStacks(ctx context.Context, env, service string, p Progress, poll time.Duration) error {
	for i := len(synth.Stacks) - 1; i >= 0; i-- {
		s := synth.Stacks[i]
		name := StackName(env, service, s)
		st, err := describeStack(ctx, c.CF, name)
		if err != nil {
			return err
		}
		if st == nil {
			p.Message(name + ": not found")
			continue
		}
		if s == synth.Cluster {
			if err := c.releaseInstances(ctx, st.Outputs[synth.OutAutoScalingGroup], p); err != nil {
				return err
			}
		}
		if err := c.deleteStack(ctx, p, name, poll); err != nil {
			return err
		}
	}
	return nil
}

func (c *Clients) deleteStack(ctx context.Context, p Progress, name string, poll time.Duration) error {
	events := newEventStream(ctx, c.CF, name, p.Event)
	if _, err := c.CF.DeleteStack(ctx, &cloudformation.DeleteStackInput{StackName: aws.String(name)}); err != nil {
		return fmt.Errorf("delete stack %s: %w", name, err)
	}
	st, err := waitStable(ctx, c.CF, name, events, poll)
	p.Done()
	if err != nil {
		return interrupted(err, name)
	}
	if st != nil {
		if f := RootCause(events.all); f != nil {
			return f
		}
		return fmt.Errorf("stack %s ended %s: %s", name, st.Status, st.Reason)
	}
	p.Message(name + ": deleted")
	return nil
}
