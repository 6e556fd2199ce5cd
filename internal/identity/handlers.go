package identity

import (
	_ "embed"
	"encoding/json"
	"maps"
	"path"
	"slices"
	"strings"
	"sync"
)

// handlers.json holds, per resource type berth's templates can hold, the permissions
// its CloudFormation resource handlers declare in the published resource schemas
// (handlers.create/read/update/delete/list.permissions, and tagging.permissions),
// where each list came from, and for the three types that publish none, what their
// AWS documentation says. scripts/handler-permissions rebuilds it from the schemas.
//
//go:embed handlers.json
var handlersJSON []byte

type handlerData struct {
	Source  map[string]string              `json:"source"`
	Types   map[string]map[string][]string `json:"types"`
	Tagging map[string][]string            `json:"tagging"`
}

// handlers decodes handlers.json on first use: decoding it at start cost every berth
// command about a millisecond, the ones that never call AWS too.
var handlers = sync.OnceValue(func() handlerData {
	var d handlerData
	if err := json.Unmarshal(handlersJSON, &d); err != nil {
		panic("identity: handlers.json: " + err.Error())
	}
	return d
})

// stackHandlers are the handlers a stack operation runs: CloudFormation creates,
// reads, updates and deletes a resource, and tags it on every update (berth's
// berth:version tag changes with each release). List handlers serve resource
// discovery, which a stack operation does not use.
var stackHandlers = []string{"create", "read", "update", "delete"}

// HandlerActions are the actions the handlers of a resource type call with the
// caller's credentials; ok is false for a type berth has no data for.
func HandlerActions(resourceType string) (actions []string, ok bool) {
	t, ok := handlers().Types[resourceType]
	if !ok {
		return nil, false
	}
	set := map[string]bool{}
	for _, h := range stackHandlers {
		for _, a := range t[h] {
			set[a] = true
		}
	}
	for _, a := range handlers().Tagging[resourceType] {
		set[a] = true
	}
	return slices.Sorted(maps.Keys(set)), true
}

// excluded are handler permissions berth's policy leaves out, each for a reason: the
// handler calls them only for a feature berth's templates never ask for, or they are
// not IAM actions at all. TestEveryHandlerActionIsGrantedOrExcluded holds every other
// handler permission of every type berth can synthesize to the policy.
var excluded = map[string]string{
	"s3:REST.PUT.OBJECT":         "AWS::Logs::LogGroup lists an S3 access-log operation name, which is no IAM action",
	"firehose:TagDeliveryStream": "log delivery to a Firehose stream: berth's log groups deliver nowhere",
	// API operation names the S3 and CloudFront schemas list where IAM authorizes the
	// call with another action (S3's DeleteBucketCors is s3:PutBucketCORS, its
	// DeleteBucketEncryption s3:PutEncryptionConfiguration, CreateDistributionWithTags is
	// cloudfront:CreateDistribution and TagResource: "Actions, resources, and condition
	// keys" for S3 and CloudFront); IAM knows no action of these names, and cfn-lint
	// refuses them in a policy (W3037)
	"s3:DeleteBucketAnalyticsConfiguration": "not an IAM action (s3:PutAnalyticsConfiguration)",
	"s3:DeleteBucketCors":                   "not an IAM action (s3:PutBucketCORS)",
	"s3:DeleteBucketEncryption":             "not an IAM action (s3:PutEncryptionConfiguration)",
	"s3:DeleteBucketLifecycle":              "not an IAM action (s3:PutLifecycleConfiguration)",
	"s3:DeleteBucketMetricsConfiguration":   "not an IAM action (s3:PutMetricsConfiguration)",
	"s3:DeleteBucketReplication":            "not an IAM action (s3:PutReplicationConfiguration)",
	"s3:DeleteBucketTagging":                "not an IAM action (s3:PutBucketTagging)",
	"s3:PutBucketReplication":               "not an IAM action (s3:PutReplicationConfiguration)",
	"s3:PutObjectLockConfiguration":         "not an IAM action (s3:PutBucketObjectLockConfiguration)",
	"cloudfront:CreateDistributionWithTags": "not an IAM action (cloudfront:CreateDistribution and cloudfront:TagResource)",
	"acm-pca:*":                             "certificates from a private CA: berth's are public, validated through DNS",
	"managed-fleets:*":                      "Auto Scaling groups managed by another service: berth's groups are its own",
	"vpc-lattice:*":                         "VPC Lattice target groups: berth's groups attach none",
	"lambda:*":                              "Application Auto Scaling of Lambda provisioned concurrency: berth scales ECS services",
	"s3tables:*":                            "S3 Tables: berth's buckets hold access logs",
	"s3:*MetadataTableConfiguration":        "S3 Metadata tables: berth's buckets have none",
	// AWS::WAFv2::WebACLAssociation lists the association calls of every kind of
	// resource a web ACL can protect; berth's protect load balancers only
	"amplify:*": "a web ACL on an Amplify app", "apigateway:*": "a web ACL on an API Gateway stage",
	"apprunner:*": "a web ACL on an App Runner service", "appsync:*": "a web ACL on an AppSync API",
	"bedrock-agentcore:*": "a web ACL on a Bedrock AgentCore gateway", "cognito-idp:*": "a web ACL on a Cognito user pool",
	"ec2:*VerifiedAccessInstanceWebAcl*": "a web ACL on a Verified Access instance",
	// the VPC origin handler assumes a role for an origin in another account; berth's
	// origins are the account's own load balancers, and sts:AssumeRole on * would let
	// the deploy role become any role that trusts the account
	"sts:AssumeRole": "a CloudFront VPC origin in another account",
	// the Auto Scaling group handler reads SSM parameters to resolve an AMI alias in a
	// launch template; berth passes an image id, and ssm:Get* on * would read every
	// SecureString of the account (the public AMI parameters stay granted: PublicParameters)
	"=ssm:Get*": "an AMI alias (resolve:ssm:) in a launch template",
}

// excludedWhy is the reason an action is left out, or "". A pattern matches the
// actions it covers; one written "=pattern" only that very wildcard, as a handler
// lists it (ssm:Get* is left out, ssm:GetParameter on the public parameters is not).
func excludedWhy(action string) string {
	for pattern, why := range excluded {
		if literal, ok := strings.CutPrefix(pattern, "="); ok {
			if strings.EqualFold(literal, action) {
				return why
			}
			continue
		}
		if ok, _ := path.Match(strings.ToLower(pattern), strings.ToLower(action)); ok {
			return why
		}
	}
	return ""
}
