package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// secretsApp writes a service that berth up builds from a Dockerfile whose context is
// the manifest's own directory, with COPY . (everything in it, the secrets file next to
// berth.yml included, were berth to send it), and returns the directory.
func secretsApp(t *testing.T, name, extra string) string {
	t.Helper()
	needDocker(t)
	dir := t.TempDir()
	arch, err := exec.Command("docker", "version", "-f", "{{.Server.Arch}}").Output()
	if err != nil {
		t.Fatal(err)
	}
	build := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(dir, "app"), "./testdata/app")
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+strings.TrimSpace(string(arch)))
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the test app: %v\n%s", err, out)
	}
	writeFile(t, filepath.Join(dir, "Dockerfile"), "FROM scratch\nCOPY . /srv/\nUSER 65532\nENTRYPOINT [\"/srv/app\"]\n")
	writeFile(t, filepath.Join(dir, "berth.yml"), fmt.Sprintf("name: %s\nimage:\n  build: .\nport: 8080\ncount: 1\nhealth:\n  path: /health\n%s", name, extra))
	return dir
}

// containerEnv is a replica's environment as "docker inspect" shows it.
func containerEnv(t *testing.T, env string) map[string]string {
	t.Helper()
	ids := labelled(t, "container", env)
	if len(ids) == 0 {
		t.Fatal("no replica")
	}
	out, err := exec.Command("docker", "inspect", "-f", "{{json .Config.Env}} {{json .Mounts}}", ids[0]).Output()
	if err != nil {
		t.Fatal(err)
	}
	envJSON, mounts, _ := strings.Cut(strings.TrimSpace(string(out)), " ")
	if mounts != "[]" {
		t.Errorf("the replica has mounts: %s", mounts)
	}
	var list []string
	json.Unmarshal([]byte(envJSON), &list)
	vars := map[string]string{}
	for _, kv := range list {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	return vars
}

// Issue 16, locally: the app sees the secret from the secrets file next to berth.yml;
// the file is not in the image, though the Dockerfile copies the whole directory; the
// value is in none of berth's output; and the replica gets no AWS credentials, though
// berth's own environment has some.
func TestUpTakesSecretsFromTheLocalFileNotIntoTheImage(t *testing.T) {
	const value = "greeting-from-the-secrets-file-4d2e"
	dir := secretsApp(t, "sekrit", "secrets:\n  APP_GREETING: ssm:/sekrit/greeting\n")
	writeFile(t, filepath.Join(dir, "berth.secrets.env"), "# local values of berth.yml's secrets\nAPP_GREETING=\""+value+"\"\n")
	os.Chmod(filepath.Join(dir, "berth.secrets.env"), 0o600)
	t.Setenv("APP_GREETING", "")
	os.Unsetenv("APP_GREETING")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "not-for-the-replicas")

	p := launchUp(t, dir, "e2e-secrets")
	p.waitFor("ready: ", 3*time.Minute)
	resp, err := http.Get(p.url + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.HasPrefix(string(body), value+" from ") {
		t.Errorf("the app says %q, want the secret from the file", body)
	}
	if !strings.Contains(p.out.String(), "secrets: APP_GREETING (berth.secrets.env)") {
		t.Errorf("berth up does not say where the secret comes from:\n%s", p.out.String())
	}
	vars := containerEnv(t, p.env)
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
		if _, ok := vars[k]; ok {
			t.Errorf("the replica has %s without --aws-profile", k)
		}
	}

	// the image's filesystem: what COPY . took, without the secrets file
	id, err := exec.Command("docker", "create", "berth.local/sekrit:latest").Output()
	if err != nil {
		t.Fatal(err)
	}
	defer exec.Command("docker", "rm", strings.TrimSpace(string(id))).Run()
	export := exec.Command("sh", "-c", "docker export "+strings.TrimSpace(string(id))+" | tar -t")
	files, err := export.Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(files), "srv/berth.yml") || !strings.Contains(string(files), "srv/app") || strings.Contains(string(files), "berth.secrets.env") {
		t.Errorf("the image holds:\n%s", files)
	}
	if err := p.interrupt(); err != nil {
		t.Errorf("berth up: %v", err)
	}
	if strings.Contains(p.out.String(), value) {
		t.Errorf("berth up printed the secret's value:\n%s", p.out.String())
	}
}

// A missing secret stops berth up before anything starts, naming it and its line.
func TestUpStopsOnAMissingSecret(t *testing.T) {
	dir := secretsApp(t, "nosecret", "secrets:\n  APP_GREETING: ssm:/x\n  API_KEY: secretsmanager:y\n")
	os.Unsetenv("APP_GREETING")
	t.Setenv("API_KEY", "from-the-environment")
	r := berthWith(t, dir, os.Environ(), "up", "--env", "e2e-nosec", "--listen", "127.0.0.1:0")
	if r.code != 1 || !strings.Contains(r.stderr, "berth: berth.yml:9: secrets.APP_GREETING: no value for berth up, which reads secrets from the environment, then from berth.secrets.env\n") ||
		!strings.Contains(r.stderr, "hint: add APP_GREETING=... to berth.secrets.env") {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if c := labelled(t, "container", "e2e-nosec"); len(c) > 0 {
		t.Errorf("containers started: %v", c)
	}
}

// With --aws-profile, and only then, replicas get the profile's credentials: short-lived
// ones (a session in exchange for the profile's access keys, from the emulator's STS),
// never the keys themselves nor the ~/.aws directory.
func TestUpGivesAWSCredentialsOnlyWithAProfile(t *testing.T) {
	motoEnv := awsEnv(t)
	var endpoint string
	for _, kv := range motoEnv {
		if v, ok := strings.CutPrefix(kv, "AWS_ENDPOINT_URL="); ok {
			endpoint = v
		}
	}
	dir := secretsApp(t, "creds", "permissions:\n  - arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess\n")
	aws := t.TempDir()
	writeFile(t, filepath.Join(aws, "config"), "[profile dev]\nregion = eu-west-1\n")
	writeFile(t, filepath.Join(aws, "credentials"), "[dev]\naws_access_key_id = AKIALONGTERMKEYS0001\naws_secret_access_key = long-term-secret-key\n")
	for k, v := range map[string]string{"AWS_ENDPOINT_URL": endpoint, "AWS_CONFIG_FILE": filepath.Join(aws, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(aws, "credentials"), "AWS_PROFILE": "", "AWS_REGION": "", "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""} {
		t.Setenv(k, v)
	}
	p := launchUp(t, dir, "e2e-creds", "--aws-profile", "dev")
	p.waitFor("ready: ", 3*time.Minute)
	vars := containerEnv(t, p.env)
	if vars["AWS_SESSION_TOKEN"] == "" || vars["AWS_ACCESS_KEY_ID"] == "" || vars["AWS_ACCESS_KEY_ID"] == "AKIALONGTERMKEYS0001" ||
		vars["AWS_SECRET_ACCESS_KEY"] == "long-term-secret-key" || vars["AWS_REGION"] != "eu-west-1" {
		t.Errorf("the replica's AWS environment: key %q, session token set %v, region %q", vars["AWS_ACCESS_KEY_ID"], vars["AWS_SESSION_TOKEN"] != "", vars["AWS_REGION"])
	}
	out := p.out.String()
	if !strings.Contains(out, "AWS credentials: profile dev, a 1h0m0s session for its access keys, until ") {
		t.Errorf("berth up does not say what credentials the replicas get:\n%s", out)
	}
	if (vars["AWS_SECRET_ACCESS_KEY"] != "" && strings.Contains(out, vars["AWS_SECRET_ACCESS_KEY"])) || strings.Contains(out, "long-term-secret-key") {
		t.Errorf("berth up printed a secret key:\n%s", out)
	}

	// the same service without the flag: no credentials, and berth up says so
	p.interrupt()
	q := launchUp(t, dir, "e2e-nocreds")
	q.waitFor("ready: ", 3*time.Minute)
	if v := containerEnv(t, q.env); v["AWS_ACCESS_KEY_ID"] != "" || v["AWS_SESSION_TOKEN"] != "" {
		t.Errorf("credentials without --aws-profile")
	}
	if !strings.Contains(q.out.String(), "AWS credentials: none; on AWS the tasks have the role of permissions (pass --aws-profile") {
		t.Errorf("no word about credentials:\n%s", q.out.String())
	}
}
