// Package policy is the IAM policy text the manifest's permissions write: which
// managed policy ARNs, actions, resources, condition operators and keys IAM takes, and
// which grants amount to administrator access. It knows strings, not the manifest:
// package manifest decodes permissions, says where a refusal is, and decides what
// permissions_allow_admin lets through.
//
// It must not import anything of berth's but lazyregexp.
package policy

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/berthdev/berth/internal/lazyregexp"
)

var (
	managedARN = lazyregexp.New(`^arn:aws[a-z-]*:iam::(aws|[0-9]{12}):policy/([A-Za-z0-9+=,.@_/-]+)$`)
	action     = lazyregexp.New(`^[a-z0-9-]+:[A-Za-z0-9*?]+$`)
	// ConditionOperator and ConditionKey are the shapes of a Condition's operator
	// (StringEquals, ForAnyValue:StringLike) and of its keys (aws:SourceVpce, s3:prefix).
	ConditionOperator = lazyregexp.New(`^((ForAnyValue|ForAllValues):)?[A-Za-z]+$`)
	ConditionKey      = lazyregexp.New(`^[A-Za-z0-9_.:/-]+$`)
)

// IsManaged reports whether s is a managed policy's ARN: AWS's or an account's.
func IsManaged(s string) bool { return managedARN.MatchString(s) }

// IsAction reports whether a is an action, service:Action, wildcards allowed in the
// action's name (s3:Get*); the wildcards of every action (* and *:*) are not.
func IsAction(a string) bool { return action.MatchString(a) }

var (
	// the segments of an ARN in a policy (reference-arns.html): wildcards (* and ?) may
	// stand in any segment but the service's (reference_policies_elements_resource.html)
	arnPartition = lazyregexp.New(`^(aws(-[a-z]+)*|[a-z?*-]*[?*][a-z?*-]*)$`)
	arnService   = lazyregexp.New(`^[a-z0-9-]+$`)
	arnRegion    = lazyregexp.New(`^[a-z0-9?*-]*$`)
	arnAccount   = lazyregexp.New(`^([0-9]{12}|aws|[0-9?*]*[?*][0-9?*]*)?$`)
)

// CheckResource refuses a statement resource that is neither * nor an ARN of the shape
// arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE (region and account may be empty, as
// in S3's), or that holds a character IAM does not take in a policy. A * ending a
// segment also stands for the segments after it, so arn:aws:sqs:* is whole.
func CheckResource(r string) error {
	if err := Text(r); err != nil {
		return err
	}
	if r == "*" {
		return nil
	}
	parts := strings.SplitN(r, ":", 6)
	if parts[0] != "arn" {
		return fmt.Errorf("%q is not an ARN (arn:aws:s3:::orders-uploads/*), nor *", r)
	}
	whole := len(parts) == 6 && parts[5] != "" || len(parts) >= 4 && strings.HasSuffix(r, "*")
	for i, re := range []*lazyregexp.Regexp{arnPartition, arnService, arnRegion, arnAccount} {
		whole = whole && (i+1 >= len(parts) || re.MatchString(parts[i+1]))
	}
	if !whole {
		return fmt.Errorf("%q is not an ARN of the shape arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE (arn:aws:sqs:us-east-1:111122223333:orders; region and account may be empty, as in arn:aws:s3:::orders-uploads/*; * and ? may stand in any part but the service)", r)
	}
	return nil
}

// Text refuses a character that IAM does not take in a policy document: tab,
// line feed, carriage return and U+0020-U+00FF only (reference_iam-quotas.html, "IAM
// name requirements"). CloudFormation would fail the role at deploy time.
func Text(s string) error {
	for _, r := range s {
		if r != '\t' && r != '\n' && r != '\r' && (r < 0x20 || r > 0xff) {
			return fmt.Errorf("%q cannot be in an IAM policy, which takes tab, line feed, carriage return and U+0020-U+00FF only", r)
		}
	}
	return nil
}

// adminPolicies are the AWS managed policies that give administrator access, by name
// in lower case (a name that differs in case is refused too: it costs nothing), with
// what their documents grant (AWS Managed Policy Reference,
// docs.aws.amazon.com/aws-managed-policy/latest/reference/NAME.html).
var adminPolicies = map[string]string{
	// {"Action": "*", "Resource": "*"}
	"administratoraccess": "gives every action on every resource",
	// "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"
	"poweruseraccess": "gives every action but IAM's and Organizations' on every resource",
	// "Action": ["iam:*", ...], "Resource": "*"
	"iamfullaccess": "gives every IAM action, with which the app could grant itself anything",
}

// AdminPolicy says why the managed policy arn gives administrator access, or "".
// Besides adminPolicies: the AdministratorAccess-SERVICE policies, which "grant account
// administrative permissions" (AdministratorAccess-Amplify,
// AdministratorAccess-AWSElasticBeanstalk: IAM role and policy writes on every
// resource), and AWS's job-function policies for administrators (SystemAdministrator,
// NetworkAdministrator, DatabaseAdministrator: access_policies_job-functions.html),
// which are meant for a person's job, not an app's task role. Only AWS managed
// policies are judged: berth cannot see what an account's own policies allow.
func AdminPolicy(arn string) string {
	m := managedARN.FindStringSubmatch(arn)
	if m == nil || m[1] != "aws" {
		return ""
	}
	name := strings.ToLower(m[2])
	switch {
	case adminPolicies[name] != "":
		return adminPolicies[name]
	case strings.HasPrefix(name, "administratoraccess-"):
		return "gives account administrator permissions"
	case strings.HasPrefix(name, "job-function/") && strings.HasSuffix(name, "administrator"):
		return "is AWS's policy for an administrator's job, full access to the services it covers"
	}
	return ""
}

// stsAssume are the STS actions that take on another role's permissions.
var stsAssume = []string{"assumerole", "assumerolewithsaml", "assumerolewithwebidentity", "assumeroot"}

// AdminAction says why action a, allowed on resources, gives administrator access, or
// "". IAM and STS action names are case insensitive
// (reference_policies_elements_action.html): they are compared in lower case.
func AdminAction(a string, resources []string) string {
	service, name, _ := strings.Cut(strings.ToLower(a), ":")
	switch {
	case a == "*" || a == "*:*":
		return fmt.Sprintf("%q allows every action of every service", a)
	case service == "iam" && strings.ContainsAny(name, "*?"):
		return fmt.Sprintf("%q is a wildcard over IAM, with which the app could grant itself anything", a)
	}
	r := slices.IndexFunc(resources, everyOfKind)
	if r < 0 {
		return ""
	}
	switch {
	case service == "iam" && !iamRead(name):
		return fmt.Sprintf("%q on %q lets the app change IAM, and so grant itself anything", a, resources[r])
	case service == "sts" && slices.ContainsFunc(stsAssume, func(s string) bool { ok, _ := path.Match(name, s); return ok }):
		return fmt.Sprintf("%q on %q lets the app become any role that trusts the account", a, resources[r])
	}
	return ""
}

// iamRead reports an IAM action that changes nothing: Get*, List*, the policy
// simulator, and the reports IAM generates.
func iamRead(name string) bool {
	for _, p := range []string{"get", "list", "simulate", "generate"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// everyOfKind reports a resource that covers every resource of its kind: "*", or an
// ARN whose resource part is only wildcards, after a resource type or not
// (arn:aws:iam::111122223333:role/*). A resource a wildcard ends before its colons
// covers what follows them too (reference_policies_elements_resource.html).
func everyOfKind(r string) bool {
	if r == "*" {
		return true
	}
	parts := strings.SplitN(r, ":", 6)
	if len(parts) < 6 {
		return strings.HasSuffix(r, "*")
	}
	res := parts[5]
	if typ, rest, ok := strings.Cut(res, "/"); ok && !strings.ContainsAny(typ, "*?") {
		res = rest
	}
	return strings.Trim(res, "*?/") == ""
}
