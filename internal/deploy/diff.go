package deploy

import (
	"context"
	"time"

	"github.com/berthdev/berth/internal/session"
)

// Diff is the plan of a deploy, without doing any of it: the change sets it asks
// CloudFormation for are deleted once read, and the image is built but not pushed.
func (c *Clients) Diff(ctx context.Context, id session.Identity, o Options) (*Plan, error) {
	o.diff = true
	pl, err := c.plan(ctx, id, o)
	if err != nil {
		return nil, err
	}
	cleanup, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	pl.discard(cleanup, c)
	return pl, nil
}
