package check

import (
	"fmt"
	"strings"

	"github.com/berthdev/berth/internal/cfn"
	"github.com/berthdev/berth/internal/secrets"
)

// noPlainCredentials: a container's Environment is plain text in the template, the
// task definition, the console and every describe call; a credential there is readable
// by anyone who may read those. A variable is suspect by its name (DB_PASSWORD,
// GITHUB_TOKEN) when it has a value, or by a value that is a credential whatever its
// name (an AWS access key id, a private key, a URL with a password, a dynamic
// reference that CloudFormation resolves into the secret's value). The reason names
// the variables, never their values.
func noPlainCredentials(d *cfn.Doc) []Result {
	var out []Result
	for _, name := range ofType(d, "AWS::ECS::TaskDefinition") {
		containers, ok := d.Resources[name].Properties["ContainerDefinitions"].([]any)
		if !ok {
			out = append(out, skip(name, "ContainerDefinitions are not written in the template"))
			continue
		}
		var found []string
		for _, c := range containers {
			for _, e := range list(path(c, "Environment")) {
				v, _ := path(e, "Name").(string)
				if why := suspect(v, path(e, "Value")); why != "" {
					found = append(found, fmt.Sprintf("%s (%s)", v, why))
				}
			}
		}
		if len(found) == 0 {
			out = append(out, pass(name))
			continue
		}
		out = append(out, fail(name, "Environment holds what looks like a credential: %s; pass it in Secrets (ValueFrom: a parameter's or secret's ARN), which ECS reads when the task starts", strings.Join(found, ", ")))
	}
	return out
}

// suspect says why an Environment entry looks like a credential, or "".
func suspect(name string, value any) string {
	text, literal := plainText(value)
	if literal && text != "" {
		if what, ok := secrets.SuspiciousValue(text); ok {
			return what
		}
	}
	if name != "" && secrets.LooksLikeCredentialName(name) && (!literal || text != "") {
		return "its name"
	}
	return ""
}

// plainText is the text of a value that is written in the template: a string, the
// text of an Fn::Sub, or an Fn::Join of strings. Another intrinsic (a Ref to a
// parameter, say) is not literal; a missing value is the empty literal.
func plainText(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", true
	case string:
		return x, true
	case int, bool, float64:
		return fmt.Sprint(x), true
	case map[string]any:
		if s, ok := x["Fn::Sub"].(string); ok {
			return s, true
		}
		if args := list(x["Fn::Join"]); len(args) == 2 {
			sep, _ := args[0].(string)
			var parts []string
			for _, p := range list(args[1]) {
				s, ok := p.(string)
				if !ok {
					return "", false
				}
				parts = append(parts, s)
			}
			return strings.Join(parts, sep), true
		}
	}
	return "", false
}
