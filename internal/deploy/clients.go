// Package deploy is the AWS path's orchestration: the plan of a deploy (every stack,
// every change, the image, the cost), the deploy that carries it out in order through
// change sets, the diff that only shows it, and the delete of a service or an
// environment. It decides which stacks a deploy needs and in what order; the rooms
// below it know how: stacks (CloudFormation), environment, edge, identity, registry,
// buckets.
//
// Nothing on the AWS path imports it but the views (progress) and cmd/berth.
package deploy

import (
	"context"

	"github.com/berthdev/berth/internal/buckets"
	"github.com/berthdev/berth/internal/edge"
	"github.com/berthdev/berth/internal/environment"
	"github.com/berthdev/berth/internal/identity"
	"github.com/berthdev/berth/internal/registry"
	"github.com/berthdev/berth/internal/session"
	"github.com/berthdev/berth/internal/stacks"
)

// Clients are the AWS APIs a deploy and a delete call, each field the narrow
// interface of the room that uses it (where two rooms use one API, the union).
type Clients struct {
	CF      stacks.CloudFormation
	S3      buckets.S3
	ECR     registry.ECR
	ECS     environment.ECS
	ELB     edge.ELB
	ASG     environment.AutoScaling
	SSM     SSM
	SM      identity.SecretsManager
	IAM     identity.IAM
	OIDC    identity.OIDC // berth ci role's providers and the roles that trust them
	Route53 edge.Route53
	ACM     edge.ACM
	Region  string
	// Emulated names the endpoint override in force, if any.
	Emulated string
}

// SSM is what the environment (the AMI's public parameter) and the secrets check read.
type SSM interface {
	environment.SSM
	identity.SSM
}

// New takes the clients of an AWS session.
func New(s *session.Session) *Clients {
	return &Clients{CF: s.CF, S3: s.S3, ECR: s.ECR, ECS: s.ECS, ELB: s.ELB, ASG: s.ASG, SSM: s.SSM, SM: s.SM, IAM: s.IAM, OIDC: s.IAM,
		Route53: s.Route53, ACM: s.ACM, Region: s.Region, Emulated: s.Emulated}
}

// Progress hears what a deploy or a delete does.
type Progress interface {
	stacks.Progress
	Identity(session.Identity) // who acts where, before anything else
	Plan(*Plan)                // what a deploy will do
	Restart()                  // the clock starts again: the time at a question does not count
}

func (c *Clients) environment() *environment.Clients {
	return &environment.Clients{CF: c.CF, ASG: c.ASG, ECS: c.ECS, SSM: c.SSM}
}

func (c *Clients) edge() *edge.Clients {
	return &edge.Clients{CF: c.CF, Route53: c.Route53, ACM: c.ACM, ELB: c.ELB, S3: c.S3, Region: c.Region}
}

func (c *Clients) artifacts(id session.Identity) *buckets.Artifacts {
	return buckets.NewArtifacts(c.S3, id.Account, id.Region, c.Emulated != "")
}

// AMINote says, for a deployed environment, whether AWS recommends a newer image than
// its instances run ("" when not, or when nothing is deployed).
func (c *Clients) AMINote(ctx context.Context, env, source string) (string, error) {
	return c.environment().AMINote(ctx, env, source)
}
