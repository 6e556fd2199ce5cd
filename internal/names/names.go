// Package names holds the names and tags berth gives what it makes in AWS: stacks,
// image repositories, the artifact bucket and the tags that mark them as berth's. They
// live in one place so that a reader can see that two different inputs never produce
// one name.
//
// It knows the parts of an environment (synth.Stack) and the reserved word of
// environment names (manifest); it must not import anything that calls AWS.
package names

import (
	"fmt"

	"github.com/berthdev/berth/internal/manifest"
	"github.com/berthdev/berth/internal/synth"
)

// Tags berth puts on its stacks and the resources it makes outside them.
const (
	TagManaged = "berth:managed"
	TagVersion = "berth:version"
	TagEnv     = "berth:env"
	TagService = "berth:service"
	// TagStack says which part of an environment a stack is: network, cluster or service.
	TagStack = "berth:stack"
)

// Stack is the name of one stack of an environment. Stack names cannot collide
// whatever a service is called: the shared stacks are berth-<env>-network,
// berth-<env>-cluster and berth-<env>-ingress (the load balancer its services share),
// a service's is berth-<env>-svc-<service>, and no environment
// name holds "svc" between hyphens (manifest.ValidEnv), so the first "-svc-" marks
// where the environment's name ends. (A double hyphen would mark it too, but
// CloudFormation derives generated names from the stack name, and a target group's
// name may not hold "--".)
func Stack(env, service string, s synth.Stack) string {
	if s == synth.Service {
		return "berth-" + env + "-" + manifest.ReservedEnvWord + "-" + service
	}
	return "berth-" + env + "-" + string(s)
}

// LegacyServiceStack is the name berth gave service stacks before:
// berth-<env>-<service>, which a service named network or cluster shared with the
// environment's own stacks.
func LegacyServiceStack(env, service string) string { return "berth-" + env + "-" + service }

// Repository is the ECR repository of a service in an environment.
func Repository(env, service string) string { return "berth/" + env + "/" + service }

// Bucket is the artifact bucket: one per account and region, like sam's managed
// bucket, shared by every environment (each under its own prefix).
func Bucket(account, region string) string {
	return fmt.Sprintf("berth-artifacts-%s-%s", account, region)
}

// ArtifactPrefix is where the templates of one stack go in the artifact bucket: under
// the environment, so that deleting an environment empties one prefix, and under the
// stack, so that deleting one service leaves the others' templates.
func ArtifactPrefix(env, stack string) string { return env + "/" + stack + "/" }
