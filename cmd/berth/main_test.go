package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/identity"
	"github.com/berthdev/berth/internal/manifest"
)

// bin is the real berth binary, built once for the tests that run it as a user would.
var bin string

func TestMain(m *testing.M) {
	// berth behaves otherwise in a CI job (no question, no colour, a job summary): the
	// tests are the same wherever they run, and the CI tests say so themselves
	for _, k := range []string{"CI", "GITHUB_ACTIONS", "GITLAB_CI", "GITHUB_STEP_SUMMARY"} {
		os.Unsetenv(k)
	}
	// the end-to-end tests mostly wait (on health checks, the emulator, timeouts), so
	// more of them run at once than there are cores, unless -parallel says otherwise
	flag.Parse()
	parallel := false
	flag.Visit(func(f *flag.Flag) { parallel = parallel || f.Name == "test.parallel" })
	if !parallel {
		flag.Set("test.parallel", "6")
	}
	dir, err := os.MkdirTemp("", "berth-bin")
	if err != nil {
		panic(err)
	}
	bin = filepath.Join(dir, "berth")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		panic(string(out))
	}
	apiLog = filepath.Join(dir, "api.log")
	code := m.Run()
	stopMoto()
	if code != 0 {
		emulatorTracebacks()
	}
	if code == 0 {
		code = checkAPICalls()
	}
	if code == 0 {
		code = reportSkipped()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// apiLog is where every berth run against moto records the AWS calls it made.
var apiLog string

// checkAPICalls fails the package when berth made an AWS call that "berth iam-policy"
// does not grant: the policy is only least privilege if it is also enough.
func checkAPICalls() int {
	data, err := os.ReadFile(apiLog)
	if err != nil {
		return 0 // no AWS test ran
	}
	seen := map[string]bool{}
	missing := 0
	for _, call := range strings.Fields(string(data)) {
		if seen[call] {
			continue
		}
		seen[call] = true
		if !identity.Granted(call) {
			fmt.Fprintf(os.Stderr, "FAIL: berth called %s, which berth iam-policy does not grant\n", call)
			missing++
		}
	}
	fmt.Printf("the AWS tests made %d distinct calls, all granted by berth iam-policy: %v\n", len(seen), missing == 0)
	if missing > 0 {
		return 1
	}
	return 0
}

type result struct {
	stdout, stderr string
	code           int
}

func berth(t *testing.T, dir string, args ...string) result {
	t.Helper()
	return berthWith(t, dir, os.Environ(), args...)
}

// issueExample is the manifest of issue 2, kept once as a synth test case.
const issueExample = "../../internal/synth/testdata/orders/berth.yml"

func TestSynthWritesFourTemplates(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	example, err := os.ReadFile(issueExample)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "berth.yml"), string(example))
	r := berth(t, dir, "synth", "-f", "berth.yml", "-o", "out")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "out"))
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "cluster.yml ingress.yml network.yml parent.yml service.yml" {
		t.Errorf("wrote %v", names)
	}
	first, _ := os.ReadFile(filepath.Join(dir, "out", "service.yml"))
	berth(t, dir, "synth", "-o", "again")
	second, _ := os.ReadFile(filepath.Join(dir, "again", "service.yml"))
	if !bytes.Equal(first, second) || !bytes.Contains(first, []byte("HealthCheckPath: /healthz")) {
		t.Error("two runs of synth differ, or the manifest's health path is missing")
	}
}

func TestInvalidManifestExits2AndWritesNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "berth.yml"), []byte("name: orders\ncapacity:\n  instance_type: large\n"), 0o644)
	r := berth(t, dir, "synth", "-o", "out")
	if r.code != 2 {
		t.Errorf("exit %d, want 2", r.code)
	}
	want := `berth: berth.yml:3: capacity.instance_type: "large" is not an EC2 instance type (family.size, like c5.xlarge or m7i.large)` + "\n"
	if r.stderr != want {
		t.Errorf("stderr %q\nwant   %q", r.stderr, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); err == nil {
		t.Error("synth wrote output for an invalid manifest")
	}
}

func TestMissingManifestHints(t *testing.T) {
	t.Parallel()
	r := berth(t, t.TempDir(), "synth")
	if r.code != 2 || !strings.Contains(r.stderr, "no manifest at berth.yml") || !strings.Contains(r.stderr, "hint: run \"berth init\"") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestUnknownFlagIsUsage(t *testing.T) {
	t.Parallel()
	if r := berth(t, t.TempDir(), "synth", "--nope"); r.code != 2 {
		t.Errorf("exit %d: %s", r.code, r.stderr)
	}
}

func TestInitThenCheck(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if r := berth(t, dir, "init"); r.code != 0 {
		t.Fatalf("init: %d %s", r.code, r.stderr)
	}
	if r := berth(t, dir, "init"); r.code != 2 || !strings.Contains(r.stderr, "--force") {
		t.Errorf("second init: exit %d %q", r.code, r.stderr)
	}
	// the starter has no domain: every rule passes but HTTPS-only, which says what to do
	r := berth(t, dir, "check")
	if r.code != 1 || !strings.Contains(r.stdout, "fail on 1,") || strings.Count(r.stdout, "  fail") != 1 ||
		!strings.Contains(r.stdout, "forwards plain HTTP on the environment's shared HTTP listener; serve the service on a domain, and its HTTP requests redirect to HTTPS (berth does with domain: in berth.yml)") {
		t.Errorf("check of the starter: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = berth(t, dir, "check", "--ignore", "BERTH009")
	if r.code != 0 || !strings.Contains(r.stdout, "fail on 0, skipped on 0, failures ignored on 1") {
		t.Errorf("check --ignore BERTH009: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := berth(t, dir, "check", "--ignore", "BERTH999"); r.code != 2 || !strings.Contains(r.stderr, `no rule "BERTH999"`) {
		t.Errorf("check --ignore of an unknown rule: exit %d %s", r.code, r.stderr)
	}
}

// A password in a manifest's env is plain text in the task definition: berth check
// says so, naming the variable and not its value, and the same service with the value
// in secrets passes.
func TestCheckFailsAPasswordInEnv(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "berth.yml"), "name: orders\nenv:\n  DB_PASSWORD: hunter2-in-plain-text\n")
	r := berth(t, dir, "check")
	if r.code != 1 || !strings.Contains(r.stdout, "fail    service.yml:") || !strings.Contains(r.stdout, "DB_PASSWORD (its name)") {
		t.Errorf("exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, "hunter2") {
		t.Errorf("berth check printed the value:\n%s", r.stdout)
	}
	writeFile(t, filepath.Join(dir, "berth.yml"), "name: orders\nsecrets:\n  DB_PASSWORD: ssm:/orders/db-password\n")
	// BERTH009 (plain HTTP without domain:) is not what this test is about
	if r := berth(t, dir, "check", "--ignore", "BERTH009"); r.code != 0 || !regexp.MustCompile(`BERTH010 .*\n\s+pass\s+service.yml:\d+ TaskDefinition`).MatchString(r.stdout) {
		t.Errorf("with secrets: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestCheckFailsBadTemplates(t *testing.T) {
	t.Parallel()
	fixture, _ := filepath.Abs("../../internal/check/testdata/bad-service.yml")
	r := berth(t, t.TempDir(), "check", fixture)
	if r.code != 1 {
		t.Errorf("exit %d, want 1", r.code)
	}
	for _, id := range []string{"BERTH001", "BERTH002", "BERTH003", "BERTH006", "BERTH007", "BERTH008"} {
		if !strings.Contains(r.stdout, id) {
			t.Errorf("output lacks %s", id)
		}
	}
	if !strings.Contains(r.stdout, "  fail    bad-service.yml:") {
		t.Errorf("no failing line:\n%s", r.stdout)
	}
	js := berth(t, t.TempDir(), "check", "-o", "json", fixture)
	if js.code != 1 || !strings.Contains(js.stdout, `"status":"fail"`) {
		t.Errorf("json: exit %d\n%s", js.code, js.stdout)
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	if r := berth(t, t.TempDir(), "version"); r.code != 0 || !strings.HasPrefix(r.stdout, "berth ") {
		t.Errorf("%+v", r)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// With awsvpc, a task takes a network interface: synth says when count cannot fit.
func TestSynthWarnsWhenTasksCannotFit(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "berth.yml"), "name: big\ncount: 8\ncapacity:\n  max: 2\n")
	r := berth(t, dir, "synth", "-o", "out")
	if r.code != 0 || !strings.Contains(r.stderr, "warning: a rollout runs up to 16 task(s) (count 8 at max_percent 200), but capacity.max 2 instance(s) hold 6: c5.xlarge holds 3 awsvpc task(s)") {
		t.Errorf("exit %d:\n%s", r.code, r.stderr)
	}
	example, _ := filepath.Abs(issueExample)
	if r := berth(t, dir, "synth", "-f", example, "-o", "out2"); r.code != 0 || r.stderr != "" {
		t.Errorf("a manifest that fits got: %s", r.stderr)
	}
}

// Issue 10, case 9: -f naming a directory, an empty -o and -o /dev/null exited 1; they are
// usage errors.
func TestSynthBadPathsAreUsageErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "berth.yml"), "name: orders\n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"synth", "-f", "."}, "berth: . is a directory, not a manifest\nhint: point -f at the manifest file, such as berth.yml\n"},
		{[]string{"check", "-f", dir}, "is a directory, not a manifest"},
		{[]string{"synth", "-o", ""}, "berth: --output-dir is empty: name the directory to write the templates to\n"},
		{[]string{"synth", "-o", "/dev/null"}, "berth: --output-dir /dev/null is not a directory\n"},
		{[]string{"synth", "-o", "berth.yml"}, "--output-dir berth.yml is not a directory"},
	} {
		r := berth(t, dir, tc.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("berth %q: exit %d, stderr %q; want 2 and %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "berth.yml")); string(b) != "name: orders\n" {
		t.Errorf("the manifest was overwritten: %q", b)
	}
}

// Issue 10, cases 3, 4 and 7 through the CLI: exit 2, one line naming the line and key,
// nothing written.
func TestInvalidInputExits2(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ src, want string }{
		{"name: orders\n---\nport: 8080\n", "berth: berth.yml:2: a second YAML document starts here"},
		{"name: orders\nimage:\n  build: ''\n", "berth: berth.yml:3: image.build: must not be empty"},
		{"name: orders\nenv:\n  A: !Ref X\n", "berth: berth.yml:3: env.A: the YAML tag !Ref is not supported"},
		{"name: orders\nhealth:\n  path: \"/\\r\"\n", `berth: berth.yml:3: health.path: "/\r" is not a URI path`},
	} {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "berth.yml"), tc.src)
		r := berth(t, dir, "synth", "-o", "out")
		if r.code != 2 || !strings.HasPrefix(r.stderr, tc.want) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", tc.src, r.code, r.stderr, tc.want)
		}
		if _, err := os.Stat(filepath.Join(dir, "out")); err == nil {
			t.Errorf("%q: synth wrote output", tc.src)
		}
	}
}

// Issue 10, case 2: berth check, meant for contributed templates in CI, expanded YAML
// aliases without limit (a 538-byte template reached 3 GB). Hostile templates now fail
// clearly, as other bad templates do (exit 1), within bounded memory.
func TestCheckRefusesHostileTemplates(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var bomb strings.Builder
	bomb.WriteString("Resources:\n  R:\n    Type: AWS::SNS::Topic\n    Properties:\n      l0: &l0 [x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 9; i++ {
		p := fmt.Sprintf("*l%d", i-1)
		fmt.Fprintf(&bomb, "      l%d: &l%d [%s]\n", i, i, strings.Repeat(p+", ", 8)+p)
	}
	writeFile(t, filepath.Join(dir, "bomb.yml"), bomb.String())
	for _, tc := range []struct{ file, want string }{
		{"bomb.yml", "berth: bomb.yml: line 5: YAML aliases expand the template past 250000 values"},
		{"/dev/zero", "berth: /dev/zero: the template is larger than 1024 KiB (CloudFormation's limit is 1 MB)"},
	} {
		cmd := exec.Command(bin, "check", tc.file)
		cmd.Dir = dir
		var stderr strings.Builder
		cmd.Stderr = &stderr
		err := cmd.Run()
		code := cmd.ProcessState.ExitCode()
		if err != nil && code < 0 {
			t.Fatal(err)
		}
		if code != 1 || !strings.HasPrefix(stderr.String(), tc.want) {
			t.Errorf("check %s: exit %d, stderr %q; want 1 and %q", tc.file, code, stderr.String(), tc.want)
		}
		// a memory bound, not a timing: the bomb took 1.9 GB before the fix
		if peak, ok := peakRSS(cmd.ProcessState); ok && peak > 256<<20 {
			t.Errorf("check %s: peak memory %d MiB, want under 256 MiB", tc.file, peak>>20)
		}
	}
}

// berth iam-policy --dir writes the policies docs/aws.md shows how to create, each a
// policy document, and prints the commands with their names.
func TestIAMPolicyDirWritesEachPolicyAndTheCommands(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := berth(t, dir, "iam-policy", "--dir", "policies")
	if r.code != 0 || !strings.Contains(r.stdout, "aws iam create-policy --policy-name berth-1-of-") {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "policies", "berth-*-of-*.json"))
	if len(files) < 2 || strings.Count(r.stdout, "aws iam create-policy") != len(files) {
		t.Fatalf("%d files for:\n%s", len(files), r.stdout)
	}
	for _, f := range files {
		var doc struct{ Version string }
		if b, err := os.ReadFile(f); err != nil || json.Unmarshal(b, &doc) != nil || doc.Version != "2012-10-17" {
			t.Errorf("%s is not a policy document: %v", f, err)
		}
	}
}

// A misspelled region is refused, naming the closest real one, before any call: the
// endpoint here answers nothing, and the message is not about reaching it.
func TestAMisspelledRegionIsRefusedBeforeAnyCall(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "berth.yml"), []byte("name: api\n"), 0o644)
	env := append(os.Environ(), "AWS_ENDPOINT_URL=http://127.0.0.1:1", "AWS_ACCESS_KEY_ID=x", "AWS_SECRET_ACCESS_KEY=x",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	for _, args := range [][]string{{"status", "--region", "eu-wset-1"}, {"cost", "--region", "eu-wset-1"}, {"iam-policy", "--region", "eu-wset-1"}} {
		r := berthWith(t, dir, env, args...)
		if r.code != 1 || !strings.Contains(r.stderr, `"eu-wset-1" is not an AWS region berth knows; did you mean eu-west-1?`) ||
			strings.Contains(r.stderr, "could not be reached") {
			t.Errorf("berth %s: exit %d\n%s", strings.Join(args, " "), r.code, r.stderr)
		}
	}
}

// berth init in a directory named shop with a Go main package writes name: shop and
// image.build: ., and with a Dockerfile exposing 8000, port: 8000; each guess says why.
func TestInitReadsTheApp(t *testing.T) {
	t.Parallel()
	shop := filepath.Join(t.TempDir(), "shop")
	os.MkdirAll(shop, 0o755)
	os.WriteFile(filepath.Join(shop, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644)
	r := berth(t, shop, "init")
	m, err := manifest.Load(filepath.Join(shop, "berth.yml"))
	if r.code != 0 || err != nil || m.Name != "shop" || m.Image.Build != "." || m.Image.Location != "" ||
		!strings.Contains(r.stdout, "name: shop   (the directory's name)") || !strings.Contains(r.stdout, "a Go main package") {
		t.Fatalf("exit %d, %v: %+v\n%s%s", r.code, err, m, r.stdout, r.stderr)
	}
	os.WriteFile(filepath.Join(shop, "Dockerfile"), []byte("FROM python:3.12\nEXPOSE 8000\n"), 0o644)
	r = berth(t, shop, "init", "--force")
	if m, err = manifest.Load(filepath.Join(shop, "berth.yml")); r.code != 0 || err != nil || m.Port != 8000 ||
		!strings.Contains(r.stdout, "port: 8000   (EXPOSE 8000 in the Dockerfile (line 2))") {
		t.Errorf("with a Dockerfile: exit %d, %v, port %d\n%s%s", r.code, err, m.Port, r.stdout, r.stderr)
	}
}
