// Package deploy is the AWS path's orchestration: the plan of a deploy (every stack,
// every change, the image, the cost), the deploy that carries it out in order through
// change sets, the diff that only shows it, and berth ci role's stack. It decides which
// stacks a deploy needs and in what order; the rooms below it know how: stacks
// (CloudFormation), environment, edge, identity, registry, buckets, network; and
// teardown what a deploy deletes on the way (berth delete itself is teardown's).
//
// Nothing on the AWS path imports it but the views (progress) and cmd/berth.
package deploy

import (
	"context"
	"net"

	"github.com/berthdev/berth/internal/buckets"
	"github.com/berthdev/berth/internal/edge"
	"github.com/berthdev/berth/internal/environment"
	"github.com/berthdev/berth/internal/identity"
	"github.com/berthdev/berth/internal/ingress"
	"github.com/berthdev/berth/internal/network"
	"github.com/berthdev/berth/internal/preflight"
	"github.com/berthdev/berth/internal/registry"
	"github.com/berthdev/berth/internal/session"
	"github.com/berthdev/berth/internal/stacks"
	"github.com/berthdev/berth/internal/synth"
	"github.com/berthdev/berth/internal/teardown"
	"github.com/berthdev/berth/internal/traffic"
)

// Clients are the AWS APIs a deploy calls, each field the narrow interface of the room
// that uses it (where two rooms use one API, the union).
type Clients struct {
	CF      stacks.CloudFormation
	S3      buckets.S3
	ECR     registry.ECR
	ECS     ECS
	ELB     ELB
	CW      traffic.CloudWatch
	ASG     environment.AutoScaling
	SSM     SSM
	SM      identity.SecretsManager
	IAM     identity.IAM
	OIDC    identity.OIDC // berth ci role's providers and the roles that trust them
	Route53 edge.Route53
	ACM     edge.ACM
	EC2     EC2
	// SQ (Service Quotas) and DNS are read before a deploy changes anything.
	SQ  preflight.ServiceQuotas
	DNS preflight.Resolver
	// Regions and ACMIn find the certificates of the account's other regions.
	Regions func(context.Context) ([]string, error)
	ACMIn   func(region string) edge.ACM
	// CFIn is CloudFormation in another region: the edge stack's, in us-east-1.
	CFIn   func(region string) stacks.CloudFormation
	Region string
	// Emulated names the endpoint override in force, if any.
	Emulated string
}

// ECS is what the environment (account settings) and a rollout's view read.
type ECS interface {
	environment.ECS
	traffic.ECS
}

// ELB is what the edge (access logs), the serving target group, the environment's
// routing table and the checks before a deploy (quotas, names) read.
type ELB interface {
	edge.ELB
	traffic.ELB
	preflight.ELB
	ingress.ELB
}

// SSM is what the environment (the AMI's public parameter) and the secrets check read.
type SSM interface {
	environment.SSM
	identity.SSM
}

// EC2 is what the check of an existing network, the checks before a deploy and the
// edge (CloudFront's prefix list) read.
type EC2 interface {
	network.EC2
	preflight.EC2
	edge.EC2
}

// New takes the clients of an AWS session; DNS is the system's resolver.
func New(s *session.Session) *Clients {
	return &Clients{CF: s.CF, S3: s.S3, ECR: s.ECR, ECS: s.ECS, ELB: s.ELB, CW: s.CW, ASG: s.ASG, SSM: s.SSM, SM: s.SM, IAM: s.IAM, OIDC: s.IAM,
		Route53: s.Route53, ACM: s.ACM, EC2: s.EC2, SQ: s.SQ, DNS: net.DefaultResolver,
		Regions: s.Regions, ACMIn: func(region string) edge.ACM { return s.ACMIn(region) },
		CFIn:   func(region string) stacks.CloudFormation { return s.CFIn(region) },
		Region: s.Region, Emulated: s.Emulated}
}

// Progress hears what a deploy or a delete does.
type Progress interface {
	stacks.Progress
	Identity(session.Identity) // who acts where, before anything else
	Plan(*Plan)                // what a deploy will do
	Restart()                  // the clock starts again: the time at a question does not count
	Rollout(*traffic.View)     // a look at the service's deployment while its stack changes
}

func (c *Clients) environment() *environment.Clients {
	return &environment.Clients{CF: c.CF, ASG: c.ASG, ECS: c.ECS, SSM: c.SSM}
}

func (c *Clients) traffic() *traffic.Clients {
	return &traffic.Clients{ELB: c.ELB, ECS: c.ECS, CW: c.CW}
}

func (c *Clients) edge() *edge.Clients {
	return &edge.Clients{CF: c.CF, Route53: c.Route53, ACM: c.ACM, ELB: c.ELB, S3: c.S3, EC2: c.EC2, Region: c.Region, Regions: c.Regions, ACMIn: c.ACMIn}
}

// in is c with CloudFormation and ACM in another region: what is said of the edge
// stack, in us-east-1, is said there.
func (c *Clients) in(region string) *Clients {
	if region == c.Region || c.CFIn == nil {
		return c
	}
	cp := *c
	cp.CF, cp.Region = c.CFIn(region), region
	if c.ACMIn != nil {
		cp.ACM = c.ACMIn(region)
	}
	return &cp
}

// at is c in the region of t's stack.
func (c *Clients) at(t *target) *Clients {
	if t != nil && t.kind == synth.Edge {
		return c.in(synth.EdgeRegion)
	}
	return c
}

// teardown is c for what a deploy deletes (an edge stack the manifest no longer
// needs, the environment's load balancer its last service moved off) and for the
// diagnosis of a stack in a failed state.
func (c *Clients) teardown() *teardown.Clients {
	return &teardown.Clients{CF: c.CF, S3: c.S3, ECR: c.ECR, ECS: c.ECS, ELB: c.ELB, ASG: c.ASG, SSM: c.SSM, OIDC: c.OIDC,
		Route53: c.Route53, ACM: c.ACM, EC2: c.EC2, Regions: c.Regions, ACMIn: c.ACMIn, CFIn: c.CFIn, Region: c.Region, Emulated: c.Emulated}
}

func (c *Clients) artifacts(id session.Identity) *buckets.Artifacts {
	return buckets.NewArtifacts(c.S3, id.Account, id.Region, c.Emulated != "")
}

// AMINote says, for a deployed environment, whether AWS recommends a newer image than
// its instances run ("" when not, or when nothing is deployed).
func (c *Clients) AMINote(ctx context.Context, env, source string) (string, error) {
	return c.environment().AMINote(ctx, env, source)
}
