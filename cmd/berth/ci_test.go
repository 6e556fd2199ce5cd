package main

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/berthdev/berth/internal/identity"
	"github.com/berthdev/berth/internal/names"
	"github.com/berthdev/berth/internal/session"
	"go.yaml.in/yaml/v3"
)

// providers lists the account's OpenID Connect providers by ARN.
func providers(t *testing.T, c *session.Session) []string {
	t.Helper()
	out, err := c.IAM.ListOpenIDConnectProviders(context.Background(), &iam.ListOpenIDConnectProvidersInput{})
	if err != nil {
		t.Fatal(err)
	}
	var arns []string
	for _, p := range out.OpenIDConnectProviderList {
		arns = append(arns, aws.ToString(p.Arn))
	}
	return arns
}

// outputs are a stack's outputs; nil when it is gone.
func outputs(t *testing.T, c *session.Session, stack string) map[string]string {
	t.Helper()
	out, err := c.CF.DescribeStacks(context.Background(), &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
	if err != nil || len(out.Stacks) == 0 || out.Stacks[0].StackStatus == "DELETE_COMPLETE" {
		return nil
	}
	m := map[string]string{}
	for _, o := range out.Stacks[0].Outputs {
		m[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	return m
}

// trustOf is a role's trust policy as IAM answers it (URL-encoded JSON), decoded.
func trustOf(t *testing.T, c *session.Session, arn string) (path string, statements []map[string]any) {
	t.Helper()
	name := arn[strings.LastIndex(arn, "/")+1:]
	out, err := c.IAM.GetRole(context.Background(), &iam.GetRoleInput{RoleName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := url.QueryUnescape(aws.ToString(out.Role.AssumeRolePolicyDocument))
	var p struct{ Statement []map[string]any }
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		t.Fatalf("trust of %s: %v\n%s", arn, err, doc)
	}
	return aws.ToString(out.Role.Path), p.Statement
}

// wantTrust fails unless the role trusts exactly one statement: the provider, with
// StringEquals on the audience, op on sub, and nothing else.
func wantTrust(t *testing.T, c *session.Session, role, provider, host, audience, op, sub string) {
	t.Helper()
	path, st := trustOf(t, c, role)
	if path != "/berth-ci/" || len(st) != 1 {
		t.Fatalf("%s: path %s, %d statements: %v", role, path, len(st), st)
	}
	s := st[0]
	principal, _ := s["Principal"].(map[string]any)
	cond, _ := s["Condition"].(map[string]any)
	eq, _ := cond["StringEquals"].(map[string]any)
	subs, _ := cond[op].(map[string]any)
	if s["Effect"] != "Allow" || s["Action"] != "sts:AssumeRoleWithWebIdentity" || len(principal) != 1 || principal["Federated"] != provider {
		t.Errorf("%s trusts %v", role, s)
	}
	keys := 0
	for _, m := range cond {
		keys += len(m.(map[string]any))
	}
	if keys != 2 || eq[host+":aud"] != audience || subs[host+":sub"] != sub {
		t.Errorf("%s: conditions %v, want StringEquals %s:aud %s and %s %s:sub %s, nothing else", role, cond, host, audience, op, host, sub)
	}
}

// berth ci role on the emulator: the provider and the roles are made; each role trusts
// the provider, the audience and that repository and branch, exactly; a second run
// changes nothing; a second repository reuses the provider; deleting one role stack
// keeps the provider for the other, and deleting the last removes the provider berth
// made. (AWS::IAM::OIDCProvider is emulated: MOTO.md.)
func TestCIRoleTrustsOneBranchAndSharesTheProvider(t *testing.T) {
	env := awsEnv(t)
	c := clients(t, env)
	ctx := context.Background()
	dir := t.TempDir()
	const github = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
	if arns := providers(t, c); len(arns) != 0 {
		t.Fatalf("the account has providers already: %v", arns)
	}

	// a trust on the whole repository is refused unless asked for, and so is a question in CI
	if r := berthWith(t, dir, env, "ci", "role", "--github", "acme/orders", "--env", "ci-e2e", "--yes"); r.code != 2 ||
		!strings.Contains(r.stderr, "no branch: the role would trust every branch, tag and pull request of acme/orders") || !strings.Contains(r.stderr, "hint: name the branch") {
		t.Errorf("no branch: exit %d\n%s", r.code, r.stderr)
	}
	if r := berthWith(t, dir, append(env, "GITHUB_ACTIONS=true"), "ci", "role", "--github", "acme/orders", "--branch", "main", "--env", "ci-e2e"); r.code != 2 ||
		!strings.Contains(r.stderr, "berth runs in GitHub Actions, where it asks no question") {
		t.Errorf("in CI without --yes: exit %d\n%s", r.code, r.stderr)
	}

	r := berthWith(t, dir, env, "ci", "role", "--github", "acme/orders", "--branch", "main", "--env", "ci-e2e", "--yes")
	mustSucceed(t, r, "ci role")
	orders := names.CIStack("ci-e2e", "github", "acme/orders")
	for _, want := range []string{
		"plan: CI roles of github:acme/orders for ci-e2e:",
		"OpenID Connect provider https://token.actions.githubusercontent.com: create",
		"deploy role: jobs of github.com/acme/orders running on its branch main may deploy to ci-e2e (token from https://token.actions.githubusercontent.com, aud sts.amazonaws.com, sub repo:acme/orders:ref:refs/heads/main)",
		"plan role: pull requests of github.com/acme/orders", "+ OIDCProvider", "CREATE_COMPLETE",
		"next: berth ci init github --env ci-e2e --role arn:aws:iam::123456789012:role/berth-ci/",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("ci role output lacks %q:\n%s", want, r.stdout)
		}
	}
	out := outputs(t, c, orders)
	if out == nil {
		t.Fatalf("no stack %s:\n%s", orders, r.stdout)
	}
	if arns := providers(t, c); len(arns) != 1 || arns[0] != github || out["OIDCProviderArn"] != github {
		t.Errorf("providers %v, stack's %s", arns, out["OIDCProviderArn"])
	}
	wantTrust(t, c, out["DeployRoleArn"], github, "token.actions.githubusercontent.com", "sts.amazonaws.com", "StringEquals", "repo:acme/orders:ref:refs/heads/main")
	wantTrust(t, c, out["PlanRoleArn"], github, "token.actions.githubusercontent.com", "sts.amazonaws.com", "StringEquals", "repo:acme/orders:pull_request")
	if doc, n, err := stackManagedPolicies(ctx, c, orders); err != nil || n < 2 || !strings.Contains(doc, "stack/berth-ci-e2e-svc-*/*") || strings.Contains(doc, "OpenIDConnectProvider") {
		t.Errorf("deploy role's %d managed policies (%v):\n%s", n, err, doc)
	}

	// a second run changes nothing
	events := stackEvents(t, c, orders)
	r = berthWith(t, dir, env, "ci", "role", "--github", "acme/orders", "--branch", "main", "--env", "ci-e2e", "--yes")
	mustSucceed(t, r, "second ci role")
	if !strings.Contains(r.stdout, orders+": no changes") || !strings.Contains(r.stdout, "made by this stack") || stackEvents(t, c, orders) != events {
		t.Errorf("second run changed something:\n%s", r.stdout)
	}

	// another branch is an update of the same stack, in place (AWS::IAM::Role's schema:
	// only Path and RoleName are create-only): the trust moves, nothing else. The
	// emulator does not apply a role's new trust policy from a stack update (moto updates
	// its description only), so the deployed template is read instead of the role.
	r = berthWith(t, dir, env, "ci", "role", "--github", "acme/orders", "--branch", "release", "--env", "ci-e2e", "--yes")
	mustSucceed(t, r, "ci role for another branch")
	if !strings.Contains(r.stdout, orders+": update, 1 change(s)") || !strings.Contains(r.stdout, "~ DeployRole") ||
		!strings.Contains(r.stdout, "sub repo:acme/orders:ref:refs/heads/release") || !strings.Contains(r.stdout, orders+": UPDATE_COMPLETE") {
		t.Errorf("another branch:\n%s", r.stdout)
	}
	tpl, err := c.CF.GetTemplate(ctx, &cloudformation.GetTemplateInput{StackName: aws.String(orders)})
	if body := aws.ToString(tpl.TemplateBody); err != nil || !strings.Contains(body, "sub: repo:acme/orders:ref:refs/heads/release") || strings.Contains(body, "refs/heads/main") {
		t.Errorf("the deployed template (%v):\n%s", err, body)
	}

	// a second repository reuses the provider; GitLab gets its own
	r = berthWith(t, dir, env, "ci", "role", "--github", "acme/payments", "--branch", "release/v2", "--env", "ci-e2e", "--yes")
	mustSucceed(t, r, "ci role of a second repository")
	payments := names.CIStack("ci-e2e", "github", "acme/payments")
	if !strings.Contains(r.stdout, "OpenID Connect provider https://token.actions.githubusercontent.com: reuse "+github) || strings.Contains(r.stdout, "+ OIDCProvider") {
		t.Errorf("second repository:\n%s", r.stdout)
	}
	wantTrust(t, c, outputs(t, c, payments)["DeployRoleArn"], github, "token.actions.githubusercontent.com", "sts.amazonaws.com", "StringEquals", "repo:acme/payments:ref:refs/heads/release/v2")
	// the account's own GitLab provider, made for another audience, is refused until it
	// accepts GitLab's, then reused; berth never deletes it
	made, err := c.IAM.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://gitlab.com"), ClientIDList: []string{"sts.amazonaws.com"}})
	if err != nil {
		t.Fatal(err)
	}
	mine := aws.ToString(made.OpenIDConnectProviderArn)
	r = berthWith(t, dir, env, "ci", "role", "--gitlab", "acme/platform/orders", "--branch", "main", "--env", "ci-e2e", "--yes")
	if r.code != 1 || !strings.Contains(r.stderr, "does not accept the audience https://gitlab.com") ||
		!strings.Contains(r.stderr, "hint: add it: aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn "+mine+" --client-id https://gitlab.com") {
		t.Errorf("a provider for another audience: exit %d\n%s", r.code, r.stderr)
	}
	// the hint's command; the emulator answers AddClientIDToOpenIDConnectProvider with a
	// server error, so the provider is made again with both audiences instead
	c.IAM.DeleteOpenIDConnectProvider(ctx, &iam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(mine)})
	if _, err := c.IAM.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://gitlab.com"),
		ClientIDList: []string{"sts.amazonaws.com", "https://gitlab.com"}}); err != nil {
		t.Fatal(err)
	}
	r = berthWith(t, dir, env, "ci", "role", "--gitlab", "acme/platform/orders", "--branch", "main", "--env", "ci-e2e", "--yes")
	mustSucceed(t, r, "ci role for GitLab")
	gitlab := names.CIStack("ci-e2e", "gitlab", "acme/platform/orders")
	if !strings.Contains(r.stdout, "OpenID Connect provider https://gitlab.com: reuse "+mine) {
		t.Errorf("GitLab's provider:\n%s", r.stdout)
	}
	wantTrust(t, c, outputs(t, c, gitlab)["DeployRoleArn"], mine, "gitlab.com", "https://gitlab.com", "StringEquals", "project_path:acme/platform/orders:ref_type:branch:ref:main")
	wantTrust(t, c, outputs(t, c, gitlab)["PlanRoleArn"], mine, "gitlab.com", "https://gitlab.com", "StringLike", "project_path:acme/platform/orders:ref_type:branch:ref:*")
	if len(providers(t, c)) != 2 {
		t.Errorf("providers %v, want GitHub's and GitLab's", providers(t, c))
	}

	// berth status lists them with the environment, as no service
	r = berthWith(t, dir, env, "status", "--env", "ci-e2e")
	mustSucceed(t, r, "status")
	for _, want := range []string{"no service is deployed to ci-e2e", "CI ROLE STACK", orders, "github:acme/orders", payments, gitlab} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("status lacks %q:\n%s", want, r.stdout)
		}
	}

	// deleting the environment leaves the CI roles, and says so
	r = berthWith(t, dir, env, "delete", "--env", "ci-e2e", "--environment", "--yes")
	if r.code != 0 || !strings.Contains(r.stdout, "nothing to delete in ci-e2e") ||
		!strings.Contains(r.stdout, "stays: the CI role stack "+orders+": its CI jobs may deploy ci-e2e again (berth delete --env ci-e2e --ci-role "+orders+" removes it)") {
		t.Errorf("delete --environment: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// deleting one keeps the provider the other's roles trust
	r = berthWith(t, dir, env, "delete", "--env", "ci-e2e", "--ci-role", "github:acme/orders", "--yes")
	mustSucceed(t, r, "delete --ci-role")
	if !strings.Contains(r.stdout, "- stack "+orders) || !strings.Contains(r.stdout, "stays: the OpenID Connect provider "+github+": "+outputs(t, c, payments)["DeployRoleArn"]) ||
		!strings.Contains(r.stdout, "kept the OpenID Connect provider "+github) {
		t.Errorf("delete of the first:\n%s", r.stdout)
	}
	if outputs(t, c, orders) != nil || len(providers(t, c)) != 2 {
		t.Errorf("after the first delete: stack %v, providers %v", outputs(t, c, orders), providers(t, c))
	}
	// the last one takes the provider berth made with it, never one it did not make
	r = berthWith(t, dir, env, "delete", "--env", "ci-e2e", "--ci-role", payments, "--yes")
	mustSucceed(t, r, "delete "+payments)
	if !strings.Contains(r.stdout, "- the OpenID Connect provider "+github+", which berth made and no other role trusts") ||
		!strings.Contains(r.stdout, "removed the OpenID Connect provider "+github+", which no role trusts any more") {
		t.Errorf("delete of the last GitHub role:\n%s", r.stdout)
	}
	r = berthWith(t, dir, env, "delete", "--env", "ci-e2e", "--ci-role", "gitlab:acme/platform/orders", "--yes")
	mustSucceed(t, r, "delete the GitLab role")
	if !strings.Contains(r.stdout, "stays: the OpenID Connect provider "+mine+", which berth did not make") || strings.Contains(r.stdout, "removed the OpenID Connect provider") {
		t.Errorf("delete of the GitLab role:\n%s", r.stdout)
	}
	if arns := providers(t, c); len(arns) != 1 || arns[0] != mine {
		t.Errorf("providers left: %v, want only %s", arns, mine)
	}
	c.IAM.DeleteOpenIDConnectProvider(ctx, &iam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(mine)})
	if r := berthWith(t, dir, env, "delete", "--env", "ci-e2e", "--ci-role", "github:acme/orders", "--yes"); r.code != 0 || !strings.Contains(r.stdout, "nothing to delete") {
		t.Errorf("deleting what is gone: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// berth diff and deploy in a GitHub Actions job: no question, no colour, the plan and
// the result in the job summary, diff --exit-code's statuses, and the diff's calls all
// within the plan role's policy.
func TestDeployAndDiffInGitHubActions(t *testing.T) {
	env := awsEnv(t)
	dir := project(t)
	summary := filepath.Join(t.TempDir(), "summary.md")
	gha := append(env, "GITHUB_ACTIONS=true", "CI=true", "GITHUB_STEP_SUMMARY="+summary)

	r := berthWith(t, dir, gha, "diff", "--env", "ci-gha", "--exit-code")
	if r.code != 3 || strings.Contains(r.stdout+r.stderr, "\x1b") || r.stderr != "" {
		t.Errorf("diff --exit-code of a new environment: exit %d, want 3\n%q\n%s", r.code, r.stdout, r.stderr)
	}
	got, _ := os.ReadFile(summary)
	for _, want := range []string{"### berth plan: orders to ci-gha — 42 change(s)", "Estimate: **environment ci-gha $", "before traffic", "```text", "berth-ci-gha-network: create, 21 change(s)", "+ VPC"} {
		if !strings.Contains(string(got), want) {
			t.Errorf("job summary lacks %q:\n%s", want, got)
		}
	}

	// on a terminal too, in CI berth asks nothing and colours nothing
	p := startTTY(t, dir, gha, "deploy", "--env", "ci-gha")
	if code := p.wait(time.Minute); code != 2 || !strings.Contains(p.text(), "berth runs in GitHub Actions, where it asks no question before it changes stacks") {
		t.Errorf("deploy in CI without --yes on a terminal: exit %d\n%s", code, p.text())
	}
	os.Remove(summary)
	r = berthWith(t, dir, gha, "deploy", "--env", "ci-gha", "--yes")
	mustSucceed(t, r, "deploy in GitHub Actions")
	got, _ = os.ReadFile(summary)
	if !strings.Contains(string(got), "### berth plan: orders to ci-gha") || !strings.Contains(string(got), "### berth deploy: orders deployed to ci-gha in ") {
		t.Errorf("job summary of the deploy:\n%s", got)
	}
	p = startTTY(t, dir, gha, "diff", "--env", "ci-gha", "--exit-code")
	if code := p.wait(time.Minute); code != 0 || colour.MatchString(p.out.String()) || !strings.Contains(p.text(), "no changes") {
		t.Errorf("diff --exit-code with nothing to change, on a terminal in CI: exit %d\n%q", code, p.out.String())
	}

	// a change: every call of the diff is one the plan role may make
	writeFile(t, filepath.Join(dir, "berth.yml"), strings.Replace(readFile(t, filepath.Join(dir, "berth.yml")), "count: 3", "count: 4", 1))
	calls := filepath.Join(t.TempDir(), "calls.log")
	r = berthWith(t, dir, append(gha, session.APILogEnv+"="+calls), "diff", "--env", "ci-gha", "--exit-code")
	if r.code != 3 || !strings.Contains(r.stdout, "DesiredCount: 3 → 4") {
		t.Errorf("diff of a change: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	logged := strings.Fields(readFile(t, calls))
	if !slices.Contains(logged, "cloudformation:CreateChangeSet") {
		t.Errorf("the diff made no change set: %v", logged)
	}
	for _, call := range logged {
		if !identity.PlanGranted(call) {
			t.Errorf("berth diff called %s, which the plan role's policy does not grant", call)
		}
	}
	mustSucceed(t, berthWith(t, dir, env, "delete", "--env", "ci-gha", "--yes"), "delete")
}

// A manifest error in a GitHub Actions job is also an annotation on its line.
func TestManifestErrorsAreAnnotations(t *testing.T) {
	env := awsEnv(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "berth.yml"), "name: orders\ncapacity:\n  instance_type: large\n")
	r := berthWith(t, dir, append(env, "GITHUB_ACTIONS=true"), "diff", "--env", "ci-gha")
	want := `::error file=berth.yml,line=3::berth.yml:3: capacity.instance_type: "large" is not an EC2 instance type (family.size, like c5.xlarge or m7i.large)` + "\n"
	if r.code != 2 || r.stdout != want || !strings.HasPrefix(r.stderr, "berth: berth.yml:3: capacity.instance_type") {
		t.Errorf("exit %d\nstdout %q\nwant   %q\nstderr %q", r.code, r.stdout, want, r.stderr)
	}
	if r := berthWith(t, dir, env, "diff", "--env", "ci-gha"); r.code != 2 || strings.Contains(r.stdout, "::error") {
		t.Errorf("outside GitHub Actions: exit %d %q", r.code, r.stdout)
	}
}

// berth ci init writes workflows that actionlint finds nothing in and that GitLab's
// keys are in, credentials only through OpenID Connect; it overwrites nothing without
// --force, and refuses what it cannot pin.
func TestCIInitWritesTheWorkflows(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "berth.yml"), readFile(t, issueExample))
	sum := strings.Repeat("0123456789abcdef", 4)
	role := "arn:aws:iam::123456789012:role/berth-ci/berth-production-ci-github-1a2b3c4d-DeployRole-AAAAAAAAAAAA"
	plan := "arn:aws:iam::123456789012:role/berth-ci/berth-production-ci-github-1a2b3c4d-PlanRole-BBBBBBBBBBBB"
	args := []string{"--env", "production", "--region", "eu-west-1", "--role", role, "--plan-role", plan, "--berth-version", "v1.2.3", "--berth-sha256", sum}

	r := berth(t, dir, append([]string{"ci", "init", "github"}, args...)...)
	mustSucceed(t, r, "ci init github")
	file := filepath.Join(dir, ".github", "workflows", "berth.yml")
	body := readFile(t, file)
	for _, want := range []string{"role-to-assume: " + role, "role-to-assume: " + plan, "id-token: write", "BERTH_SHA256: " + sum, "group: berth-production\n",
		"berth check -f berth.yml --ignore BERTH009", "berth deploy -f berth.yml --env production --yes", "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1"} {
		if !strings.Contains(body, want) {
			t.Errorf("workflow lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(strings.ToLower(body), "access key") || strings.Contains(strings.ToLower(body), "access_key") {
		t.Errorf("the workflow mentions an access key")
	}
	if r := berth(t, dir, append([]string{"ci", "init", "github"}, args...)...); r.code != 2 || !strings.Contains(r.stderr, ".github/workflows/berth.yml exists already") {
		t.Errorf("second init: exit %d %s", r.code, r.stderr)
	}
	if readFile(t, file) != body {
		t.Error("the workflow was overwritten without --force")
	}
	mustSucceed(t, berth(t, dir, append([]string{"ci", "init", "github", "--force", "--branch", "release"}, args...)...), "ci init --force")
	if !strings.Contains(readFile(t, file), "branches: [release]") {
		t.Error("--force did not rewrite the workflow")
	}
	t.Run("actionlint", func(t *testing.T) {
		lint, err := exec.LookPath("actionlint")
		if err != nil {
			home, _ := os.UserHomeDir()
			if lint = filepath.Join(home, "go", "bin", "actionlint"); !exists(lint) {
				t.Skip("actionlint is not installed (go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12; .ci/run does)")
			}
		}
		cmd := exec.Command(lint, file)
		if out, err := cmd.CombinedOutput(); err != nil || len(out) != 0 {
			t.Errorf("actionlint: %v\n%s", err, out)
		}
	})

	r = berth(t, dir, append([]string{"ci", "init", "gitlab"}, args...)...)
	mustSucceed(t, r, "ci init gitlab")
	var doc map[string]any
	gl := readFile(t, filepath.Join(dir, ".gitlab-ci.yml"))
	if err := yaml.Unmarshal([]byte(gl), &doc); err != nil {
		t.Fatal(err)
	}
	for _, job := range []string{"berth-plan", "berth-deploy"} {
		j, _ := doc[job].(map[string]any)
		if j["stage"] == nil || j["script"] == nil || j["extends"] != ".berth" {
			t.Errorf("%s: %v", job, j)
		}
	}
	if doc["stages"] == nil || !strings.Contains(gl, "aud: https://gitlab.com") || strings.Contains(strings.ToLower(gl), "access key") {
		t.Errorf(".gitlab-ci.yml:\n%s", gl)
	}

	// a development build must be told which release to pin, and with what checksum
	if r := berth(t, dir, "ci", "init", "github", "--region", "eu-west-1", "--out", "other.yml"); r.code != 2 || !strings.Contains(r.stderr, "--berth-version") {
		t.Errorf("dev build without --berth-version: exit %d %s", r.code, r.stderr)
	}
	if r := berth(t, dir, "ci", "init", "github", "--region", "eu-west-1", "--berth-version", "v1.2.3", "--out", "other.yml",
		"--berth-sha256", sum, "--role", "arn:aws:iam::123456789012:user/admin"); r.code != 2 || !strings.Contains(r.stderr, "want a role's ARN") {
		t.Errorf("a user for a role: exit %d %s", r.code, r.stderr)
	}
	if exists(filepath.Join(dir, "other.yml")) {
		t.Error("a refused workflow was written")
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// stackManagedPolicies is the documents of a stack's managed policies, one after the
// other, and how many there are. Emulator gap: moto's AWS::IAM::Role ignores
// ManagedPolicyArns (a documented property of the resource, aws-resource-iam-role.html),
// so the policies are found through the stack, not the role, and that the role names
// them is asserted on the template (internal/cirole's golden).
func stackManagedPolicies(ctx context.Context, c *session.Session, stack string) (string, int, error) {
	res, err := c.CF.ListStackResources(ctx, &cloudformation.ListStackResourcesInput{StackName: aws.String(stack)})
	if err != nil {
		return "", 0, err
	}
	var docs strings.Builder
	n := 0
	for _, r := range res.StackResourceSummaries {
		if aws.ToString(r.ResourceType) != "AWS::IAM::ManagedPolicy" {
			continue
		}
		pol, err := c.IAM.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: r.PhysicalResourceId})
		if err != nil {
			return "", 0, err
		}
		v, err := c.IAM.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: r.PhysicalResourceId, VersionId: pol.Policy.DefaultVersionId})
		if err != nil {
			return "", 0, err
		}
		doc, _ := url.QueryUnescape(aws.ToString(v.PolicyVersion.Document))
		docs.WriteString(doc)
		n++
	}
	return docs.String(), n, nil
}
