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
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/berthdev/berth/internal/cfn"
	"github.com/berthdev/berth/internal/hint"
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

// ValidDir refuses, as a usage error, an --output-dir that cannot be a directory of
// templates: empty, or something that exists and is not a directory (/dev/null).
func ValidDir(dir string) error {
	if dir == "" {
		return hint.Usage(errors.New("--output-dir is empty: name the directory to write the templates to"))
	}
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return hint.Usage(fmt.Errorf("--output-dir %s is not a directory", dir))
	}
	return nil
}

// Write renders the templates into dir, creating it if needed, and returns their paths.
// It writes all of them or none: each template goes to a new file in a private staging
// directory inside dir, then replaces its destination by rename, so a symlink in place
// of a template is replaced, never followed. Should a rename fail, the templates
// already replaced are put back. A template whose file already holds exactly its text
// is left as it is (its modification time too, which make and its kind go by), and
// costs no write and no fsync. A network.yml an earlier synth left is removed when m
// has no network stack.
func Write(m *manifest.Manifest, dir string) ([]string, error) {
	files, err := Render(m)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create output directory: %w", err)
	}
	order := append(append([]Stack{}, StacksOf(m)...), Parent)
	var changed []Stack
	for _, s := range order {
		path := filepath.Join(dir, s.File())
		if st, err := os.Lstat(path); err == nil && st.IsDir() {
			return nil, fmt.Errorf("write %s: it is a directory", path)
		}
		if !holds(path, files[s.File()]) {
			changed = append(changed, s)
		}
	}
	var stale []Stack
	for _, s := range []Stack{Network, Cluster, Edge, Service} {
		if slices.Contains(order, s) {
			continue
		}
		if st, err := os.Lstat(filepath.Join(dir, s.File())); err == nil && !st.IsDir() {
			stale = append(stale, s)
		}
	}
	var paths []string
	for _, s := range order {
		paths = append(paths, filepath.Join(dir, s.File()))
	}
	if len(changed) == 0 && len(stale) == 0 {
		return paths, nil
	}
	stage, err := os.MkdirTemp(dir, ".berth-synth-")
	if err != nil {
		return nil, fmt.Errorf("write templates: %w", err)
	}
	defer os.RemoveAll(stage)
	for _, s := range changed {
		if err := writeNew(filepath.Join(stage, s.File()), files[s.File()]); err != nil {
			return nil, err
		}
	}
	var undo []func()
	for _, s := range changed {
		path, old := filepath.Join(dir, s.File()), filepath.Join(stage, s.File()+".old")
		restore := func() { os.Remove(path) }
		if err := rename(path, old); err == nil {
			restore = func() { os.Rename(old, path) }
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, rollback(undo, fmt.Errorf("write %s: %w", path, err))
		}
		if err := rename(filepath.Join(stage, s.File()), path); err != nil {
			restore()
			return nil, rollback(undo, fmt.Errorf("write %s: %w", path, err))
		}
		undo = append(undo, restore)
	}
	// a template an earlier synth wrote that this manifest has none of (network.yml,
	// with network.vpc; edge.yml) would no longer apply: it goes too, restored should
	// this fail
	for _, s := range stale {
		path, old := filepath.Join(dir, s.File()), filepath.Join(stage, s.File()+".old")
		if err := rename(path, old); err != nil {
			return nil, rollback(undo, fmt.Errorf("remove %s, which no longer applies: %w", path, err))
		}
	}
	return paths, nil
}

// holds reports whether path is a regular file (not a symlink, which Write replaces)
// whose content is exactly data.
func holds(path string, data []byte) bool {
	st, err := os.Lstat(path)
	if err != nil || !st.Mode().IsRegular() || st.Size() != int64(len(data)) {
		return false
	}
	have, err := os.ReadFile(path)
	return err == nil && bytes.Equal(have, data)
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

// rename is os.Rename; tests make it fail to see a failed write undone.
var rename = os.Rename

// writeNew creates path, which must not exist, with data, flushed to disk before the
// rename that publishes it.
func writeNew(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("write templates: %w", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write templates: %w", err)
	}
	return nil
}

// rollback undoes the renames done so far, newest first, and returns err.
func rollback(undo []func(), err error) error {
	for i := len(undo) - 1; i >= 0; i-- {
		undo[i]()
	}
	return err
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
