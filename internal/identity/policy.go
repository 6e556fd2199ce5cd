// Package identity is who may do what: the IAM policy berth needs to deploy, that the
// manifest's secrets exist (never reading them), and the ECS service-linked role a
// fresh account lacks.
//
// It must not import any package of the AWS path above it (stacks, deploy, ...).
package identity

import (
	"encoding/json"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
)

// The least-privilege IAM policy berth needs. CloudFormation acts with the caller's
// credentials, so the caller needs what berth calls itself (apiActions: every call is
// recorded in the end-to-end tests and checked against this list) and what creating,
// updating and deleting the templates' resources takes (ResourceActions: every
// resource type the templates hold must be listed). Policy renders both.

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
	"logs:FilterLogEvents",
	"autoscaling:DescribeAutoScalingGroups", "autoscaling:UpdateAutoScalingGroup", "autoscaling:SetInstanceProtection",
	"autoscaling:StartInstanceRefresh", "autoscaling:DescribeScalingActivities", "autoscaling:DescribeInstanceRefreshes",
	"ssm:GetParameter",
	"ssm:DescribeParameters", "secretsmanager:DescribeSecret", // that the manifest's secrets exist, without reading them
	"iam:GetRole", "iam:CreateServiceLinkedRole",
	// a service's domain: its hosted zone and certificate before a deploy, the
	// validation record after a delete
	"route53:ListHostedZonesByName", "route53:GetHostedZone", "route53:ListResourceRecordSets", "route53:ChangeResourceRecordSets",
	"acm:DescribeCertificate", "acm:ListCertificates",
	// emptying an access log bucket before its stack goes
	"s3:ListBucket", "s3:DeleteObject", "elasticloadbalancing:ModifyLoadBalancerAttributes",
}

// ResourceActions are, per resource type of berth's templates, what CloudFormation needs
// of the caller to create, update and delete it.
var ResourceActions = map[string][]string{
	"AWS::EC2::VPC":                         {"ec2:CreateVpc", "ec2:DeleteVpc", "ec2:ModifyVpcAttribute", "ec2:Describe*", "ec2:CreateTags", "ec2:DeleteTags"},
	"AWS::EC2::InternetGateway":             {"ec2:CreateInternetGateway", "ec2:DeleteInternetGateway", "ec2:Describe*", "ec2:CreateTags"},
	"AWS::EC2::VPCGatewayAttachment":        {"ec2:AttachInternetGateway", "ec2:DetachInternetGateway", "ec2:Describe*"},
	"AWS::EC2::Subnet":                      {"ec2:CreateSubnet", "ec2:DeleteSubnet", "ec2:ModifySubnetAttribute", "ec2:Describe*", "ec2:CreateTags"},
	"AWS::EC2::RouteTable":                  {"ec2:CreateRouteTable", "ec2:DeleteRouteTable", "ec2:Describe*", "ec2:CreateTags"},
	"AWS::EC2::Route":                       {"ec2:CreateRoute", "ec2:DeleteRoute", "ec2:ReplaceRoute", "ec2:Describe*"},
	"AWS::EC2::SubnetRouteTableAssociation": {"ec2:AssociateRouteTable", "ec2:DisassociateRouteTable", "ec2:ReplaceRouteTableAssociation", "ec2:Describe*"},
	"AWS::EC2::EIP":                         {"ec2:AllocateAddress", "ec2:ReleaseAddress", "ec2:DisassociateAddress", "ec2:Describe*", "ec2:CreateTags"},
	"AWS::EC2::NatGateway":                  {"ec2:CreateNatGateway", "ec2:DeleteNatGateway", "ec2:Describe*", "ec2:CreateTags"},
	"AWS::EC2::SecurityGroup": {"ec2:CreateSecurityGroup", "ec2:DeleteSecurityGroup", "ec2:AuthorizeSecurityGroupIngress",
		"ec2:RevokeSecurityGroupIngress", "ec2:AuthorizeSecurityGroupEgress", "ec2:RevokeSecurityGroupEgress", "ec2:Describe*", "ec2:CreateTags"},
	"AWS::EC2::SecurityGroupEgress":  {"ec2:AuthorizeSecurityGroupEgress", "ec2:RevokeSecurityGroupEgress", "ec2:Describe*"},
	"AWS::EC2::SecurityGroupIngress": {"ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:Describe*"},
	// an Auto Scaling group launches from the template with the caller's rights to run
	// instances and pass the instance role
	"AWS::EC2::LaunchTemplate": {"ec2:CreateLaunchTemplate", "ec2:CreateLaunchTemplateVersion", "ec2:DeleteLaunchTemplate",
		"ec2:Describe*", "ec2:CreateTags", "ec2:RunInstances", "iam:PassRole"},
	"AWS::AutoScaling::AutoScalingGroup": {"autoscaling:CreateAutoScalingGroup", "autoscaling:UpdateAutoScalingGroup",
		"autoscaling:DeleteAutoScalingGroup", "autoscaling:Describe*", "autoscaling:CreateOrUpdateTags", "autoscaling:DeleteTags",
		"ec2:RunInstances", "ec2:CreateTags", "iam:PassRole", "iam:CreateServiceLinkedRole"},
	"AWS::ECS::Cluster": {"ecs:CreateCluster", "ecs:DeleteCluster", "ecs:UpdateCluster", "ecs:UpdateClusterSettings",
		"ecs:DescribeClusters", "ecs:TagResource", "ecs:UntagResource", "iam:CreateServiceLinkedRole"},
	"AWS::ECS::CapacityProvider": {"ecs:CreateCapacityProvider", "ecs:UpdateCapacityProvider", "ecs:DeleteCapacityProvider",
		"ecs:DescribeCapacityProviders", "ecs:TagResource", "autoscaling:CreateOrUpdateTags"},
	"AWS::ECS::ClusterCapacityProviderAssociations": {"ecs:PutClusterCapacityProviders", "ecs:DescribeClusters"},
	"AWS::ECS::TaskDefinition": {"ecs:RegisterTaskDefinition", "ecs:DeregisterTaskDefinition", "ecs:DescribeTaskDefinition",
		"ecs:TagResource", "iam:PassRole"},
	"AWS::ECS::Service": {"ecs:CreateService", "ecs:UpdateService", "ecs:DeleteService", "ecs:DescribeServices", "ecs:TagResource",
		"ecs:UntagResource"},
	"AWS::IAM::Role": {"iam:CreateRole", "iam:DeleteRole", "iam:GetRole", "iam:AttachRolePolicy", "iam:DetachRolePolicy",
		"iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies",
		"iam:UpdateAssumeRolePolicy", "iam:TagRole", "iam:UntagRole"},
	"AWS::IAM::InstanceProfile": {"iam:CreateInstanceProfile", "iam:DeleteInstanceProfile", "iam:GetInstanceProfile",
		"iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile", "iam:PassRole"},
	"AWS::Logs::LogGroup": {"logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy",
		"logs:DescribeLogGroups", "logs:TagResource", "logs:UntagResource", "logs:ListTagsForResource"},
	"AWS::ElasticLoadBalancingV2::LoadBalancer": {"elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:DeleteLoadBalancer",
		"elasticloadbalancing:ModifyLoadBalancerAttributes", "elasticloadbalancing:SetSecurityGroups", "elasticloadbalancing:SetSubnets",
		"elasticloadbalancing:Describe*", "elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags", "iam:CreateServiceLinkedRole"},
	"AWS::ElasticLoadBalancingV2::TargetGroup": {"elasticloadbalancing:CreateTargetGroup", "elasticloadbalancing:DeleteTargetGroup",
		"elasticloadbalancing:ModifyTargetGroup", "elasticloadbalancing:ModifyTargetGroupAttributes", "elasticloadbalancing:Describe*",
		"elasticloadbalancing:AddTags"},
	"AWS::ElasticLoadBalancingV2::Listener": {"elasticloadbalancing:CreateListener", "elasticloadbalancing:DeleteListener",
		"elasticloadbalancing:ModifyListener", "elasticloadbalancing:ModifyListenerAttributes", "elasticloadbalancing:Describe*",
		"elasticloadbalancing:AddTags"},
	// the certificate's handler writes the DNS validation record and waits for it
	"AWS::CertificateManager::Certificate": {"acm:RequestCertificate", "acm:DescribeCertificate", "acm:DeleteCertificate",
		"acm:AddTagsToCertificate", "acm:RemoveTagsFromCertificate", "acm:ListTagsForCertificate",
		"route53:ChangeResourceRecordSets", "route53:GetChange", "route53:ListResourceRecordSets"},
	"AWS::Route53::RecordSet": {"route53:ChangeResourceRecordSets", "route53:GetChange", "route53:ListResourceRecordSets",
		"route53:GetHostedZone"},
	"AWS::S3::Bucket": {"s3:CreateBucket", "s3:DeleteBucket", "s3:ListBucket", "s3:GetBucket*", "s3:PutEncryptionConfiguration",
		"s3:GetEncryptionConfiguration", "s3:PutBucketPublicAccessBlock", "s3:PutBucketOwnershipControls",
		"s3:PutLifecycleConfiguration", "s3:GetLifecycleConfiguration", "s3:PutBucketTagging"},
	"AWS::S3::BucketPolicy": {"s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:GetBucketPolicy"},
	"AWS::WAFv2::WebACL": {"wafv2:CreateWebACL", "wafv2:UpdateWebACL", "wafv2:DeleteWebACL", "wafv2:GetWebACL",
		"wafv2:TagResource", "wafv2:UntagResource", "wafv2:ListTagsForResource"},
	// associating a web ACL with a load balancer is also an action on the load balancer
	"AWS::WAFv2::WebACLAssociation": {"wafv2:AssociateWebACL", "wafv2:DisassociateWebACL", "wafv2:GetWebACLForResource",
		"wafv2:GetWebACL", "elasticloadbalancing:SetWebACL"},
	"AWS::EC2::FlowLog": {"ec2:CreateFlowLogs", "ec2:DeleteFlowLogs", "ec2:Describe*", "ec2:CreateTags", "iam:PassRole"},
	"AWS::ApplicationAutoScaling::ScalableTarget": {"application-autoscaling:RegisterScalableTarget",
		"application-autoscaling:DeregisterScalableTarget", "application-autoscaling:Describe*", "application-autoscaling:TagResource",
		"iam:CreateServiceLinkedRole"},
	// target tracking makes its CloudWatch alarms with the caller's rights
	"AWS::ApplicationAutoScaling::ScalingPolicy": {"application-autoscaling:PutScalingPolicy", "application-autoscaling:DeleteScalingPolicy",
		"application-autoscaling:Describe*", "cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms"},
}

// What "berth ci role" and "berth delete --ci-role" need besides what a deploy needs:
// reading the account's OpenID Connect providers, to reuse one rather than make a second
// (IAM takes one per URL), and the roles that trust one, before deleting it; and the
// provider of the role stack. A CI role's own policy leaves them out: a job cannot make
// or remove identity providers.
var ciAPIActions = []string{
	"iam:ListOpenIDConnectProviders", "iam:GetOpenIDConnectProvider", "iam:ListRoles", "iam:DeleteOpenIDConnectProvider",
}

// CIResourceActions are, per resource type of the CI role stack that a service's
// templates do not hold, what CloudFormation needs of the caller (its roles are
// AWS::IAM::Role, in ResourceActions).
var CIResourceActions = map[string][]string{
	"AWS::IAM::OIDCProvider": {"iam:CreateOpenIDConnectProvider", "iam:DeleteOpenIDConnectProvider", "iam:GetOpenIDConnectProvider",
		"iam:TagOpenIDConnectProvider", "iam:UntagOpenIDConnectProvider", "iam:ListOpenIDConnectProviderTags",
		"iam:UpdateOpenIDConnectProviderThumbprint", "iam:AddClientIDToOpenIDConnectProvider", "iam:RemoveClientIDFromOpenIDConnectProvider"},
}

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
// instance profiles, buckets: STACK-LOGICALID-SUFFIX): in every environment, or in the
// stacks of one by their exact names (names.Stack). A bare "berth-<env>-*" would take in
// an environment named like this one and more (prod, prod-eu).
func generated(env string) []string {
	if env == "" {
		return []string{"berth-*"}
	}
	return []string{"berth-" + env + "-network-*", "berth-" + env + "-cluster-*", "berth-" + env + "-svc-*"}
}

// arns are the ARNs of kind (role/, instance-profile/) for names.
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
		// the environment's own stacks by their exact names (names.Stack): not the stack
		// of the CI roles themselves
		e := stack + "berth-" + env + "-"
		return []string{e + "network/*", e + "cluster/*", e + "svc-*/*", "arn:" + p + ":cloudformation:*:*:changeSet/berth-*/*"}
	}, nil, ""},
	// the artifact bucket (berth-artifacts-..., an environment's templates under
	// <env>/) and the buckets of berth's stacks, which CloudFormation names after them
	// (berth-<env>-...; only a service's stack has one)
	{"Buckets", func(a string) bool { return strings.HasPrefix(a, "s3:") }, func(o PolicyOptions) []string {
		s3 := "arn:" + o.Partition + ":s3:::"
		if o.Env == "" {
			return []string{s3 + "berth-*", s3 + "berth-*/*"}
		}
		return []string{s3 + o.Bucket, s3 + o.Bucket + "/" + o.Env + "/*", s3 + "berth-" + o.Env + "-svc-*"}
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
	// CloudFormation names the roles and instance profiles after the stack:
	// berth-<env>-...; the CI roles are under the path /berth-ci/, which an
	// environment's scope leaves out
	{"Roles", func(a string) bool {
		return strings.HasPrefix(a, "iam:") && a != "iam:PassRole" && a != "iam:CreateServiceLinkedRole" && a != "iam:GetRole" &&
			a != "iam:ListRoles" && a != "iam:ListOpenIDConnectProviders" // these two list the account's, and take *
	}, func(o PolicyOptions) []string {
		return append(arns(o.Partition, "role/", generated(o.Env)), arns(o.Partition, "instance-profile/", generated(o.Env))...)
	}, nil, ""},
	{"PassRoles", func(a string) bool { return a == "iam:PassRole" }, func(o PolicyOptions) []string {
		return arns(o.Partition, "role/", generated(o.Env))
	}, map[string]any{"StringEquals": map[string]any{"iam:PassedToService": []string{"ec2.amazonaws.com", "ecs-tasks.amazonaws.com", "vpc-flow-logs.amazonaws.com"}}}, ""},
	{"LinkedRoles", func(a string) bool { return a == "iam:CreateServiceLinkedRole" || a == "iam:GetRole" }, func(o PolicyOptions) []string {
		return arns(o.Partition, "role/", append([]string{"aws-service-role/*"}, generated(o.Env)...))
	}, nil, ""},
}

// Actions lists every action the policy grants, sorted, without duplicates: with
// what only "berth ci role" needs.
func Actions() []string { return actions(true) }

func actions(withCI bool) []string {
	set := map[string]bool{}
	lists := [][]string{apiActions}
	for _, l := range ResourceActions {
		lists = append(lists, l)
	}
	if withCI {
		lists = append(lists, ciAPIActions)
		for _, l := range CIResourceActions {
			lists = append(lists, l)
		}
	}
	for _, l := range lists {
		for _, a := range l {
			set[a] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// Policy is the IAM policy document berth needs, as JSON; with o.Env, the policy of a
// CI job that deploys to that environment.
func Policy(o PolicyOptions) ([]byte, error) { return render(actions(o.Env == ""), o) }

// PlanPolicy is the IAM policy document of a CI job that only plans (berth diff) in
// o.Env: it reads, and makes and deletes change sets, which change no resource.
func PlanPolicy(o PolicyOptions) ([]byte, error) {
	return render(slices.Compact(slices.Sorted(slices.Values(planActions))), o)
}

// render groups actions by scope, each with its resources.
func render(actions []string, o PolicyOptions) ([]byte, error) {
	if o.Partition == "" {
		o.Partition = "aws"
	}
	if o.Env != "" && o.Bucket == "" {
		return nil, fmt.Errorf("the policy of environment %s: no artifact bucket named", o.Env)
	}
	byScope := map[string][]string{}
	var rest []string
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
	doc := struct {
		Version   string      `json:"Version"`
		Statement []statement `json:"Statement"`
	}{Version: "2012-10-17"}
	for _, s := range scopes {
		if acts := byScope[s.sid]; len(acts) > 0 {
			if s.wildcard != "" {
				acts = []string{s.wildcard}
			}
			doc.Statement = append(doc.Statement, statement{Sid: s.sid, Effect: "Allow", Action: acts, Resource: s.resources(o), Condition: s.condition})
		}
	}
	doc.Statement = append(doc.Statement, statement{Sid: "Infrastructure", Effect: "Allow", Action: collapseReads(rest), Resource: "*"})
	return json.MarshalIndent(doc, "", "  ")
}

// harmlessReads are the services whose Describe, Get and List actions reveal nothing
// berth's stacks would not show anyway (no secret values, no object contents): each
// verb is granted as a wildcard, which keeps the policy within the 6,144 characters of
// a managed policy. Every write stays named. ECS's reads add nothing to
// ecs:DescribeTaskDefinition, which berth needs on every task definition anyway.
var harmlessReads = map[string]bool{
	"ec2": true, "elasticloadbalancing": true, "autoscaling": true, "application-autoscaling": true, "cloudwatch": true,
	"acm": true, "route53": true, "wafv2": true, "ecs": true,
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

// Granted reports whether the policy's actions cover action, wildcards included.
func Granted(action string) bool { return covers(Actions(), action) }

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
