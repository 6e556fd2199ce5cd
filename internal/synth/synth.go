// Package synth turns a manifest into the CloudFormation templates of the system in
// docs/architecture.md: network, cluster, the environment's load balancer (ingress)
// and service as separate stacks wired by parameters, and a parent that nests them. It
// is a pure function of the manifest. What stands in front of a service (package edge)
// and the IAM side of its tasks (package iam) are written by packages of their own,
// which synth calls; synth keeps the stacks, their wiring and the names berth deploy
// reads.
//
// It makes no AWS call: it must not import the AWS path or local.
package synth

import (
	"fmt"

	"github.com/berthdev/berth/internal/cfn"
	"github.com/berthdev/berth/internal/manifest"
	"github.com/berthdev/berth/internal/synth/edge"
	"github.com/berthdev/berth/internal/synth/iam"
)

// Stack names one of the templates berth writes, in deployment order.
type Stack string

// The stacks, in the order they are deployed (and the reverse of teardown).
const (
	Network Stack = "network"
	Cluster Stack = "cluster"
	// Edge is a service's stack in us-east-1 (EdgeRegion), with CloudFront in front:
	// the certificate and web ACL its distribution takes from there (NeedsEdgeStack).
	Edge Stack = "edge"
	// Ingress is the environment's load balancer, which its services share.
	Ingress Stack = "ingress"
	Service Stack = "service"
	Parent  Stack = "parent"
)

// Stacks are deployed one after the other in this order; Parent is for people who
// deploy with sam or aws cloudformation package/deploy instead.
var Stacks = []Stack{Network, Cluster, Ingress, Service}

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
	MetadataKey       = "berth"
	ParamDesiredCount = "DesiredCount"
	// ParamDesiredCapacity is the cluster's Auto Scaling group size to start with; 0
	// leaves the group's size alone.
	ParamDesiredCapacity = "DesiredCapacity"
	OutURL               = "URL"
	OutServiceName       = "ServiceName"
	OutTargetGroupArn    = "TargetGroupArn"
	OutLogGroupName      = "LogGroupName"
	OutLoadBalancerDNS   = "LoadBalancerDNS"
	DefaultEnv           = "dev"
)

// What package edge writes, as the rest of berth knows it: the region of the edge
// stack, and the parameters and outputs that berth deploy, the edge room and ops pass
// and read by these names.
const (
	EdgeRegion                = edge.EdgeRegion
	CloudFrontPrefixListName  = edge.CloudFrontPrefixListName
	ParamCloudFrontPrefixList = edge.ParamCloudFrontPrefixList
	ParamHostedZone           = edge.ParamHostedZone
	OutCertificateArn         = edge.OutCertificateArn
	OutAccessLogBucket        = edge.OutAccessLogBucket
	OutEdge                   = edge.OutEdge
	OutDistributionID         = edge.OutDistributionID
)

// Templates are the four templates of one manifest.
type Templates map[Stack]*cfn.Template

// StacksOf are the stacks berth deploys for m, in order: with an existing VPC
// (network.vpc) there is no network stack, and the cluster and the service take the
// manifest's ids where the network stack's outputs would be; a service with a load
// balancer of its own needs no ingress stack. With CloudFront in front and a
// certificate or web ACL to make, the edge stack comes before the service, which takes
// its outputs.
func StacksOf(m *manifest.Manifest) []Stack {
	var out []Stack
	for _, s := range Stacks {
		if s == Network && m.Network.Imported() || s == Ingress && !m.Shared() {
			continue
		}
		if s == Service && NeedsEdgeStack(m) {
			out = append(out, Edge)
		}
		out = append(out, s)
	}
	return out
}

// Build makes the templates of m: network (unless m names an existing VPC), cluster,
// ingress (unless the service has a load balancer of its own), the edge stack (when m
// needs one), service and parent.
func Build(m *manifest.Manifest) Templates {
	ts := Templates{Cluster: cluster(m), Service: service(m), Parent: parent(m)}
	if !m.Network.Imported() {
		ts[Network] = network(m)
	}
	if NeedsEdgeStack(m) {
		ts[Edge] = edgeStack(m)
	}
	if m.Shared() {
		ts[Ingress] = ingress(m)
	}
	return ts
}

// Render marshals every template; the map is keyed by file name. A policy larger than
// IAM takes is a manifest error (iam.CheckPolicies).
func Render(m *manifest.Manifest) (map[string][]byte, error) {
	ts := Build(m)
	if err := checkPolicies(m, ts); err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for stack, t := range ts {
		b, err := t.Marshal()
		if err != nil {
			return nil, fmt.Errorf("render %s template: %w", stack, err)
		}
		out[stack.File()] = b
	}
	return out, nil
}

// checkPolicies holds the policies of the templates to IAM's limits, stack by stack in
// deployment order (iam.CheckPolicies).
func checkPolicies(m *manifest.Manifest, ts Templates) error {
	for _, stack := range append(append([]Stack{}, Stacks...), Parent) {
		if t := ts[stack]; t != nil {
			if err := iam.CheckPolicies(m, stack.File(), t, stack == Service); err != nil {
				return err
			}
		}
	}
	return nil
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

func output(desc string, v any) cfn.Output { return cfn.Output{Description: desc, Value: v} }
