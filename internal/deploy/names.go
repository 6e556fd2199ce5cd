package deploy

import "github.com/berthdev/berth/internal/synth"

// StackName is the CloudFormation stack of one part of an environment:
// berth-<env>-network, berth-<env>-cluster, berth-<env>-<service>.
func StackName(env, service string, s synth.Stack) string {
	if s == synth.Service {
		return "berth-" + env + "-" + service
	}
	return "berth-" + env + "-" + string(s)
}
