package ci

import (
	"fmt"
	"strings"

	"github.com/berthdev/berth/internal/lazyregexp"
)

// Workflow is what a workflow file is written from.
type Workflow struct {
	Provider string // github, gitlab
	Env      string // berth's environment
	Region   string
	Manifest string // the manifest's path in the repository
	Branch   string // pushes to it deploy
	// CIEnvironment is the GitHub environment the deploy job runs in, when the deploy
	// role trusts one (berth ci role --ci-environment).
	CIEnvironment string
	// DeployRole and PlanRole are the roles' ARNs; empty, the file reads them from
	// the repository's variables BERTH_ROLE_ARN and BERTH_PLAN_ROLE_ARN.
	DeployRole, PlanRole string
	BerthVersion         string // a release, v1.2.3
	BerthSHA256          string // of its linux_amd64 archive
	// CheckIgnore are rules berth check skips (BERTH009 for a manifest without a domain).
	CheckIgnore []string
	Generator   string // the berth that writes it, for the header
}

// Actions pinned by full commit SHA, the only immutable way to use one ("Security
// hardening for GitHub Actions", docs.github.com: using third-party actions). Each SHA
// is the tag's commit in the action's repository, read from a clone
// (git rev-parse TAG^{commit}).
const (
	checkoutAction    = "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1" // v7.0.1
	checkoutTag       = "v7.0.1"
	credentialsAction = "aws-actions/configure-aws-credentials@e6de054238d6b7531b4efff3b6587d9aade6a06c" // v6.2.3
	credentialsTag    = "v6.2.3"
)

// IsRelease reports whether version names a release (v1.2.3), which a job can download.
func IsRelease(version string) bool { return release.MatchString(version) }

// ReleaseURL is where berth's releases are downloaded from: VERSION/FILE.
const ReleaseURL = "https://github.com/berthdev/berth/releases/download"

// Archive is the release archive a CI job installs: Linux on amd64, what GitHub's
// ubuntu runners and GitLab's shared runners are.
func Archive(version string) string { return "berth_" + version + "_linux_amd64.tar.gz" }

var (
	envName    = lazyregexp.New(`^[a-z][a-z0-9-]*$`)
	region     = lazyregexp.New(`^[a-z]{2}(-[a-z]+)+-[0-9]$`)
	path       = lazyregexp.New(`^[A-Za-z0-9_][A-Za-z0-9._/-]*$`)
	ref        = lazyregexp.New(`^[A-Za-z0-9_][A-Za-z0-9._/-]*$`)
	roleARN    = lazyregexp.New(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$`)
	release    = lazyregexp.New(`^v[0-9]+\.[0-9]+\.[0-9]+[A-Za-z0-9.+-]*$`)
	sha256Hex  = lazyregexp.New(`^[0-9a-f]{64}$`)
	ruleID     = lazyregexp.New(`^BERTH[0-9]{3}$`)
	expression = strings.NewReplacer("${{", "", "}}", "")
)

// Check refuses what a workflow file, a shell or an expression would read as something
// else: every value goes into the file as it is, unquoted where YAML allows.
func (w Workflow) Check() error {
	for _, c := range []struct {
		what, v string
		re      *lazyregexp.Regexp
	}{
		{"--env", w.Env, envName}, {"--region", w.Region, region}, {"-f", w.Manifest, path}, {"--branch", w.Branch, ref},
		{"--berth-version", w.BerthVersion, release}, {"--berth-sha256", w.BerthSHA256, sha256Hex},
	} {
		if !c.re.MatchString(c.v) || strings.Contains(c.v, "..") || expression.Replace(c.v) != c.v {
			return fmt.Errorf("%s %q: not a value berth writes into a workflow", c.what, c.v)
		}
	}
	for what, v := range map[string]string{"--role": w.DeployRole, "--plan-role": w.PlanRole} {
		if v != "" && !roleARN.MatchString(v) {
			return fmt.Errorf("%s %q: want a role's ARN (berth ci role prints them)", what, v)
		}
	}
	if w.CIEnvironment != "" && (w.Provider != "github" || !ref.MatchString(w.CIEnvironment)) {
		return fmt.Errorf("--ci-environment %q: the name of a GitHub environment (letters, digits, . _ / -)", w.CIEnvironment)
	}
	for _, r := range w.CheckIgnore {
		if !ruleID.MatchString(r) {
			return fmt.Errorf("rule %q", r)
		}
	}
	return nil
}

// File is the workflow's file in the repository.
func (w Workflow) File() string {
	if w.Provider == "gitlab" {
		return ".gitlab-ci.yml"
	}
	return ".github/workflows/berth.yml"
}

// Render writes the workflow file: githubWorkflow or gitlabWorkflow with each {{.Name}}
// replaced by its value, in one pass: a value is never read for names. Check has held
// each value from the command line to what a workflow file may hold as it is.
// (text/template would do it too, but a program that links it keeps every exported
// method of every type it uses, and berth's AWS clients would weigh 40 MB more:
// docs/performance.md.)
func (w Workflow) Render() ([]byte, error) {
	if err := w.Check(); err != nil {
		return nil, err
	}
	text, planRole, deployRole := githubWorkflow, "${{ vars.BERTH_PLAN_ROLE_ARN }}", "${{ vars.BERTH_ROLE_ARN }}"
	if w.Provider == "gitlab" {
		text, planRole, deployRole = gitlabWorkflow, "$BERTH_PLAN_ROLE_ARN", "$BERTH_ROLE_ARN"
	}
	// on GitLab, a role's ARN is quoted; the variable that stands for it is not
	quote := func(arn string) string {
		if w.Provider == "gitlab" {
			return `"` + arn + `"`
		}
		return arn
	}
	if w.PlanRole != "" {
		planRole = quote(w.PlanRole)
	}
	if w.DeployRole != "" {
		deployRole = quote(w.DeployRole)
	}
	trusted, environment := "its branch "+w.Branch, ""
	if w.CIEnvironment != "" {
		trusted, environment = "its GitHub environment "+w.CIEnvironment, "\n    environment: "+w.CIEnvironment
	}
	text = strings.ReplaceAll(text, "{{.Install}}", githubInstall)
	return []byte(strings.NewReplacer(
		"{{.Env}}", w.Env, "{{.Region}}", w.Region, "{{.Manifest}}", w.Manifest, "{{.Branch}}", w.Branch,
		"{{.BerthVersion}}", w.BerthVersion, "{{.BerthSHA256}}", w.BerthSHA256, "{{.Generator}}", w.Generator,
		"{{.Archive}}", Archive(w.BerthVersion), "{{.ReleaseURL}}", ReleaseURL, "{{.Check}}", w.check(),
		"{{.Checkout}}", checkoutAction, "{{.CheckoutTag}}", checkoutTag,
		"{{.Credentials}}", credentialsAction, "{{.CredentialsTag}}", credentialsTag,
		"{{.PlanRole}}", planRole, "{{.DeployRole}}", deployRole,
		"{{.TrustedBy}}", trusted, "{{.Environment}}", environment,
	).Replace(text)), nil
}

// check is the berth check command of the plan job.
func (w Workflow) check() string {
	c := "berth check -f " + w.Manifest
	if len(w.CheckIgnore) > 0 {
		c += " --ignore " + strings.Join(w.CheckIgnore, ",")
	}
	return c
}

const githubWorkflow = `# berth for environment {{.Env}}: on a pull request, berth check and berth diff (the
# plan, with its cost change, in the job summary); on a push to {{.Branch}}, berth deploy.
# Written by "berth ci init github" ({{.Generator}}): review it, then commit it.
#
# Credentials come only from OpenID Connect: each job asks GitHub for a token
# (id-token: write) and exchanges it for a role that "berth ci role" made, which trusts
# this repository's pull requests (the plan role: it reads and prepares change sets) or
# {{.TrustedBy}} (the deploy role), and nothing else. No AWS key is stored anywhere.
name: berth {{.Env}}

on:
  pull_request:
    branches: [{{.Branch}}]
  push:
    branches: [{{.Branch}}]

permissions:
  contents: read

env:
  BERTH_VERSION: {{.BerthVersion}}
  # SHA-256 of {{.Archive}}, from the release's SHA256SUMS
  BERTH_SHA256: {{.BerthSHA256}}
  AWS_REGION: {{.Region}}

jobs:
  plan:
    name: plan ({{.Env}})
    if: github.event_name == 'pull_request'
    runs-on: ubuntu-24.04
    permissions:
      contents: read
      id-token: write
    # a newer push to the pull request replaces the plan of the older one
    concurrency:
      group: berth-{{.Env}}-plan-${{ github.event.pull_request.number }}
      cancel-in-progress: true
    steps:
{{.Install}}
      - uses: {{.Credentials}} # {{.CredentialsTag}}
        with:
          role-to-assume: {{.PlanRole}}
          aws-region: ${{ env.AWS_REGION }}
      - name: berth check
        run: {{.Check}}
      - name: berth diff
        run: berth diff -f {{.Manifest}} --env {{.Env}}

  deploy:
    name: deploy ({{.Env}})
    if: github.event_name == 'push'
    runs-on: ubuntu-24.04{{.Environment}}
    permissions:
      contents: read
      id-token: write
    # one deploy of {{.Env}} at a time, never cancelled halfway: a newer push waits
    concurrency:
      group: berth-{{.Env}}
      cancel-in-progress: false
    steps:
{{.Install}}
      - uses: {{.Credentials}} # {{.CredentialsTag}}
        with:
          role-to-assume: {{.DeployRole}}
          aws-region: ${{ env.AWS_REGION }}
      - name: berth deploy
        run: berth deploy -f {{.Manifest}} --env {{.Env}} --yes
`

// githubInstall is the same first steps of both GitHub jobs: the repository, then
// berth, checked.
const githubInstall = `      - uses: {{.Checkout}} # {{.CheckoutTag}}
        with:
          persist-credentials: false
      - name: Install berth
        run: |
          curl -fsSLo "$RUNNER_TEMP/berth.tar.gz" "{{.ReleaseURL}}/${BERTH_VERSION}/berth_${BERTH_VERSION}_linux_amd64.tar.gz"
          echo "${BERTH_SHA256}  $RUNNER_TEMP/berth.tar.gz" | sha256sum -c -
          mkdir -p "$RUNNER_TEMP/bin"
          tar -xzf "$RUNNER_TEMP/berth.tar.gz" -C "$RUNNER_TEMP/bin" berth
          echo "$RUNNER_TEMP/bin" >> "$GITHUB_PATH"`

const gitlabWorkflow = `# berth for environment {{.Env}}: in a merge request's pipeline, berth check and berth diff
# (the plan, with its cost change, in the job log); on a push to {{.Branch}}, berth deploy.
# Written by "berth ci init gitlab" ({{.Generator}}): review it, then commit it.
#
# Credentials come only from OpenID Connect: each job gets an ID token (id_tokens, aud
# https://gitlab.com) that the AWS SDK in berth exchanges for a role "berth ci role"
# made (AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE), which trusts this project's
# branches (the plan role: it reads and prepares change sets) or its branch {{.Branch}}
# (the deploy role), and nothing else. No AWS key is stored anywhere.
stages:
  - plan
  - deploy

variables:
  BERTH_VERSION: "{{.BerthVersion}}"
  # SHA-256 of {{.Archive}}, from the release's SHA256SUMS
  BERTH_SHA256: "{{.BerthSHA256}}"
  AWS_REGION: "{{.Region}}"

.berth:
  image: alpine:3.22
  id_tokens:
    BERTH_ID_TOKEN:
      aud: https://gitlab.com
  before_script:
    - wget -qO /tmp/berth.tar.gz "{{.ReleaseURL}}/${BERTH_VERSION}/berth_${BERTH_VERSION}_linux_amd64.tar.gz"
    - echo "${BERTH_SHA256}  /tmp/berth.tar.gz" | sha256sum -c -
    - tar -xzf /tmp/berth.tar.gz -C /usr/local/bin berth
    - printf '%s' "$BERTH_ID_TOKEN" > /tmp/web-identity-token
    - export AWS_WEB_IDENTITY_TOKEN_FILE=/tmp/web-identity-token AWS_ROLE_SESSION_NAME="gitlab-$CI_JOB_ID"

berth-plan:
  extends: .berth
  stage: plan
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
  variables:
    AWS_ROLE_ARN: {{.PlanRole}}
  script:
    - {{.Check}}
    - berth diff -f {{.Manifest}} --env {{.Env}}

berth-deploy:
  extends: .berth
  stage: deploy
  rules:
    - if: $CI_PIPELINE_SOURCE == "push" && $CI_COMMIT_BRANCH == "{{.Branch}}"
  # one deploy of {{.Env}} at a time: a newer pipeline's waits
  resource_group: berth-{{.Env}}
  environment:
    name: {{.Env}}
  variables:
    AWS_ROLE_ARN: {{.DeployRole}}
  script:
    - berth deploy -f {{.Manifest}} --env {{.Env}} --yes
`
