// Package cirole is the stack of the roles CI jobs deploy with (berth ci role): whom
// each role trusts — one OpenID Connect provider, its audience and the subject of one
// repository and branch, said plainly — and its template: the provider when the account
// has none, a deploy role with berth's policy narrowed to one environment, and a plan
// role that only reads and prepares change sets, for pull requests.
//
// It is a room of the AWS path that makes no call: it must not import stacks, deploy
// or anything above it.
package cirole

import (
	"errors"
	"fmt"
	"strings"

	"github.com/berthdev/berth/internal/hint"
	"github.com/berthdev/berth/internal/lazyregexp"
)

// Provider is a CI service that issues OpenID Connect tokens to its jobs.
type Provider struct {
	Name string // github, gitlab: the flag and the stack name
	// Issuer is the provider's URL (the tokens' iss). Its host names the condition keys
	// of a trust policy: HOST:aud, HOST:sub.
	Issuer string
	// Audience is the aud of the tokens the jobs ask for: the provider's client ID.
	Audience string
	// where repositories live, and what one is called there
	site, repoWord string
}

// The two providers, as their documentation configures them with AWS.
var (
	// GitHub: "Configuring OpenID Connect in Amazon Web Services" (docs.github.com):
	// provider https://token.actions.githubusercontent.com, audience sts.amazonaws.com
	// (what aws-actions/configure-aws-credentials asks for).
	GitHub = Provider{Name: "github", Issuer: "https://token.actions.githubusercontent.com", Audience: "sts.amazonaws.com", site: "github.com", repoWord: "repository"}
	// GitLab: "Configure OpenID Connect in AWS to retrieve temporary credentials"
	// (docs.gitlab.com): provider and audience both the instance's address,
	// https://gitlab.com; the job asks for that aud in id_tokens.
	GitLab = Provider{Name: "gitlab", Issuer: "https://gitlab.com", Audience: "https://gitlab.com", site: "gitlab.com", repoWord: "project"}
)

// Host is the issuer without its scheme: the name of the provider in IAM
// (oidc-provider/HOST) and the prefix of its condition keys.
func (p Provider) Host() string { return strings.TrimPrefix(p.Issuer, "https://") }

// Trust says whose jobs may assume the roles.
type Trust struct {
	Provider Provider
	// Repo is OWNER/REPO (GitHub) or GROUP/PROJECT, subgroups too (GitLab); OWNER/*
	// with AnyRepo.
	Repo string
	// Exactly one of Branch, CIEnvironment and AnyBranch says which of its jobs deploy.
	Branch        string
	CIEnvironment string // a GitHub environment (its protection rules decide)
	AnyBranch     bool   // every branch, tag, pull request and environment
	AnyRepo       bool   // every repository of the owner: Repo is OWNER/*
}

var (
	githubRepo = lazyregexp.New(`^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?/(?:[A-Za-z0-9._-]+|\*)$`)
	gitlabRepo = lazyregexp.New(`^[A-Za-z0-9_][A-Za-z0-9._-]*(?:/[A-Za-z0-9_][A-Za-z0-9._-]*)*/(?:[A-Za-z0-9_][A-Za-z0-9._-]*|\*)$`)
	// a branch or environment name as it appears in the token's sub: what git and the
	// CI services allow, minus what a trust condition (*, ?), a workflow file (${{ }},
	// quotes) or a shell would read as something else
	refName = lazyregexp.New(`^[A-Za-z0-9_][A-Za-z0-9._/-]*$`)
)

// Validate refuses a trust that is not exactly one repository and one branch (or CI
// environment), unless it is asked for by its flag, and names that a condition or a
// workflow would read as something else.
func (t Trust) Validate() error {
	p := t.Provider
	re := githubRepo
	if p.Name == GitLab.Name {
		re = gitlabRepo
	}
	if !re.MatchString(t.Repo) {
		want := "OWNER/REPO, as GitHub spells it"
		if p.Name == GitLab.Name {
			want = "GROUP/PROJECT (subgroups too), as GitLab spells it"
		}
		return fmt.Errorf("--%s %q: want %s", p.Name, t.Repo, want)
	}
	owner, _ := strings.CutSuffix(t.Repo, "/*")
	if strings.HasSuffix(t.Repo, "/*") && !t.AnyRepo {
		return &Refused{fmt.Sprintf("--%s %s trusts every %s of %s: any workflow in any of them could deploy", p.Name, t.Repo, p.repoWord, owner),
			"name one " + p.repoWord + ", or pass --any-repository if that is what you want"}
	}
	if t.AnyRepo && !strings.HasSuffix(t.Repo, "/*") {
		return fmt.Errorf("--any-repository takes --%s OWNER/*", p.Name)
	}
	n := 0
	for _, set := range []bool{t.Branch != "", t.CIEnvironment != "", t.AnyBranch} {
		if set {
			n++
		}
	}
	switch {
	case n == 0:
		which := "the branch that deploys (--branch main)"
		if p.Name == GitHub.Name {
			which += " or the GitHub environment (--ci-environment production)"
		}
		return &Refused{fmt.Sprintf("no branch: the role would trust every branch, tag and pull request of %s", t.Repo),
			"name " + which + ", or pass --any-branch if every branch may deploy"}
	case n > 1:
		return fmt.Errorf("--branch, --ci-environment and --any-branch exclude each other")
	case t.CIEnvironment != "" && p.Name != GitHub.Name:
		return fmt.Errorf("--ci-environment: GitLab's tokens name the branch, not the environment, in their sub; use --branch")
	}
	for flag, v := range map[string]string{"--branch": t.Branch, "--ci-environment": t.CIEnvironment} {
		if v != "" && (!refName.MatchString(v) || strings.Contains(v, "..") || len(v) > 200) {
			return fmt.Errorf("%s %q: letters, digits and . _ / - only", flag, v)
		}
	}
	return nil
}

// Named completes t with the provider and repository of the flags --github and
// --gitlab (one of them) and validates it; what is wrong is a usage error.
func Named(github, gitlab string, t Trust) (Trust, error) {
	switch {
	case (github == "") == (gitlab == ""):
		return t, hint.Usage(errors.New("name the repository: --github OWNER/REPO or --gitlab GROUP/PROJECT"))
	case gitlab != "":
		t.Provider, t.Repo = GitLab, gitlab
	default:
		t.Provider, t.Repo = GitHub, github
	}
	if err := t.Validate(); err != nil {
		return t, hint.Usage(err)
	}
	return t, nil
}

// Refused is a trust wider than one repository and branch, not asked for.
type Refused struct{ msg, hint string }

func (e *Refused) Error() string { return e.msg }

// Hint says how to ask for it, or what to name instead.
func (e *Refused) Hint() string { return e.hint }

// Condition is one test of a trust policy: operator, key, value.
type Condition struct{ Op, Key, Value string }

// op is StringEquals for an exact value, StringLike only where the value holds a
// wildcard: IAM matches * in StringEquals literally, and a StringLike on an exact
// value would read as wider than it is.
func op(value string) string {
	if strings.Contains(value, "*") {
		return "StringLike"
	}
	return "StringEquals"
}

// DeploySubject is the sub of the jobs that may deploy. GitHub: repo:OWNER/REPO:ref:refs/heads/BRANCH
// or repo:OWNER/REPO:environment:NAME; GitLab: project_path:GROUP/PROJECT:ref_type:branch:ref:BRANCH
// (the formats of the two guides above).
func (t Trust) DeploySubject() string {
	if t.Provider.Name == GitLab.Name {
		if t.AnyBranch {
			return "project_path:" + t.Repo + ":*"
		}
		return "project_path:" + t.Repo + ":ref_type:branch:ref:" + t.Branch
	}
	switch {
	case t.AnyBranch:
		return "repo:" + t.Repo + ":*"
	case t.CIEnvironment != "":
		return "repo:" + t.Repo + ":environment:" + t.CIEnvironment
	}
	return "repo:" + t.Repo + ":ref:refs/heads/" + t.Branch
}

// PlanSubject is the sub of the jobs that may plan: GitHub's pull request jobs
// (repo:OWNER/REPO:pull_request; a pull request from a fork gets no token, its
// GITHUB_TOKEN being read-only); on GitLab, whose merge request pipelines run on their
// source branch, any branch of the project.
func (t Trust) PlanSubject() string {
	if t.Provider.Name == GitLab.Name {
		return "project_path:" + t.Repo + ":ref_type:branch:ref:*"
	}
	return "repo:" + t.Repo + ":pull_request"
}

// Conditions are the tests of a trust policy for subject: the audience and the
// subject, each exact unless the subject is a pattern.
func (t Trust) Conditions(subject string) []Condition {
	h := t.Provider.Host()
	return []Condition{{"StringEquals", h + ":aud", t.Provider.Audience}, {op(subject), h + ":sub", subject}}
}

// Allows says, for the plan shown before anything is made, who may assume each role.
func (t Trust) Allows(env string) []string {
	p, where := t.Provider, t.Provider.site+"/"+t.Repo
	var jobs string
	switch {
	case t.AnyBranch && p.Name == GitHub.Name:
		jobs = "every job of " + where + ", on any branch, tag, pull request or environment"
	case t.AnyBranch:
		jobs = "every job of " + where + ", on any branch or tag"
	case t.CIEnvironment != "":
		jobs = "jobs of " + where + " that run in its GitHub environment " + t.CIEnvironment + " (its protection rules decide which)"
	default:
		jobs = "jobs of " + where + " running on its branch " + t.Branch
	}
	if t.AnyRepo {
		jobs = strings.Replace(jobs, where, "any "+p.repoWord+" of "+strings.TrimSuffix(where, "/*"), 1)
		where = "any " + p.repoWord + " of " + strings.TrimSuffix(where, "/*")
	}
	plan := "pull requests of " + where + " (from its own branches: a fork's pull request gets no token)"
	if p.Name == GitLab.Name {
		plan = "jobs of " + where + " on any branch (merge request pipelines run on theirs)"
	}
	return []string{
		fmt.Sprintf("deploy role: %s may deploy to %s (token from %s, aud %s, sub %s)", jobs, env, p.Issuer, p.Audience, t.DeploySubject()),
		fmt.Sprintf("plan role: %s may run berth diff: read the environment and prepare change sets, which change nothing (sub %s)", plan, t.PlanSubject()),
	}
}

// Tag is the value of names.TagCI: provider:repository.
func (t Trust) Tag() string { return t.Provider.Name + ":" + t.Repo }

// ProviderNamed is the provider called name (github, gitlab), or false.
func ProviderNamed(name string) (Provider, bool) {
	switch name {
	case GitHub.Name:
		return GitHub, true
	case GitLab.Name:
		return GitLab, true
	}
	return Provider{}, false
}
