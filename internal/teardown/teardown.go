// Package teardown is the AWS path's delete: what berth delete removes, listed before
// anything goes (PlanDelete), and the delete that removes it in order (Delete): a
// service's stacks, templates and image repository, the environment's load balancer
// with its last service, the network and cluster with the environment, a CI role stack
// with its OpenID Connect provider. It also deletes a single stack as berth does
// anywhere (retrying what passes, leaving only what is safe to leave), and diagnoses a
// stack a failed operation left behind (RecoveryOf), which the deploy uses too.
//
// It decides what goes and in what order; the rooms below it know how: stacks
// (CloudFormation), environment, edge, identity, registry, buckets, ingress. It must
// not import deploy, ops or the views (progress) above it.
package teardown

import (
	"context"

	"github.com/berthdev/berth/internal/buckets"
	"github.com/berthdev/berth/internal/edge"
	"github.com/berthdev/berth/internal/environment"
	"github.com/berthdev/berth/internal/identity"
	"github.com/berthdev/berth/internal/ingress"
	"github.com/berthdev/berth/internal/registry"
	"github.com/berthdev/berth/internal/session"
	"github.com/berthdev/berth/internal/stacks"
)

// Clients are the AWS APIs a delete calls, each field the narrow interface of the
// room that uses it (where two rooms use one API, the union).
type Clients struct {
	CF      stacks.CloudFormation
	S3      buckets.S3
	ECR     registry.ECR
	ECS     environment.ECS
	ELB     ELB
	ASG     environment.AutoScaling
	SSM     environment.SSM
	OIDC    identity.OIDC // berth ci role's providers and the roles that trust them
	Route53 edge.Route53
	ACM     edge.ACM
	EC2     edge.EC2
	// Regions and ACMIn find the certificates of the account's other regions.
	Regions func(context.Context) ([]string, error)
	ACMIn   func(region string) edge.ACM
	// CFIn is CloudFormation in another region: the edge stack's, in us-east-1.
	CFIn   func(region string) stacks.CloudFormation
	Region string
	// Emulated names the endpoint override in force, if any.
	Emulated string
}

// ELB is what the edge (access logs, certificates) and the environment's routing table
// read.
type ELB interface {
	edge.ELB
	ingress.ELB
}

// New takes the clients of an AWS session.
func New(s *session.Session) *Clients {
	return &Clients{CF: s.CF, S3: s.S3, ECR: s.ECR, ECS: s.ECS, ELB: s.ELB, ASG: s.ASG, SSM: s.SSM, OIDC: s.IAM,
		Route53: s.Route53, ACM: s.ACM, EC2: s.EC2,
		Regions: s.Regions, ACMIn: func(region string) edge.ACM { return s.ACMIn(region) },
		CFIn:   func(region string) stacks.CloudFormation { return s.CFIn(region) },
		Region: s.Region, Emulated: s.Emulated}
}

func (c *Clients) environment() *environment.Clients {
	return &environment.Clients{CF: c.CF, ASG: c.ASG, ECS: c.ECS, SSM: c.SSM}
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

func (c *Clients) artifacts(id session.Identity) *buckets.Artifacts {
	return buckets.NewArtifacts(c.S3, id.Account, id.Region, c.Emulated != "")
}
