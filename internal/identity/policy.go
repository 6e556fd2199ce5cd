// Package identity is who may do what: the IAM policy berth needs to deploy, that the
// manifest's secrets exist (never reading them), and the ECS service-linked role a
// fresh account lacks.
//
// It must not import any package of the AWS path above it (stacks, deploy, ...).
package identity

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// The least-privilege IAM policy berth needs. CloudFormation acts with the caller's
// credentials, so the caller needs what berth calls itself (apiActions: every call is
// recorded in the end-to-end tests and checked against this list) and what the
// resource handlers of the templates' types call to create, read, update, delete and
// tag them (handlers.json, from the published resource schemas: ResourceActions).
// Policies renders both as managed policies of at most 6,144 characters each.

// apiActions are the IAM actions of the calls berth makes through the SDK, and of the
// image push, which speaks the registry protocol to ECR.
var apiActions = []string{
	"sts:GetCallerIdentity",
	"cloudformation:DescribeStacks", "cloudformation:DescribeStackEvents", "cloudformation:GetTemplate", "cloudformation:ListStackResources",
	"cloudformation:CreateChangeSet", "cloudformation:DescribeChangeSet", "cloudformation:ExecuteChangeSet",
	"cloudformation:DeleteChangeSet", "cloudformation:DeleteStack",
	"s3:ListBucket", "s3:CreateBucket", "s3:PutBucketVersioning", "s3:PutEncryptionConfiguration",
	"s3:PutBucketPublicAccessBlock", "s3:PutBucketTagging", "s3:PutObject", "s3:GetObject", "s3:GetObjectVersion",
	"s3:ListBucketVersions", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:DeleteBucket",
	"ecr:DescribeRepositories", "ecr:CreateRepository", "ecr:TagResource", "ecr:ListTagsForResource", "ecr:DeleteRepository", "ecr:ListImages",
	"ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart",
	"ecr:CompleteLayerUpload", "ecr:PutImage", "ecr:BatchGetImage",
	"ecs:DescribeServices", "ecs:DescribeClusters", "ecs:ListTasks", "ecs:DescribeTasks", "ecs:ListAccountSettings",
	"elasticloadbalancing:DescribeTargetHealth",
	// a rollout: which target group serves (the production rule's weights), the
	// deployment's traffic and stage, and the alarms that roll it back
	"elasticloadbalancing:DescribeRules", "ecs:ListServiceDeployments", "ecs:DescribeServiceDeployments", "cloudwatch:DescribeAlarms",
	"logs:FilterLogEvents",
	"autoscaling:DescribeAutoScalingGroups", "autoscaling:UpdateAutoScalingGroup", "autoscaling:SetInstanceProtection",
	"autoscaling:StartInstanceRefresh", "autoscaling:DescribeScalingActivities", "autoscaling:DescribeInstanceRefreshes",
	"ssm:GetParameter",
	// CloudFormation resolves a parameter-typed input (AWS::SSM::Parameter::Value<...>,
	// parent.yml's AMI) with the caller's rights
	"ssm:GetParameters",
	"ssm:DescribeParameters", "secretsmanager:DescribeSecret", // that the manifest's secrets exist, without reading them
	"iam:GetRole", "iam:CreateServiceLinkedRole",
	// a service's domain: its hosted zone and certificate before a deploy, the
	// validation record after a delete
	"route53:ListHostedZonesByName", "route53:GetHostedZone", "route53:ListResourceRecordSets", "route53:ChangeResourceRecordSets",
	"acm:DescribeCertificate", "acm:ListCertificates",
	// emptying an access log bucket before its stack goes
	"s3:ListBucket", "s3:DeleteObject", "elasticloadbalancing:ModifyLoadBalancerAttributes",
	// an existing network (network.vpc), checked before a deploy: reads only
	"ec2:DescribeVpcs", "ec2:DescribeVpcAttribute", "ec2:DescribeSubnets", "ec2:DescribeRouteTables", "ec2:DescribeVpcEndpoints",
	// a stack an update left in UPDATE_ROLLBACK_FAILED; the regions whose certificates
	// may share a validation record
	"cloudformation:ContinueUpdateRollback", "ec2:DescribeRegions",
	// before a deploy changes anything (internal/preflight): the quotas and what they
	// count, the zones and the instance types they offer, who holds a load balancer's
	// name, the name servers of the domain's zone
	"servicequotas:GetServiceQuota", "servicequotas:ListAWSDefaultServiceQuotas",
	"ec2:DescribeAddresses", "ec2:DescribeAvailabilityZones",
	"ec2:DescribeInstanceTypeOfferings",
	"elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeTargetGroups",
	"elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeRules", "elasticloadbalancing:DescribeTags",
	"route53:GetHostedZone",
	// berth status: the vital signs (one GetMetricData call), the service's alarms, and
	// the load balancer of its target group (the metrics' LoadBalancer dimension)
	"cloudwatch:GetMetricData", "cloudwatch:DescribeAlarms", "elasticloadbalancing:DescribeTargetGroups",
	// berth exec: a session in a task through ECS Exec (a person's, never a CI job's:
	// operatorOnly)
	"ecs:ExecuteCommand",
	// CloudFront in front (edge: cloudfront): the origin-facing prefix list the load
	// balancer admits; the edge stack is CloudFormation's and ACM's in us-east-1
	"ec2:DescribeManagedPrefixLists",
}

// What "berth ci role" and "berth delete --ci-role" need besides what a deploy needs:
// reading the account's OpenID Connect providers, to reuse one rather than make a second
// (IAM takes one per URL), and the roles that trust one, before deleting it. A CI
// role's own policy leaves them out: a job cannot make or remove identity providers.
var ciAPIActions = []string{
	"iam:ListOpenIDConnectProviders", "iam:GetOpenIDConnectProvider", "iam:ListRoles", "iam:DeleteOpenIDConnectProvider",
}

// operatorOnly are what berth calls for a person at a terminal and a CI job never
// does: a CI job's role leaves them out. ecs:ExecuteCommand takes no narrower resource
// than the environment's tasks, and a deploy role with it could open a shell in any
// task of the account whose service turned exec on (helper review, 2026-12-04).
var operatorOnly = map[string]bool{"ecs:ExecuteCommand": true}

// ciOnlyTypes are the resource types of the CI role stack only: a CI job's role is
// granted none of their handlers' actions (it must not widen its own rights).
var ciOnlyTypes = map[string]bool{"AWS::IAM::OIDCProvider": true, "AWS::IAM::ManagedPolicy": true}

// planActions are what "berth diff" calls, and all a CI job that only plans needs
// (berth ci role's plan role): reading the environment and the service, and asking
// CloudFormation for change sets, which it deletes once read; none of them changes a
// resource. The artifact bucket's are for a template larger than CloudFormation takes
// inline, which is uploaded before its change set. The end-to-end test of a diff checks
// that every call it makes is in this list.
var planActions = []string{
	"sts:GetCallerIdentity",
	"cloudformation:DescribeStacks", "cloudformation:GetTemplate", "cloudformation:ListStackResources",
	"cloudformation:CreateChangeSet", "cloudformation:DescribeChangeSet", "cloudformation:DeleteChangeSet",
	"s3:ListBucket", "s3:CreateBucket", "s3:PutBucketVersioning", "s3:PutEncryptionConfiguration",
	"s3:PutBucketPublicAccessBlock", "s3:PutBucketTagging", "s3:PutObject", "s3:GetObject",
	"ecr:DescribeRepositories",
	"ecs:ListAccountSettings",
	"ssm:GetParameter", "ssm:DescribeParameters", "secretsmanager:DescribeSecret",
	"route53:ListHostedZonesByName", "route53:GetHostedZone", "acm:DescribeCertificate", "acm:ListCertificates",
	// a plan reads the serving target group, the quotas and what they count, the zones'
	// instance types, and an existing VPC (reads only)
	"elasticloadbalancing:DescribeRules", "elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeTargetGroups",
	"elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeTags",
	"servicequotas:GetServiceQuota", "servicequotas:ListAWSDefaultServiceQuotas",
	"ec2:DescribeAddresses", "ec2:DescribeVpcs", "ec2:DescribeAvailabilityZones", "ec2:DescribeSubnets", "ec2:DescribeInstanceTypeOfferings",
	"ec2:DescribeVpcAttribute", "ec2:DescribeRouteTables", "ec2:DescribeVpcEndpoints",
}

// PolicyOptions scope the policy.
type PolicyOptions struct {
	Partition string // aws, aws-cn, aws-us-gov
	// Env narrows the policy to one environment's stacks, templates, repositories, log
	// groups and roles, and leaves out what only "berth ci role" needs: the policy of
	// a CI job's role.
	Env string
	// Bucket is the artifact bucket (names.Bucket), which the environment's scope
	// names exactly: a wildcard on the bucket's name would take in every object of it.
	Bucket string
	// plan is set by PlanPolicy: the plan role writes templates under the plan's
	// prefix of the environment only (names.PlanArtifactPrefix), never where the
	// deploy role's templates are.
	plan bool
}

type statement struct {
	Sid       string         `json:"Sid"`
	Effect    string         `json:"Effect"`
	Action    []string       `json:"Action"`
	Resource  any            `json:"Resource"`
	Condition map[string]any `json:"Condition,omitempty"`
}

// scopes narrow some actions to what berth names: its stacks, its bucket, its
// repositories, its roles and log groups, its CI providers. Every other action, and
// list calls that cannot be scoped, applies to "*". resources take the partition and
// the environment ("" for every one).
type scope struct {
	sid       string
	match     func(action string) bool
	resources func(o PolicyOptions) []string
	condition map[string]any
	// wildcard, when set, is granted instead of the scope's actions, which it covers:
	// every action on the scope's few resources, in fewer characters
	wildcard string
}

// generated are the names CloudFormation gives what it makes in berth's stacks (roles,
// instance profiles, buckets, policies: STACK-LOGICALID-SUFFIX): in every environment,
// or in the stacks of one by their exact names (names.Stack). A bare "berth-<env>-*"
// would take in an environment named like this one and more (prod, prod-eu).
func generated(env string) []string {
	if env == "" {
		return []string{"berth-*"}
	}
	return []string{"berth-" + env + "-network-*", "berth-" + env + "-cluster-*", "berth-" + env + "-svc-*"}
}

// arns are the IAM ARNs of kind (role/, instance-profile/) for names.
func arns(p, kind string, names []string) []string {
	var out []string
	for _, n := range names {
		out = append(out, "arn:"+p+":iam::*:"+kind+n)
	}
	return out
}

// under is the path segment of env in a name ("*" for every environment).
func under(env string) string {
	if env == "" {
		return "*"
	}
	return env + "/*"
}

var scopes = []scope{
	{"Stacks", func(a string) bool {
		return strings.HasPrefix(a, "cloudformation:") && a != "cloudformation:DescribeStacks" // listing the environment's stacks takes *
	}, func(o PolicyOptions) []string {
		p, env := o.Partition, o.Env
		stack := "arn:" + p + ":cloudformation:*:*:stack/"
		if env == "" {
			return []string{stack + "berth-*/*", "arn:" + p + ":cloudformation:*:*:changeSet/berth-*/*"}
		}
		// the environment's own stacks by their exact names (names.Stack), the load
		// balancer its services share (ingress) among them: not the stack of the CI roles
		// themselves
		e := stack + "berth-" + env + "-"
		return []string{e + "network/*", e + "cluster/*", e + "ingress/*", e + "svc-*/*", "arn:" + p + ":cloudformation:*:*:changeSet/berth-*/*"}
	}, nil, ""},
	// the artifact bucket (berth-artifacts-..., an environment's templates under
	// <env>/) and the buckets of berth's stacks, which CloudFormation names after them
	// (berth-<env>-...: the access logs of a service's own load balancer, or of the
	// environment's shared one, by its logical ID: berth-<env>-ingress-* would take in
	// the buckets of an environment named <env>-ingress, as env names take "ingress")
	{"Buckets", func(a string) bool { return strings.HasPrefix(a, "s3:") }, func(o PolicyOptions) []string {
		s3 := "arn:" + o.Partition + ":s3:::"
		if o.Env == "" {
			return []string{s3 + "berth-*", s3 + "berth-*/*"}
		}
		if o.plan { // names.PlanArtifactPrefix (TestThePlanRoleWritesOnlyPlanTemplates)
			return []string{s3 + o.Bucket, s3 + o.Bucket + "/" + o.Env + "/_plan/*"}
		}
		return []string{s3 + o.Bucket, s3 + o.Bucket + "/" + o.Env + "/*", s3 + "berth-" + o.Env + "-svc-*", s3 + "berth-" + o.Env + "-ingress-accesslogbucket-*"}
	}, nil, ""},
	{"Repos", func(a string) bool { return strings.HasPrefix(a, "ecr:") && a != "ecr:GetAuthorizationToken" }, func(o PolicyOptions) []string {
		return []string{"arn:" + o.Partition + ":ecr:*:*:repository/berth/" + under(o.Env)}
	}, nil, ""},
	{"LogGroups", func(a string) bool { return strings.HasPrefix(a, "logs:") && a != "logs:DescribeLogGroups" }, func(o PolicyOptions) []string {
		p, env := o.Partition, o.Env
		return []string{"arn:" + p + ":logs:*:*:log-group:/berth/" + under(env), "arn:" + p + ":logs:*:*:log-group:/berth/" + under(env) + ":*"}
	}, nil, ""},
	// the providers berth ci role makes or reuses, by their URLs
	{"OIDCProviders", func(a string) bool {
		return strings.HasPrefix(a, "iam:") && strings.Contains(a, "OpenIDConnectProvider") && a != "iam:ListOpenIDConnectProviders"
	}, func(o PolicyOptions) []string {
		p := o.Partition
		return []string{"arn:" + p + ":iam::*:oidc-provider/token.actions.githubusercontent.com", "arn:" + p + ":iam::*:oidc-provider/gitlab.com"}
	}, nil, "iam:*OpenIDConnectProvider*"},
	// CloudFormation names the roles, instance profiles and policies after the stack:
	// berth-<env>-...; the CI roles are under the path /berth-ci/, which an
	// environment's scope leaves out
	{"Roles", func(a string) bool {
		return strings.HasPrefix(a, "iam:") && a != "iam:PassRole" && a != "iam:CreateServiceLinkedRole" && a != "iam:GetRole" &&
			a != "iam:ListRoles" && a != "iam:ListOpenIDConnectProviders" // these two list the account's, and take *
	}, func(o PolicyOptions) []string {
		g := generated(o.Env)
		return append(append(arns(o.Partition, "role/", g), arns(o.Partition, "instance-profile/", g)...), arns(o.Partition, "policy/", g)...)
	}, nil, ""},
	// a role berth's templates hand to a service: the instances' (ec2), the tasks'
	// (ecs-tasks), the flow logs' (vpc-flow-logs), and the one ECS moves traffic with
	// during a blue/green, linear or canary deployment (ecs)
	{"PassRoles", func(a string) bool { return a == "iam:PassRole" }, func(o PolicyOptions) []string {
		return arns(o.Partition, "role/", generated(o.Env))
	}, map[string]any{"StringEquals": map[string]any{"iam:PassedToService": []string{"ec2.amazonaws.com", "ecs-tasks.amazonaws.com", "vpc-flow-logs.amazonaws.com", "ecs.amazonaws.com"}}}, ""},
	// the public parameters AWS publishes (the ECS-optimized AMI), which berth reads and
	// CloudFormation resolves for parameter-typed inputs (parent.yml's AMI): never a
	// parameter of the account's, which may hold a secret
	{"PublicParameters", func(a string) bool { return a == "ssm:GetParameter" || a == "ssm:GetParameters" }, func(o PolicyOptions) []string {
		return []string{"arn:" + o.Partition + ":ssm:*::parameter/aws/service/*"}
	}, nil, ""},
	{"LinkedRoles", func(a string) bool { return a == "iam:CreateServiceLinkedRole" || a == "iam:GetRole" }, func(o PolicyOptions) []string {
		return arns(o.Partition, "role/", append([]string{"aws-service-role/*"}, generated(o.Env)...))
	}, nil, ""},
}

// harmlessReads are the services whose Describe, Get and List actions reveal nothing
// berth's stacks would not show anyway (no secret values, no object contents): each
// verb is granted as a wildcard, which keeps the policy within the 6,144 characters of
// a managed policy. Every write stays named.
var harmlessReads = map[string]bool{
	"ec2": true, "elasticloadbalancing": true, "autoscaling": true, "application-autoscaling": true, "cloudwatch": true,
	"acm": true, "route53": true, "wafv2": true,
}

// The load balancer's settings: Modify* on any load balancer adds nothing to what
// this statement grants already (creating and deleting them).
var collapsedWrites = map[string]string{"elasticloadbalancing:Modify": "elasticloadbalancing:Modify*"}

func collapseReads(actions []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, a := range actions {
		for prefix, wildcard := range collapsedWrites {
			if strings.HasPrefix(a, prefix) {
				a = wildcard
			}
		}
		service, op, _ := strings.Cut(a, ":")
		if harmlessReads[service] {
			for _, verb := range []string{"Describe", "Get", "List"} {
				if strings.HasPrefix(op, verb) {
					a = service + ":" + verb + "*"
					break
				}
			}
		}
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	return out
}

// notDeployed are the types of handlers.json that no stack berth deploys holds:
// parent.yml's nested stacks are for "sam deploy" with the user's own credentials, and
// the other two are kept in the data for features that may need them.
var notDeployed = map[string]bool{
	"AWS::CloudFormation::Stack": true, "AWS::SSM::Parameter": true, "AWS::CloudFront::OriginAccessControl": true,
}

// ResourceTypes are the resource types whose handlers the policy serves, sorted.
func ResourceTypes() []string {
	var out []string
	for _, t := range slices.Sorted(maps.Keys(handlers().Types)) {
		if !notDeployed[t] {
			out = append(out, t)
		}
	}
	return out
}

// Actions lists every action the policy grants, sorted, without duplicates: berth's
// own calls and every handler permission of the types it deploys, but the excluded;
// with what only "berth ci role" needs.
func Actions() []string { return actions(true) }

// actions are the policy's actions, with or without what only berth ci role needs.
func actions(withCI bool) []string {
	set := map[string]bool{}
	for _, a := range apiActions {
		if withCI || !operatorOnly[a] {
			set[a] = true
		}
	}
	if withCI {
		for _, a := range ciAPIActions {
			set[a] = true
		}
	}
	for _, t := range ResourceTypes() {
		if ciOnlyTypes[t] && !withCI {
			continue
		}
		acts, _ := HandlerActions(t)
		for _, a := range acts {
			if excludedWhy(a) == "" {
				set[a] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(set))
}

var grantedActions = sync.OnceValue(Actions)

// MaxPolicySize is the most characters a customer managed policy holds, white space
// not counted ("IAM and AWS STS quotas": managed policy size 6,144 characters).
const MaxPolicySize = 6144

// Document is one managed policy of the set berth needs.
type Document struct {
	Name     string          `json:"PolicyName"`
	Document json.RawMessage `json:"PolicyDocument"`
}

type policyDoc struct {
	Version   string      `json:"Version"`
	Statement []statement `json:"Statement"`
}

// Policies are the managed policies berth needs, each within MaxPolicySize: the
// statements scoped to what berth names (its stacks, buckets, repositories, log
// groups, roles) first, then the actions that take "*", by service, a new policy
// where one is full. Attach all of them.
func Policies(o PolicyOptions) ([]Document, error) {
	if o.Partition == "" {
		o.Partition = "aws"
	}
	if o.Env != "" && o.Bucket == "" {
		return nil, fmt.Errorf("the policy of environment %s: no artifact bucket named", o.Env)
	}
	byScope, rest := byScopes(actions(o.Env == ""))
	var docs []*policyDoc
	add := func(st statement) error {
		if len(docs) > 0 {
			cur := docs[len(docs)-1]
			cur.Statement = append(cur.Statement, st)
			if size(cur) <= MaxPolicySize {
				return nil
			}
			cur.Statement = cur.Statement[:len(cur.Statement)-1]
		}
		doc := &policyDoc{Version: "2012-10-17", Statement: []statement{st}}
		if size(doc) > MaxPolicySize {
			return fmt.Errorf("the statement %s alone is larger than a managed policy", st.Sid)
		}
		docs = append(docs, doc)
		return nil
	}
	for _, s := range scopes {
		if acts := byScope[s.sid]; len(acts) > 0 {
			if s.wildcard != "" {
				acts = []string{s.wildcard}
			}
			if err := add(statement{Sid: s.sid, Effect: "Allow", Action: acts, Resource: s.resources(o), Condition: s.condition}); err != nil {
				return nil, err
			}
		}
	}
	// the rest by service, one statement each, so that a policy fills up a service at a time
	services := map[string][]string{}
	for _, a := range collapseReads(rest) {
		svc, _, _ := strings.Cut(a, ":")
		services[svc] = append(services[svc], a)
	}
	for _, svc := range slices.Sorted(maps.Keys(services)) {
		sid := "Infra" + strings.ReplaceAll(strings.Title(strings.ReplaceAll(svc, "-", " ")), " ", "") //nolint:staticcheck // ASCII service prefixes
		if err := add(statement{Sid: sid, Effect: "Allow", Action: services[svc], Resource: "*"}); err != nil {
			return nil, err
		}
	}
	out := make([]Document, len(docs))
	for i, d := range docs {
		b, err := json.Marshal(d)
		if err != nil {
			return nil, err
		}
		name := fmt.Sprintf("berth-%d-of-%d", i+1, len(docs))
		if o.Env != "" {
			name = fmt.Sprintf("berth-%s-ci-%d-of-%d", o.Env, i+1, len(docs))
		}
		out[i] = Document{Name: name, Document: b}
	}
	return out, nil
}

// size is what IAM counts of a policy: its characters, white space not counted.
func size(d *policyDoc) int {
	b, _ := json.Marshal(d)
	return len(b)
}

// byScopes sorts actions by the first scope that matches each; rest are those none
// does.
func byScopes(actions []string) (byScope map[string][]string, rest []string) {
	byScope = map[string][]string{}
	for _, a := range actions {
		placed := false
		for _, s := range scopes {
			if s.match(a) {
				byScope[s.sid] = append(byScope[s.sid], a)
				placed = true
				break
			}
		}
		if !placed {
			rest = append(rest, a)
		}
	}
	return byScope, rest
}

// PlanPolicy is the IAM policy document of a CI job that only plans (berth diff) in
// o.Env: it reads, and makes and deletes change sets, which change no resource.
func PlanPolicy(o PolicyOptions) ([]byte, error) {
	if o.Partition == "" {
		o.Partition = "aws"
	}
	o.plan = true
	byScope, rest := byScopes(slices.Compact(slices.Sorted(slices.Values(planActions))))
	doc := policyDoc{Version: "2012-10-17"}
	for _, s := range scopes {
		if acts := byScope[s.sid]; len(acts) > 0 {
			doc.Statement = append(doc.Statement, statement{Sid: s.sid, Effect: "Allow", Action: acts, Resource: s.resources(o), Condition: s.condition})
		}
	}
	doc.Statement = append(doc.Statement, statement{Sid: "Infrastructure", Effect: "Allow", Action: collapseReads(rest), Resource: "*"})
	return json.MarshalIndent(doc, "", "  ")
}

// Granted reports whether the policy's actions cover action, wildcards included (on
// either side: a handler may itself list ec2:Describe*).
func Granted(action string) bool { return covers(grantedActions(), action) }

// PlanGranted reports whether the plan role's policy (PlanPolicy) covers action.
func PlanGranted(action string) bool { return covers(planActions, action) }

func covers(list []string, action string) bool {
	for _, a := range list {
		if ok, _ := path.Match(strings.ToLower(a), strings.ToLower(action)); ok {
			return true
		}
	}
	return false
}

// WriteDir writes each policy to dir/NAME.json and returns the AWS CLI commands that
// create them, a line each.
func WriteDir(dir string, docs []Document) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("--dir: %w", err)
	}
	var b strings.Builder
	for _, d := range docs {
		file := filepath.Join(dir, d.Name+".json")
		var pretty bytes.Buffer
		json.Indent(&pretty, d.Document, "", "  ")
		pretty.WriteByte('\n')
		if err := os.WriteFile(file, pretty.Bytes(), 0o644); err != nil {
			return "", fmt.Errorf("--dir: %w", err)
		}
		fmt.Fprintf(&b, "  aws iam create-policy --policy-name %s --policy-document file://%s\n", d.Name, filepath.ToSlash(file))
	}
	return b.String(), nil
}
