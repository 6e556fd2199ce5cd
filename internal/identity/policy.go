// Package identity is who may do what: the IAM policy berth needs to deploy, that the
// manifest's secrets exist (never reading them), and the ECS service-linked role a
// fresh account lacks.
//
// It must not import any package of the AWS path above it (stacks, deploy, ...).
package identity

import (
	"encoding/json"
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
	// a stack an update left in UPDATE_ROLLBACK_FAILED; the regions whose certificates
	// may share a validation record
	"cloudformation:ContinueUpdateRollback", "ec2:DescribeRegions",
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

// PolicyOptions scope the policy.
type PolicyOptions struct {
	Partition string // aws, aws-cn, aws-us-gov
}

type statement struct {
	Sid       string         `json:"Sid"`
	Effect    string         `json:"Effect"`
	Action    []string       `json:"Action"`
	Resource  any            `json:"Resource"`
	Condition map[string]any `json:"Condition,omitempty"`
}

// scopes narrow some actions to what berth names: its stacks, its bucket, its
// repositories, its roles and log groups. Every other action, and list calls that
// cannot be scoped, applies to "*".
type scope struct {
	sid       string
	match     func(action string) bool
	resources func(p string) []string
	condition map[string]any
}

var scopes = []scope{
	{"Stacks", func(a string) bool {
		return strings.HasPrefix(a, "cloudformation:") && a != "cloudformation:DescribeStacks" // listing the environment's stacks takes *
	}, func(p string) []string {
		return []string{"arn:" + p + ":cloudformation:*:*:stack/berth-*/*", "arn:" + p + ":cloudformation:*:*:changeSet/berth-*/*"}
	}, nil},
	// the artifact bucket (berth-artifacts-...) and the buckets of berth's stacks, which
	// CloudFormation names after them (berth-<env>-...)
	{"Buckets", func(a string) bool { return strings.HasPrefix(a, "s3:") }, func(p string) []string {
		return []string{"arn:" + p + ":s3:::berth-*", "arn:" + p + ":s3:::berth-*/*"}
	}, nil},
	{"Repos", func(a string) bool { return strings.HasPrefix(a, "ecr:") && a != "ecr:GetAuthorizationToken" }, func(p string) []string {
		return []string{"arn:" + p + ":ecr:*:*:repository/berth/*"}
	}, nil},
	{"LogGroups", func(a string) bool { return strings.HasPrefix(a, "logs:") && a != "logs:DescribeLogGroups" }, func(p string) []string {
		return []string{"arn:" + p + ":logs:*:*:log-group:/berth/*", "arn:" + p + ":logs:*:*:log-group:/berth/*:*"}
	}, nil},
	// CloudFormation names the roles and instance profiles after the stack: berth-<env>-...
	{"Roles", func(a string) bool {
		return strings.HasPrefix(a, "iam:") && a != "iam:PassRole" && a != "iam:CreateServiceLinkedRole" && a != "iam:GetRole"
	}, func(p string) []string {
		return []string{"arn:" + p + ":iam::*:role/berth-*", "arn:" + p + ":iam::*:instance-profile/berth-*"}
	}, nil},
	{"PassRoles", func(a string) bool { return a == "iam:PassRole" }, func(p string) []string {
		return []string{"arn:" + p + ":iam::*:role/berth-*"}
	}, map[string]any{"StringEquals": map[string]any{"iam:PassedToService": []string{"ec2.amazonaws.com", "ecs-tasks.amazonaws.com", "vpc-flow-logs.amazonaws.com"}}}},
	{"LinkedRoles", func(a string) bool { return a == "iam:CreateServiceLinkedRole" || a == "iam:GetRole" }, func(p string) []string {
		return []string{"arn:" + p + ":iam::*:role/aws-service-role/*", "arn:" + p + ":iam::*:role/berth-*"}
	}, nil},
}

// Actions lists every action the policy grants, sorted, without duplicates.
func Actions() []string {
	set := map[string]bool{}
	for _, a := range apiActions {
		set[a] = true
	}
	for _, list := range ResourceActions {
		for _, a := range list {
			set[a] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// Policy is the IAM policy document berth needs, as JSON.
func Policy(o PolicyOptions) ([]byte, error) {
	if o.Partition == "" {
		o.Partition = "aws"
	}
	byScope := map[string][]string{}
	var rest []string
	for _, a := range Actions() {
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
			doc.Statement = append(doc.Statement, statement{Sid: s.sid, Effect: "Allow", Action: acts, Resource: s.resources(o.Partition), Condition: s.condition})
		}
	}
	doc.Statement = append(doc.Statement, statement{Sid: "Infrastructure", Effect: "Allow", Action: collapseReads(rest), Resource: "*"})
	return json.MarshalIndent(doc, "", "  ")
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

// Granted reports whether the policy's actions cover action, wildcards included.
func Granted(action string) bool {
	for _, a := range Actions() {
		if ok, _ := path.Match(strings.ToLower(a), strings.ToLower(action)); ok {
			return true
		}
	}
	return false
}
