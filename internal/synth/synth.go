// Package synth turns a manifest into the CloudFormation templates of the system in
// ../shared/SYSTEM.md: network, cluster and service as separate stacks wired by
// parameters, and a parent that nests the three. It is a pure function of the manifest.
package synth

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/berthdev/berth/internal/cfn"
	"github.com/berthdev/berth/internal/manifest"
)

// Stack names one of the templates berth writes, in deployment order.
type Stack string

// The stacks, in the order they are deployed (and the reverse of teardown).
const (
	Network Stack = "network"
	Cluster Stack = "cluster"
	Service Stack = "service"
	Parent  Stack = "parent"
)

// Stacks are deployed one after the other in this order; Parent is for people who
// deploy with sam or aws cloudformation package/deploy instead.
var Stacks = []Stack{Network, Cluster, Service}

// File is the name synth writes the stack's template to.
func (s Stack) File() string { return string(s) + ".yml" }

// Names of the parameters and outputs that wire the stacks together; the deploy engine
// passes the outputs of one stack as the parameters of the next under the same names.
const (
	ParamEnv             = "Env"
	OutVpcID             = "VpcId"
	OutPublicSubnets     = "PublicSubnets"
	OutTaskSubnets       = "TaskSubnets"
	OutClusterName       = "ClusterName"
	OutExecutionRoleArn  = "ExecutionRoleArn"
	OutCapacityProvider  = "CapacityProviderName"
	OutHostSecurityGroup = "HostSecurityGroup"
	OutAutoScalingGroup  = "AutoScalingGroupName"
	ParamImage           = "Image"
	ParamAmiID           = "AmiId"
	ResAutoScalingGroup  = "AutoScalingGroup"
	// MetadataKey holds, in a template's Metadata, what berth records about it.
	MetadataKey        = "berth"
	ParamDesiredCount  = "DesiredCount"
	OutURL             = "URL"
	OutServiceName     = "ServiceName"
	OutTargetGroupArn  = "TargetGroupArn"
	OutLogGroupName    = "LogGroupName"
	OutLoadBalancerDNS = "LoadBalancerDNS"
	DefaultEnv         = "dev"
)

// Templates are the four templates of one manifest.
type Templates map[Stack]*cfn.Template

// Build makes the templates of m.
func Build(m *manifest.Manifest) Templates {
	return Templates{
		Network: network(m),
		Cluster: cluster(m),
		Service: service(m),
		Parent:  parent(m),
	}
}

// Render marshals every template; the map is keyed by file name.
func Render(m *manifest.Manifest) (map[string][]byte, error) {
	out := map[string][]byte{}
	for stack, t := range Build(m) {
		b, err := t.Marshal()
		if err != nil {
			return nil, fmt.Errorf("render %s template: %w", stack, err)
		}
		out[stack.File()] = b
	}
	return out, nil
}

// Write renders the templates into dir, creating it if needed.
func Write(m *manifest.Manifest, dir string) ([]string, error) {
	files, err := Render(m)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create output directory: %w", err)
	}
	var written []string
	for _, s := range append(append([]Stack{}, Stacks...), Parent) {
		path := filepath.Join(dir, s.File())
		if err := os.WriteFile(path, files[s.File()], 0o644); err != nil {
			return nil, fmt.Errorf("write %s: %w", path, err)
		}
		written = append(written, path)
	}
	return written, nil
}

// envParameter is the environment name; names of AWS resources that must be unique
// per account and region include it, so that environments coexist.
func envParameter() cfn.Parameter {
	return cfn.Parameter{
		Type:                  "String",
		Description:           "Environment name: berth deploys one network, cluster and service per environment",
		Default:               DefaultEnv,
		AllowedPattern:        "^[a-z]([a-z0-9-]*[a-z0-9])?$",
		MaxLength:             cfn.Int(manifest.MaxEnvLength),
		ConstraintDescription: "lower-case letters, digits and hyphens, starting with a letter",
	}
}

// tags renders key/value pairs as a CloudFormation Tags list.
func tags(kv ...any) []any {
	var out []any
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, map[string]any{"Key": kv[i], "Value": kv[i+1]})
	}
	return out
}

func policyArn(name string) cfn.Sub {
	return cfn.Sub("arn:${AWS::Partition}:iam::aws:policy/" + name)
}

func output(desc string, v any) cfn.Output { return cfn.Output{Description: desc, Value: v} }
