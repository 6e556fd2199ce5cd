// Package preflight is what must hold in the account before a deploy changes anything:
// room under the account's quotas for what the deploy adds (Elastic IPs, VPCs, load
// balancers, target groups, listener rules), the instance type offered in every zone of
// the environment, a domain delegated to the hosted zone its certificate is validated
// through, and a load balancer name no one else holds. Each check refuses with numbers
// and what to do; where it cannot tell (a quota it may not read, DNS that does not
// answer) it says so in the plan's notes and lets the deploy go on.
//
// It defines the narrow interface of every API it reads, beside the check that reads
// it, and must not import deploy or any other package above it on the AWS path.
package preflight

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/smithy-go"
	"github.com/berthdev/berth/internal/cfn"
	"github.com/berthdev/berth/internal/manifest"
)

// Clients are the AWS APIs (and the DNS) the checks read.
type Clients struct {
	SQ      ServiceQuotas
	EC2     EC2
	ELB     ELB
	Route53 Route53
	DNS     Resolver
	Region  string
	// Emulated names the endpoint override in force, if any: public DNS knows nothing
	// of an emulator's hosted zones, so the delegation is not looked up then.
	Emulated string
}

// Deploy is what a deploy will do, as far as the checks need to know it.
type Deploy struct {
	Manifest *manifest.Manifest // as it deploys to the environment: inherited keys filled in
	Env      string
	Stacks   []Stack // the environment's stacks the deploy brings to their templates
	// Subnets are the deployed subnets the instances run in; none while the network is
	// still to be made.
	Subnets []string
	// InstanceType is the instance type the cluster is made with or changed to; "" when
	// it stays as deployed (or the tasks run on Fargate).
	InstanceType string
	// ZoneID is the hosted zone of the service's domain ("" without one).
	ZoneID, ZoneName string
}

// Stack is one stack of a deploy: the template it runs (nil when it is not deployed)
// and the one the deploy brings, each with its parameters, and the stack's tags.
type Stack struct {
	Name                   string
	Deployed, Template     *cfn.Doc
	DeployedParams, Params map[string]string
	Tags                   map[string]string
}

// added are the resources of type typ that the stack makes: added to it, or replaced
// (CloudFormation makes the new one before it deletes the old).
func (s Stack) added(typ string) []string {
	if s.Template == nil {
		return nil
	}
	before := s.Deployed
	if before == nil {
		before = &cfn.Doc{}
	}
	var out []string
	for _, ch := range cfn.Compare(before, s.Template, s.DeployedParams, s.Params) {
		if (typ == "" || ch.Type == typ) && (ch.Action == "Add" || ch.Replaced) {
			out = append(out, ch.Resource)
		}
	}
	return out
}

// Check runs every check before a deploy changes anything: the notes are for the plan,
// the error (with a hint) refuses the deploy.
func (c *Clients) Check(ctx context.Context, d Deploy) ([]string, error) {
	var notes []string
	for _, check := range []func(context.Context, Deploy) ([]string, error){c.checkNames, c.checkInstanceType, c.checkQuotas, c.checkDelegation} {
		n, err := check(ctx, d)
		notes = append(notes, n...)
		if err != nil {
			return notes, err
		}
	}
	return notes, nil
}

// unread is the note of a check that could not read what it needs: it is skipped, and
// the deploy goes on (AWS itself refuses later, if it must).
func unread(what string, err error) string {
	return fmt.Sprintf("not checked: %s (%s)", what, short(err))
}

// short is an API error's code and message, without the SDK's request details.
func short(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode() + ": " + api.ErrorMessage()
	}
	return err.Error()
}
