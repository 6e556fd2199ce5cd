package manifest

import (
	"fmt"
	"path"
	"slices"
	"strings"
)

// Permissions that amount to administrator access: with them the app, and anyone who
// gets to run code in it, can do anything in the account, or grant itself the right
// to. They are refused unless permissions_allow_admin: true says they are meant.

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

// adminPolicy says why the managed policy arn gives administrator access, or "".
// Besides adminPolicies: the AdministratorAccess-SERVICE policies, which "grant account
// administrative permissions" (AdministratorAccess-Amplify,
// AdministratorAccess-AWSElasticBeanstalk: IAM role and policy writes on every
// resource), and AWS's job-function policies for administrators (SystemAdministrator,
// NetworkAdministrator, DatabaseAdministrator: access_policies_job-functions.html),
// which are meant for a person's job, not an app's task role. Only AWS managed
// policies are judged: berth cannot see what an account's own policies allow.
func adminPolicy(arn string) string {
	m := policyARN.FindStringSubmatch(arn)
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

// adminAction says why action a, allowed on resources, gives administrator access, or
// "". IAM and STS action names are case insensitive
// (reference_policies_elements_action.html): they are compared in lower case.
func adminAction(a string, resources []string) string {
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

// validateAdmin refuses, at its line, the first grant in permissions that amounts to
// administrator access, unless permissions_allow_admin is true; and refuses the
// override when nothing needs it, so that it cannot outlive the grant it was for and
// silently cover the next one.
func validateAdmin(m *Manifest) error {
	type grant struct {
		line      int
		key, what string
	}
	var grants []grant
	p := m.Permissions
	for i, arn := range p.Managed {
		if why := adminPolicy(arn); why != "" {
			key := p.managedKeys[i]
			grants = append(grants, grant{m.Line(key), key, arn + " " + why})
		}
	}
	for _, s := range p.Statements {
		for i, a := range s.Allow {
			if why := adminAction(a, s.Resources); why != "" {
				grants = append(grants, grant{m.Line(fmt.Sprintf("%s.allow[%d]", s.Key, i)), s.Key + ".allow", why})
			}
		}
	}
	switch {
	case len(grants) > 0 && !m.PermissionsAllowAdmin:
		g := slices.MinFunc(grants, func(a, b grant) int { return a.line - b.line })
		return &Error{File: m.File, Line: g.line, Key: g.key, Msg: g.what + ": name the actions and resources the app uses, or set permissions_allow_admin: true to grant it anyway (the app, and anyone who runs code in it, could then do anything in the account)"}
	case len(grants) == 0 && m.PermissionsAllowAdmin:
		return m.errorf("permissions_allow_admin", "nothing in permissions needs it: remove it, so that it cannot let a later administrator grant through unnoticed")
	}
	return nil
}
