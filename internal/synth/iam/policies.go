package iam

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/berthdev/berth/internal/cfn"
	"github.com/berthdev/berth/internal/manifest"
)

// IAM's limits on the size of a policy (IAM and AWS STS quotas,
// docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html, "IAM and STS
// character limits"): a role's inline policies take 10,240 characters all together,
// a managed policy 6,144; white space is not counted. CloudFormation would fail the
// stack on the role, half-way through a deploy: synth refuses it with the line of the
// manifest that takes the policy past the limit (CheckPolicies).
const (
	maxRolePolicy    = 10240
	maxManagedPolicy = 6144
)

// The longest value an intrinsic in a policy can stand for, so that a policy measured
// here never grows past the limit when CloudFormation fills it in.
const (
	maxPartition = len("aws-us-gov")
	maxRegion    = 16 // region codes have at most 15 characters today (us-isof-south-1)
	maxAccount   = 12
	maxURLSuffix = len("amazonaws.com.cn")
	// maxARN stands for a reference to another resource: the longest ARN IAM takes
	// (IAM API reference, API_Role.html: a role's Arn has at most 2,048 characters)
	maxARN = 2048
)

// CheckPolicies holds every policy of the template t, written to file, to IAM's
// limits: each role's inline policies together, each managed policy. A role made from
// the manifest (the service stack's task and execution roles: service) that is too
// large is a manifest error naming the entry (statement, secret) with which its policy
// passes the limit, in the manifest's order; any other is berth's own bug.
func CheckPolicies(m *manifest.Manifest, file string, t *cfn.Template, service bool) error {
	for _, name := range t.Resources.Keys() {
		v, _ := t.Resources.Get(name)
		r, ok := v.(cfn.Resource)
		if !ok {
			continue
		}
		switch r.Type {
		case "AWS::IAM::Role":
			size, err := rolePolicySize(r)
			if err != nil {
				return fmt.Errorf("%s: %s: %w", file, name, err)
			}
			if size > maxRolePolicy {
				return roleTooLarge(m, file, service, name, size)
			}
		case "AWS::IAM::ManagedPolicy":
			size, err := policySize(r.Properties["PolicyDocument"])
			if err != nil {
				return fmt.Errorf("%s: %s: %w", file, name, err)
			}
			if size > maxManagedPolicy {
				return fmt.Errorf("%s: %s: the managed policy is %d characters; IAM takes %d in a managed policy (a bug in berth: please report it)", file, name, size, maxManagedPolicy)
			}
		}
	}
	return nil
}

// rolePolicySize is the size of a role's inline policies together, as IAM counts it.
func rolePolicySize(r cfn.Resource) (int, error) {
	total := 0
	policies, _ := r.Properties["Policies"].([]any)
	for _, p := range policies {
		doc, _ := p.(map[string]any)
		n, err := policySize(doc["PolicyDocument"])
		if err != nil {
			return 0, err
		}
		total += n
	}
	return total, nil
}

// roleTooLarge finds what in the manifest takes the role past the limit: the first
// prefix of its entries, in the manifest's order, whose role is too large ends with it.
// Policies only grow as entries are added, so a binary search finds it.
func roleTooLarge(m *manifest.Manifest, file string, service bool, name string, size int) error {
	var keys []string
	var build func(k int) cfn.Resource
	var what, advice, role string
	switch {
	case service && name == "TaskRole":
		role, what = "task role", "statement"
		advice = "move statements to a managed policy of your account and list its ARN in permissions (IAM takes 20 managed policies a role)"
		statements := m.Permissions.Statements
		for _, s := range statements {
			keys = append(keys, s.Key)
		}
		build = func(k int) cfn.Resource {
			mm := *m
			mm.Permissions.Statements = statements[:k]
			return TaskRole(&mm)
		}
	case service && name == "ExecutionRole":
		role, what = "execution role", "secret"
		advice = "read fewer secrets, or keep values that go together in one Secrets Manager secret of JSON keys (secretsmanager:NAME#KEY), which the role reads once"
		for _, k := range m.SecretNames() {
			keys = append(keys, "secrets."+k)
		}
		if len(m.SecretsKMSKeys) > 0 {
			keys = append(keys, "secrets_kms_key")
		}
		sort.SliceStable(keys, func(i, j int) bool { return m.Line(keys[i]) < m.Line(keys[j]) })
		build = func(k int) cfn.Resource {
			mm := *m
			mm.Secrets, mm.SecretsKMSKeys = map[string]manifest.Secret{}, nil
			for _, key := range keys[:k] {
				if key == "secrets_kms_key" {
					mm.SecretsKMSKeys = m.SecretsKMSKeys
				} else {
					name := strings.TrimPrefix(key, "secrets.")
					mm.Secrets[name] = m.Secrets[name]
				}
			}
			return ServiceExecutionRole(&mm)
		}
	default:
		return fmt.Errorf("%s: %s: the role's inline policies are %d characters; IAM takes %d (a bug in berth: please report it)", file, name, size, maxRolePolicy)
	}
	sizeOf := func(k int) int { n, _ := rolePolicySize(build(k)); return n }
	k := sort.Search(len(keys), func(k int) bool { return sizeOf(k+1) > maxRolePolicy })
	if k == len(keys) { // not one entry's doing (cannot happen: the whole is too large)
		k = len(keys) - 1
	}
	key := keys[k]
	if key == "secrets_kms_key" {
		what = "key"
	}
	return &manifest.Error{File: m.File, Line: m.Line(key), Key: key, Msg: fmt.Sprintf(
		"the %s's policy is %d characters with this %s; IAM takes %d in a role's inline policies, white space not counted: %s",
		role, sizeOf(k+1), what, maxRolePolicy, advice)}
}

// policySize is the number of characters of a policy document as IAM counts them: its
// JSON without white space between the elements, intrinsics counted at the longest
// value they can stand for.
func policySize(v any) (int, error) {
	switch x := v.(type) {
	case map[string]any:
		n := 2 + max(len(x)-1, 0) // {} and commas
		for k, e := range x {
			s, err := policySize(e)
			if err != nil {
				return 0, err
			}
			n += jsonChars(k) + 3 + s // "k":
		}
		return n, nil
	case []any:
		n := 2 + max(len(x)-1, 0)
		for _, e := range x {
			s, err := policySize(e)
			if err != nil {
				return 0, err
			}
			n += s
		}
		return n, nil
	case []string:
		return policySize(anys(x))
	case map[string]string:
		m := map[string]any{}
		for k, e := range x {
			m[k] = e
		}
		return policySize(m)
	case int:
		return len(strconv.Itoa(x)), nil
	case bool:
		return len(strconv.FormatBool(x)), nil
	case nil:
		return len("null"), nil
	}
	n, err := textSize(v)
	return n + 2, err // the quotes
}

func anys(list []string) []any {
	out := make([]any, len(list))
	for i, s := range list {
		out[i] = s
	}
	return out
}

// textSize is the length, in the policy's JSON without quotes, of a value that is a
// string once CloudFormation has resolved it.
func textSize(v any) (int, error) {
	switch x := v.(type) {
	case string:
		return jsonChars(x), nil
	case cfn.Text:
		return jsonChars(string(x)), nil
	case cfn.Sub:
		return subSize(string(x)), nil
	case cfn.Ref:
		return varSize(string(x)), nil
	case cfn.GetAtt:
		return maxARN, nil
	case cfn.Fn:
		switch {
		case x.Name == "Join" && len(x.Args) == 2:
			sep, _ := x.Args[0].(string)
			parts, _ := x.Args[1].([]any)
			n := jsonChars(sep) * max(len(parts)-1, 0)
			for _, p := range parts {
				s, err := textSize(p)
				if err != nil {
					return 0, err
				}
				n += s
			}
			return n, nil
		case x.Name == "If" && len(x.Args) == 3:
			a, err := textSize(x.Args[1])
			if err != nil {
				return 0, err
			}
			b, err := textSize(x.Args[2])
			return max(a, b), err
		}
		return maxARN, nil
	}
	return 0, fmt.Errorf("cannot measure %T in a policy", v)
}

// subSize is the length of an Fn::Sub string once substituted: ${!x} is the text ${x},
// and a variable the longest value it can have.
func subSize(s string) int {
	n := 0
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			return n + jsonChars(s)
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return n + jsonChars(s)
		}
		n += jsonChars(s[:i])
		if name := s[i+2 : i+j]; strings.HasPrefix(name, "!") {
			n += jsonChars("${" + name[1:] + "}")
		} else {
			n += varSize(name)
		}
		s = s[i+j+1:]
	}
}

// varSize is the longest value of a pseudo parameter, or of a reference to anything
// else (a parameter, a resource's attribute): an ARN at its longest.
func varSize(name string) int {
	switch name {
	case "AWS::Partition":
		return maxPartition
	case "AWS::Region":
		return maxRegion
	case "AWS::AccountId":
		return maxAccount
	case "AWS::URLSuffix":
		return maxURLSuffix
	}
	return maxARN
}

// jsonChars is the number of characters of s in a JSON string, without the quotes.
func jsonChars(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case r == '"' || r == '\\' || r == '\n' || r == '\r' || r == '\t' || r == '\b' || r == '\f':
			n += 2
		case r < 0x20:
			n += 6 // \u00XX
		default:
			n++
		}
	}
	return n
}
