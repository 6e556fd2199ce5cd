package cirole

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/cfn"
	"github.com/berthdev/berth/internal/identity"
)

var update = flag.Bool("update", false, "rewrite the golden templates in testdata")

const bucket = "berth-artifacts-123456789012-eu-west-1"

// The variants of the stack; .ci/run lints every golden with cfn-lint and berth check.
var goldens = map[string]Spec{
	"github-branch":      {Trust: Trust{Provider: GitHub, Repo: "acme/orders", Branch: "main"}, Env: "production", Partition: "aws", Bucket: bucket},
	"github-environment": {Trust: Trust{Provider: GitHub, Repo: "acme/orders", CIEnvironment: "production"}, Env: "production", Partition: "aws", Bucket: bucket},
	"github-reuse": {Trust: Trust{Provider: GitHub, Repo: "acme/payments", Branch: "release/v2"}, Env: "staging", Partition: "aws", Bucket: bucket,
		ProviderARN: "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},
	"gitlab-branch": {Trust: Trust{Provider: GitLab, Repo: "acme/platform/orders", Branch: "main"}, Env: "production", Partition: "aws", Bucket: bucket},
}

func TestGolden(t *testing.T) {
	for name, spec := range goldens {
		t.Run(name, func(t *testing.T) {
			got, err := Render(spec)
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", name+".yml")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/cirole -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s (run go test ./internal/cirole -update and review the diff)", name, golden)
			}
		})
	}
}

// The trust of each role, read back from the template: only the provider, the audience
// and the subject of that repository and branch, exactly (StringEquals), nothing wider.
func TestEachRoleTrustsOneSubjectExactly(t *testing.T) {
	for _, tc := range []struct {
		spec            Spec
		provider        string
		deploy, plan    string
		planOp, audKey  string
		audience, hasOp string
	}{
		{goldens["github-branch"], "!GetAtt OIDCProvider.Arn", "repo:acme/orders:ref:refs/heads/main", "repo:acme/orders:pull_request", "StringEquals",
			"token.actions.githubusercontent.com:aud", "sts.amazonaws.com", ""},
		{goldens["github-environment"], "!GetAtt OIDCProvider.Arn", "repo:acme/orders:environment:production", "repo:acme/orders:pull_request", "StringEquals",
			"token.actions.githubusercontent.com:aud", "sts.amazonaws.com", ""},
		{goldens["github-reuse"], "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com", "repo:acme/payments:ref:refs/heads/release/v2",
			"repo:acme/payments:pull_request", "StringEquals", "token.actions.githubusercontent.com:aud", "sts.amazonaws.com", ""},
		{goldens["gitlab-branch"], "!GetAtt OIDCProvider.Arn", "project_path:acme/platform/orders:ref_type:branch:ref:main",
			"project_path:acme/platform/orders:ref_type:branch:ref:*", "StringLike", "gitlab.com:aud", "https://gitlab.com", ""},
	} {
		body, err := Render(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := cfn.Parse(body)
		if err != nil {
			t.Fatal(err)
		}
		for roleName, want := range map[string][2]string{"DeployRole": {"StringEquals", tc.deploy}, "PlanRole": {tc.planOp, tc.plan}} {
			trust := doc.Resources[roleName].Properties["AssumeRolePolicyDocument"].(map[string]any)
			stmts := trust["Statement"].([]any)
			if len(stmts) != 1 {
				t.Fatalf("%s: %d statements", roleName, len(stmts))
			}
			s := stmts[0].(map[string]any)
			if s["Action"] != "sts:AssumeRoleWithWebIdentity" || s["Effect"] != "Allow" {
				t.Errorf("%s: %v", roleName, s)
			}
			fed := s["Principal"].(map[string]any)["Federated"]
			if got := render(fed); got != tc.provider || len(s["Principal"].(map[string]any)) != 1 {
				t.Errorf("%s trusts %v, want only %s", roleName, s["Principal"], tc.provider)
			}
			cond := s["Condition"].(map[string]any)
			host := strings.TrimSuffix(tc.audKey, ":aud")
			keys := 0
			for op, m := range cond {
				for k, v := range m.(map[string]any) {
					keys++
					switch k {
					case tc.audKey:
						if op != "StringEquals" || v != tc.audience {
							t.Errorf("%s: audience %s %v", roleName, op, v)
						}
					case host + ":sub":
						if op != want[0] || v != want[1] {
							t.Errorf("%s: sub %s %v, want %s %s", roleName, op, v, want[0], want[1])
						}
					default:
						t.Errorf("%s: unexpected condition %s %s", roleName, op, k)
					}
				}
			}
			if keys != 2 {
				t.Errorf("%s: %d conditions, want aud and sub", roleName, keys)
			}
		}
	}
}

func render(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		if a, ok := x["Fn::GetAtt"]; ok {
			if l, ok := a.([]any); ok && len(l) == 2 {
				return "!GetAtt " + l[0].(string) + "." + l[1].(string)
			}
			return "!GetAtt " + a.(string)
		}
	}
	return ""
}

// A trust wider than one repository and branch is refused unless asked for, and names
// that a condition, a workflow or a shell would read otherwise are refused.
func TestWideOrStrangeTrustsAreRefused(t *testing.T) {
	for _, tc := range []struct {
		trust Trust
		want  string
	}{
		{Trust{Provider: GitHub, Repo: "acme/orders"}, "no branch: the role would trust every branch, tag and pull request of acme/orders"},
		{Trust{Provider: GitHub, Repo: "acme/*", Branch: "main"}, "trusts every repository of acme"},
		{Trust{Provider: GitLab, Repo: "acme/*", Branch: "main"}, "trusts every project of acme"},
		{Trust{Provider: GitHub, Repo: "acme/orders", Branch: "main", AnyBranch: true}, "exclude each other"},
		{Trust{Provider: GitHub, Repo: "acme/orders", Branch: "feature/*"}, "letters, digits"},
		{Trust{Provider: GitHub, Repo: "acme/orders", Branch: "${{ github.head_ref }}"}, "letters, digits"},
		{Trust{Provider: GitHub, Repo: "acme/orders/x", Branch: "main"}, "want OWNER/REPO"},
		{Trust{Provider: GitHub, Repo: "acme", Branch: "main"}, "want OWNER/REPO"},
		{Trust{Provider: GitLab, Repo: "acme/orders", CIEnvironment: "production"}, "GitLab's tokens name the branch"},
		{Trust{Provider: GitHub, Repo: "acme/orders", Branch: "main", AnyRepo: true}, "--any-repository takes"},
	} {
		err := tc.trust.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.trust, err, tc.want)
		}
	}
	// asked for by flag, they are made, with what they allow said plainly
	wide := Trust{Provider: GitHub, Repo: "acme/*", AnyRepo: true, AnyBranch: true}
	if err := wide.Validate(); err != nil {
		t.Fatal(err)
	}
	if s := wide.DeploySubject(); s != "repo:acme/*:*" || wide.Conditions(s)[1].Op != "StringLike" {
		t.Errorf("subject %s, conditions %v", s, wide.Conditions(s))
	}
	if a := wide.Allows("production")[0]; !strings.Contains(a, "every job of any repository of github.com/acme, on any branch, tag, pull request or environment may deploy to production") {
		t.Errorf("allows %q", a)
	}
}

// Every resource type of the stack has its actions in berth iam-policy: the admin who
// runs berth ci role may be held to it.
func TestThePolicyCoversTheStack(t *testing.T) {
	for name, spec := range goldens {
		tpl, err := Template(spec)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range tpl.Resources.Keys() {
			v, _ := tpl.Resources.Get(r)
			typ := v.(cfn.Resource).Type
			if _, ok := identity.HandlerActions(typ); !ok {
				t.Errorf("%s: %s (%s) has no actions in the IAM policy", name, r, typ)
			}
		}
	}
}
