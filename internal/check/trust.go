package check

import (
	"fmt"
	"strings"

	"github.com/berthdev/berth/internal/cfn"
)

func scopedTaskTrust(d *cfn.Doc) []Result {
	var out []Result
	for _, name := range ofType(d, "AWS::IAM::Role") {
		statements := list(path(d.Resources[name].Properties, "AssumeRolePolicyDocument", "Statement"))
		trustsTasks, scoped := false, true
		for _, s := range statements {
			if path(s, "Effect") != "Allow" || !mentions(path(s, "Principal", "Service"), "ecs-tasks.amazonaws.com") {
				continue
			}
			trustsTasks = true
			cond := fmt.Sprint(path(s, "Condition"))
			if !strings.Contains(cond, "aws:SourceAccount") && !strings.Contains(cond, "aws:SourceArn") {
				scoped = false
			}
		}
		switch {
		case !trustsTasks:
		case scoped:
			out = append(out, pass(name))
		default:
			out = append(out, fail(name, "trusts ecs-tasks.amazonaws.com without an aws:SourceAccount or aws:SourceArn condition: any account's tasks could use it"))
		}
	}
	return out
}

// webIdentityTrust: a role that trusts an OpenID Connect provider without a sub
// condition, or with one that matches any subject, can be assumed by every token the
// provider issues: for token.actions.githubusercontent.com, by the workflows of every
// repository on GitHub. AWS and GitHub recommend evaluating the sub key in every such
// trust ("Configuring OpenID Connect in Amazon Web Services", docs.github.com).
func webIdentityTrust(d *cfn.Doc) []Result {
	var out []Result
	for _, name := range ofType(d, "AWS::IAM::Role") {
		trusts, problem := false, ""
		for _, s := range list(path(d.Resources[name].Properties, "AssumeRolePolicyDocument", "Statement")) {
			fed := path(s, "Principal", "Federated")
			if path(s, "Effect") != "Allow" || fed == nil || !mentions(path(s, "Action"), "sts:AssumeRoleWithWebIdentity") ||
				!strings.Contains(fmt.Sprint(fed), "oidc-provider/") && !isOIDCProvider(d, target(fed)) {
				continue
			}
			trusts = true
			var aud, sub []string
			conds, _ := path(s, "Condition").(map[string]any)
			for _, byKey := range conds {
				m, _ := byKey.(map[string]any)
				for k, v := range m {
					values := []string{fmt.Sprint(v)}
					if l, ok := v.([]any); ok {
						values = values[:0]
						for _, x := range l {
							values = append(values, fmt.Sprint(x))
						}
					}
					switch {
					case strings.HasSuffix(k, ":aud"):
						aud = append(aud, values...)
					case strings.HasSuffix(k, ":sub"):
						sub = append(sub, values...)
					}
				}
			}
			switch {
			case len(aud) == 0:
				problem = "trusts an OpenID Connect provider without an :aud condition: tokens issued for any audience pass"
			case len(sub) == 0:
				problem = "trusts an OpenID Connect provider without a :sub condition: any repository's or project's jobs could assume it"
			}
			for _, v := range sub {
				// "*", "repo:*", "project_path:*": nothing of the subject is named
				if literal := strings.TrimRight(v, "*?"); literal == "" || strings.Count(literal, ":") == 1 && strings.HasSuffix(literal, ":") {
					problem = fmt.Sprintf("its :sub condition %q matches any subject: any repository's or project's jobs could assume it", v)
				}
			}
		}
		switch {
		case !trusts:
		case problem == "":
			out = append(out, pass(name))
		default:
			out = append(out, fail(name, "%s", problem))
		}
	}
	return out
}

func isOIDCProvider(d *cfn.Doc, name string) bool {
	r, ok := d.Resources[name]
	return ok && r.Type == "AWS::IAM::OIDCProvider"
}

func mentions(v any, want string) bool {
	if s, ok := v.(string); ok {
		return s == want
	}
	for _, x := range list(v) {
		if x == want {
			return true
		}
	}
	return false
}
