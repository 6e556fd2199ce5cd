// Package names holds the names and tags berth gives what it makes in AWS: stacks,
// image repositories, the artifact bucket and the tags that mark them as berth's. They
// live in one place so that a reader can see that two different inputs never produce
// one name.
//
// It knows the parts of an environment (synth.Stack) and the reserved word of
// environment names (manifest); it must not import anything that calls AWS.
package names

import (
	"crypto/sha256"
	"fmt"
	"strings"

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
//
// A service's edge stack, in us-east-1, is its service stack's name with
// -cloudfront-us-east-1 after it: 21 characters, which no service name can end with
// (the longest is MaxNameLength, 20), so that it never is another service's stack in
// us-east-1.
func Stack(env, service string, s synth.Stack) string {
	switch s {
	case synth.Service:
		return "berth-" + env + "-" + manifest.ReservedEnvWord + "-" + service
	case synth.Edge:
		return Stack(env, service, synth.Service) + "-cloudfront-" + synth.EdgeRegion
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

// PlanArtifactPrefix is where berth diff puts the templates of one stack: beside the
// deploy's under the environment (deleting it empties both), apart from them, so that
// the plan role of berth ci role, which any branch's job may assume, can write its own
// and never a template the deploy role then hands CloudFormation. No stack's name is
// "_plan": they all start with "berth-".
func PlanArtifactPrefix(env, stack string) string { return env + "/_plan/" + stack + "/" }

// ArtifactPrefixes are every prefix of one stack's templates: its deploys' and its
// plans', which go with it.
func ArtifactPrefixes(env, stack string) []string {
	return []string{ArtifactPrefix(env, stack), PlanArtifactPrefix(env, stack)}
}

// CIPart is the berth:stack tag of a CI role stack, which belongs to an environment
// without being one of its parts (network, cluster, service).
const CIPart = "ci"

// TagCI says whom a CI role stack trusts: github:OWNER/REPO or gitlab:GROUP/PROJECT.
const TagCI = "berth:ci"

// CIStack is the stack of the roles a CI provider's jobs of one repository assume to
// deploy to env: berth-<env>-ci-<provider>-<8 hex digits of the repository's SHA-256>.
// It cannot be another environment's stack: those end in network, cluster or
// svc-<service>, and neither "svc" nor a hyphen follows "ci-<provider>-" here; the hash
// keeps the name short and free of the characters a repository path may hold.
func CIStack(env, provider, repo string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(repo)))
	return fmt.Sprintf("berth-%s-%s-%s-%x", env, CIPart, provider, sum[:4])
}
