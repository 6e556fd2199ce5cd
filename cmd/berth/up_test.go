package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// These tests run the real binary against the real Docker engine, on the repository's
// berth.yml (the example API). They skip when no engine answers.

func needDocker(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the local e2e tests start containers")
	}
	if err := exec.Command("docker", "info").Run(); err != nil {
		t.Skip("no Docker engine reachable (docker info failed): the local e2e tests need one")
	}
}

type upProcess struct {
	t    *testing.T
	cmd  *exec.Cmd
	out  *lockedBuffer
	url  string
	env  string
	done chan struct{} // closed when the process has exited
	err  error
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func startUp(t *testing.T, env string, extra ...string) *upProcess {
	t.Helper()
	root, _ := filepath.Abs("../..")
	p := launchUp(t, root, env, extra...)
	start := time.Now()
	p.waitFor("ready: ", 3*time.Minute) // the first build of a clean machine compiles the API
	first, _, _ := strings.Cut(p.out.String(), "\n")
	t.Logf("berth up ready after %s (%s)", time.Since(start).Round(time.Millisecond), first)
	return p
}

// launchUp starts berth up in dir without waiting for anything.
func launchUp(t *testing.T, dir, env string, extra ...string) *upProcess {
	t.Helper()
	needDocker(t)
	port := freePort(t)
	args := append([]string{"up", "--env", env, "--listen", fmt.Sprintf("127.0.0.1:%d", port)}, extra...)
	p := &upProcess{t: t, out: &lockedBuffer{}, url: fmt.Sprintf("http://127.0.0.1:%d", port), env: env, done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Dir = dir
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-p.done:
		case <-time.After(40 * time.Second):
			p.cmd.Process.Kill()
		}
		exec.Command(bin, "down", "--env", env).Run()
		if t.Failed() {
			t.Logf("berth up output:\n%s", p.out.String())
		}
	})
	return p
}

// testApp writes a manifest for the test app (testdata/app) into a new directory, with
// extra YAML appended, and returns the directory.
func testApp(t *testing.T, name, extra string) string {
	t.Helper()
	app, _ := filepath.Abs("testdata/app")
	dir := t.TempDir()
	if !strings.Contains(extra, "health:") {
		extra += "health:\n  path: /health\n"
	}
	writeFile(t, filepath.Join(dir, "berth.yml"), fmt.Sprintf("name: %s\nimage:\n  build: %s\nport: 8080\n%s", name, app, extra))
	return dir
}

// interrupt sends Ctrl-C and waits for berth up to exit.
func (p *upProcess) interrupt() error {
	p.t.Helper()
	p.cmd.Process.Signal(syscall.SIGINT)
	return p.wait()
}

// wait waits for berth up to exit.
func (p *upProcess) wait() error {
	p.t.Helper()
	select {
	case <-p.done:
		return p.err
	case <-time.After(40 * time.Second):
		p.t.Fatal("berth up did not stop within 40 s of Ctrl-C")
		return nil
	}
}

func (p *upProcess) waitFor(text string, d time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if strings.Contains(p.out.String(), text) {
			return
		}
		select {
		case <-p.done:
			p.t.Fatalf("berth up exited (%v) before %q:\n%s", p.err, text, p.out.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	p.t.Fatalf("no %q within %s:\n%s", text, d, p.out.String())
}

type replicaIdentity struct {
	Task     string `json:"task"`
	Revision string `json:"revision"`
}

func getIdentity(url string) (replicaIdentity, int, error) {
	resp, err := http.Get(url)
	if err != nil {
		return replicaIdentity{}, 0, err
	}
	defer resp.Body.Close()
	var id replicaIdentity
	body, _ := io.ReadAll(resp.Body)
	json.Unmarshal(body, &id)
	return id, resp.StatusCode, nil
}

// tasks waits until n distinct replicas have answered through the load balancer.
func tasks(t *testing.T, url string, n int) map[string]bool {
	t.Helper()
	seen := map[string]bool{}
	deadline := time.Now().Add(30 * time.Second)
	for len(seen) < n && time.Now().Before(deadline) {
		if id, code, err := getIdentity(url + "/"); err == nil && code == 200 {
			seen[id.Task] = true
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(seen) < n {
		t.Fatalf("%d distinct replicas answered, want %d", len(seen), n)
	}
	return seen
}

func labelled(t *testing.T, kind, env string) []string {
	args := []string{kind, "ls", "-q", "--filter", "label=dev.berth.env=" + env}
	if kind == "container" {
		args = append(args, "-a")
	}
	out, err := exec.Command("docker", args...).Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(out))
}

func TestUpServesTwoReplicasAndCleansUp(t *testing.T) {
	t.Parallel()
	p := startUp(t, "e2e-two")
	if got := tasks(t, p.url, 2); len(got) != 2 {
		t.Errorf("replicas %v", got)
	}
	ids := labelled(t, "container", p.env)
	if len(ids) != 2 {
		t.Fatalf("%d containers, want 2", len(ids))
	}

	// No replica is reachable on a non-loopback address of the host: its only published
	// port is bound to 127.0.0.1, and the host side of berth's own network refuses it.
	for _, id := range ids {
		out, _ := exec.Command("docker", "inspect", "-f", "{{json .NetworkSettings.Ports}}", id).Output()
		var ports map[string][]struct{ HostIp, HostPort string }
		json.Unmarshal(out, &ports)
		for port, bindings := range ports {
			for _, b := range bindings {
				if b.HostIp != "127.0.0.1" {
					t.Errorf("%s: %s published on %q", id[:12], port, b.HostIp)
				}
				gw, _ := exec.Command("docker", "network", "inspect", "-f", "{{(index .IPAM.Config 0).Gateway}}", "berth-"+p.env+"-api").Output()
				if g := strings.TrimSpace(string(gw)); g != "" {
					if c, err := net.DialTimeout("tcp", net.JoinHostPort(g, b.HostPort), time.Second); err == nil {
						c.Close()
						t.Errorf("replica port %s answers on the host address %s", b.HostPort, g)
					}
				}
			}
		}
	}

	status := berth(t, ".", "status", "--local", "--env", p.env, "-o", "json")
	if status.code != 0 || strings.Count(status.stdout, `"health": "healthy"`) != 2 || !strings.Contains(status.stdout, p.url) {
		t.Errorf("status --local: %d\n%s%s", status.code, status.stdout, status.stderr)
	}

	p.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-p.done:
	case <-time.After(40 * time.Second):
		t.Fatal("berth up did not stop within 40 s of Ctrl-C")
	}
	if c, n := labelled(t, "container", p.env), labelled(t, "network", p.env); len(c)+len(n) > 0 {
		t.Errorf("after Ctrl-C: containers %v, networks %v remain", c, n)
	}
}

// load sends requests from several clients until stop is closed, and counts failures.
func load(url string, clients int, stop <-chan struct{}) (ok, failed *atomic.Int64, wait func()) {
	ok, failed = &atomic.Int64{}, &atomic.Int64{}
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &http.Client{Timeout: 10 * time.Second}
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := c.Get(url + "/")
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				if err != nil || resp.StatusCode != 200 {
					failed.Add(1)
				} else {
					ok.Add(1)
				}
				time.Sleep(5 * time.Millisecond)
			}
		}()
	}
	return ok, failed, wg.Wait
}

func TestKilledReplicaIsReplaced(t *testing.T) {
	t.Parallel()
	p := startUp(t, "e2e-kill")
	tasks(t, p.url, 2)
	stop := make(chan struct{})
	const clients = 4
	ok, failed, wait := load(p.url, clients, stop)
	time.Sleep(500 * time.Millisecond)
	victim := labelled(t, "container", p.env)[0]
	if err := exec.Command("docker", "kill", victim).Run(); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	p.waitFor("exited with code", 10*time.Second)
	p.waitFor("api-3 is healthy", 30*time.Second)
	replaced := time.Since(killed)
	time.Sleep(time.Second)
	close(stop)
	wait()
	t.Logf("replacement healthy %s after docker kill; %d requests ok, %d failed", replaced.Round(time.Millisecond), ok.Load(), failed.Load())
	if failed.Load() > clients {
		t.Errorf("%d requests failed: more than the %d that can be in flight on the killed replica", failed.Load(), clients)
	}
	if replaced > 3*6*time.Second {
		t.Errorf("replacement took %s, more than three health-check intervals", replaced)
	}
	tasks(t, p.url, 2)
}

func TestRolloutUnderLoadLosesNothing(t *testing.T) {
	t.Parallel()
	p := startUp(t, "e2e-roll")
	before := tasks(t, p.url, 2)
	stop := make(chan struct{})
	ok, failed, wait := load(p.url, 8, stop)
	time.Sleep(500 * time.Millisecond)
	if r := berth(t, ".", "reload", "--env", p.env); r.code != 0 {
		t.Fatalf("reload: %d %s", r.code, r.stderr)
	}
	p.waitFor("rollout complete", 90*time.Second)
	time.Sleep(500 * time.Millisecond)
	close(stop)
	wait()
	t.Logf("rollout under load: %d requests ok, %d failed", ok.Load(), failed.Load())
	if failed.Load() != 0 {
		t.Errorf("%d requests failed during the rollout", failed.Load())
	}
	if ok.Load() < 100 {
		t.Errorf("only %d requests: the load did not run", ok.Load())
	}
	after := tasks(t, p.url, 2)
	for task := range after {
		if before[task] {
			t.Errorf("replica %s survived the rollout", task)
		}
	}
}

func TestDownRemovesWhatACrashLeft(t *testing.T) {
	t.Parallel()
	p := startUp(t, "e2e-down")
	tasks(t, p.url, 2)   // both replicas run: "ready" comes with the first now
	p.cmd.Process.Kill() // a crash: no drain, no cleanup
	<-p.done
	if len(labelled(t, "container", p.env)) != 2 {
		t.Fatalf("expected the crashed up's 2 containers to remain")
	}
	st := berth(t, ".", "status", "--local", "--env", p.env)
	if !strings.Contains(st.stdout, "no berth up is running") {
		t.Errorf("status after a crash:\n%s", st.stdout)
	}
	r := berth(t, ".", "down", "--env", p.env)
	if r.code != 0 || !strings.Contains(r.stdout, "removed 2 container(s) and 1 network(s)") {
		t.Errorf("down: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if c, n := labelled(t, "container", p.env), labelled(t, "network", p.env); len(c)+len(n) > 0 {
		t.Errorf("after down: containers %v, networks %v", c, n)
	}
}

// A missing image.location that cannot be pulled fails in one line.
func TestUpMissingImageSaysSoInOneLine(t *testing.T) {
	t.Parallel()
	needDocker(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "berth.yml"), "name: ghost\nimage:\n  location: berth.invalid/nothing:here\n")
	r := berth(t, dir, "up", "--env", "e2e-ghost", "--listen", fmt.Sprintf("127.0.0.1:%d", freePort(t)))
	if r.code != 1 || !strings.Contains(r.stderr, "image berth.invalid/nothing:here is not in the local Docker engine and cannot be pulled") {
		t.Errorf("exit %d\n%s", r.code, r.stderr)
	}
	if strings.Count(strings.TrimSpace(r.stderr), "\n") > 0 {
		t.Errorf("more than one line:\n%s", r.stderr)
	}
}

// Where the host cannot reach container addresses (Docker Desktop), the balancer goes
// through the published loopback ports; the same service answers the same way.
func TestUpViaPublishedPorts(t *testing.T) {
	t.Parallel()
	p := startUp(t, "e2e-ports", "--via-published-ports")
	tasks(t, p.url, 2)
	st := berth(t, ".", "status", "--local", "--env", p.env, "-o", "json")
	if strings.Count(st.stdout, `"addr": "127.0.0.1:`) != 2 {
		t.Errorf("targets are not the published loopback ports:\n%s", st.stdout)
	}
}

func getBody(url string) (string, int, error) {
	resp, err := http.Get(url)
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), resp.StatusCode, err
}

// An app that needs 4 s before it listens becomes healthy under the manifest's
// defaults, without being replaced, and takes traffic soon after it listens.
func TestUpSlowStarterBecomesHealthyUnderDefaults(t *testing.T) {
	t.Parallel()
	dir := testApp(t, "slow", "count: 1\nenv:\n  APP_START_DELAY: \"4\"\n")
	p := launchUp(t, dir, "e2e-slow")
	p.waitFor("slow-1 started", 3*time.Minute)
	started := time.Now()
	p.waitFor("ready: ", 30*time.Second)
	ready := time.Since(started)
	t.Logf("slow-1 took traffic %s after it was started (it sleeps 4 s first)", ready.Round(10*time.Millisecond))
	if ready > 6*time.Second {
		t.Errorf("a replica listening after 4 s took %s to take traffic", ready)
	}
	time.Sleep(2 * time.Second)
	out := p.out.String()
	for _, bad := range []string{"slow-2", "stopping", "unhealthy", "exited"} {
		if strings.Contains(out, bad) {
			t.Errorf("output has %q: the slow starter was judged too early", bad)
		}
	}
	if body, code, err := getBody(p.url + "/"); err != nil || code != 200 {
		t.Errorf("GET /: %d %q %v", code, body, err)
	}
}

// A replica that crashes at start does not stop berth up: it is reported with its
// exit code and last lines, and restarted with a growing backoff.
func TestUpCrashAtStartKeepsRunningAndReports(t *testing.T) {
	t.Parallel()
	dir := testApp(t, "crash", "count: 1\nenv:\n  APP_CRASH_CODE: \"3\"\n")
	p := launchUp(t, dir, "e2e-crash")
	p.waitFor("crash-1 exited with code 3 before it was healthy", 3*time.Minute)
	p.waitFor("| app: fatal: cannot open /etc/app/config.toml", 5*time.Second)
	p.waitFor("next start in 1s", 5*time.Second)
	p.waitFor("crash-3 exited with code 3", 15*time.Second)
	p.waitFor("next start in 4s", 5*time.Second)
	select {
	case <-p.done:
		t.Fatalf("berth up exited: %v", p.err)
	default:
	}
	if body, code, _ := getBody(p.url + "/"); code != 503 {
		t.Errorf("with no healthy replica: %d %q, want 503", code, body)
	}
	if strings.Contains(p.out.String(), "published no port") {
		t.Error("the start race is back")
	}
	if err := p.interrupt(); err != nil {
		t.Errorf("Ctrl-C: %v, want exit 0", err)
	}
}

// Ctrl-C lets a request in flight finish (deregistration_delay is 10 s by default),
// refuses new connections meanwhile, and exits 0 once everything is removed.
func TestUpCtrlCDrainsRequestsInFlight(t *testing.T) {
	t.Parallel()
	dir := testApp(t, "drain", "count: 1\n")
	p := launchUp(t, dir, "e2e-drain")
	p.waitFor("ready: ", 3*time.Minute)
	type answer struct {
		body string
		code int
		err  error
	}
	got := make(chan answer, 1)
	sent := time.Now()
	go func() { b, c, err := getBody(p.url + "/slow?ms=3000"); got <- answer{b, c, err} }()
	time.Sleep(500 * time.Millisecond)
	p.cmd.Process.Signal(syscall.SIGINT)
	p.waitFor("stopping: no new connections", 5*time.Second)
	if _, err := net.DialTimeout("tcp", strings.TrimPrefix(p.url, "http://"), time.Second); err == nil {
		t.Error("the load balancer accepted a connection after Ctrl-C")
	}
	a := <-got
	if a.err != nil || a.code != 200 || !strings.HasPrefix(a.body, "slow answer after 3000 ms") {
		t.Errorf("the request in flight at Ctrl-C got %d %q %v after %s", a.code, a.body, a.err, time.Since(sent).Round(time.Millisecond))
	}
	if err := p.wait(); err != nil {
		t.Errorf("exit after Ctrl-C: %v, want 0", err)
	}
	if c, n := labelled(t, "container", p.env), labelled(t, "network", p.env); len(c)+len(n) > 0 {
		t.Errorf("after Ctrl-C: containers %v, networks %v remain", c, n)
	}
}

// berth reload reads berth.yml again: a count change scales without replacing the
// running replica, an env change rolls out, a port change is refused with a reason.
func TestReloadAppliesTheManifest(t *testing.T) {
	t.Parallel()
	dir := testApp(t, "conf", "count: 1\nenv:\n  APP_GREETING: hello\n")
	manifest := filepath.Join(dir, "berth.yml")
	p := launchUp(t, dir, "e2e-reload")
	p.waitFor("ready: ", 3*time.Minute)
	first, _, _ := getBody(p.url + "/")

	text := strings.Replace(readFile(t, manifest), "count: 1", "count: 2", 1)
	writeFile(t, manifest, text)
	if r := berth(t, dir, "reload", "--env", p.env); r.code != 0 {
		t.Fatalf("reload: %d %s", r.code, r.stderr)
	}
	p.waitFor("reload: applied count 1 -> 2", 30*time.Second)
	p.waitFor("conf-2 is healthy", 30*time.Second)
	bodies := map[string]bool{}
	for range 10 {
		b, _, _ := getBody(p.url + "/")
		bodies[b] = true
	}
	if len(bodies) != 2 || !bodies[first] {
		t.Errorf("after count 2: answers %v, want two replicas, the first still there (%q)", bodies, first)
	}
	if strings.Contains(p.out.String(), "rollout") {
		t.Error("a count change rolled out new replicas")
	}

	text = strings.Replace(text, "APP_GREETING: hello", "APP_GREETING: bonjour", 1)
	text = strings.Replace(text, "port: 8080", "port: 9090", 1)
	writeFile(t, manifest, text)
	berth(t, dir, "reload", "--env", p.env)
	p.waitFor("reload: port 8080 -> 9090 needs a restart of berth up", 30*time.Second)
	p.waitFor("rollout complete: 2 replica(s)", 60*time.Second)
	for range 6 {
		if b, code, _ := getBody(p.url + "/"); code != 200 || !strings.HasPrefix(b, "bonjour from ") {
			t.Fatalf("after the env change: %d %q", code, b)
		}
	}
}

// A rollout whose replicas never pass their health checks says how it goes and why,
// and is rolled back by the circuit breaker while the old replica keeps serving.
func TestRolloutThatNeverGetsHealthyShowsWhyAndRollsBack(t *testing.T) {
	t.Parallel()
	dir := testApp(t, "sick", "count: 1\nhealth:\n  path: /health\n  interval: 5\n  timeout: 2\n  unhealthy_threshold: 2\n  grace_period: 0\n")
	manifest := filepath.Join(dir, "berth.yml")
	p := launchUp(t, dir, "e2e-sick")
	p.waitFor("ready: ", 3*time.Minute)
	writeFile(t, manifest, readFile(t, manifest)+"env:\n  APP_HEALTH_CODE: \"500\"\n")
	berth(t, dir, "reload", "--env", p.env)
	p.waitFor("rollout to deployment #2", 30*time.Second)
	p.waitFor("Target.ResponseCodeMismatch: GET /health answered 500", 30*time.Second)
	stop := make(chan struct{})
	ok, failed, wait := load(p.url, 2, stop)
	p.waitFor("rollout failed: 3 replica(s)", 90*time.Second)
	p.waitFor("rolled back: 1 replica(s)", 30*time.Second)
	close(stop)
	wait()
	if failed.Load() > 0 || ok.Load() == 0 {
		t.Errorf("during the failed rollout: %d requests ok, %d failed", ok.Load(), failed.Load())
	}
	if !strings.Contains(p.out.String(), "failed its health checks (Target.ResponseCodeMismatch") {
		t.Error("no reason given for replacing the new replicas")
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// cpu valid on AWS but above what the engine has is capped, said once; with --watch an
// edit of berth.yml is applied without a reload.
func TestUpCapsCPUAndWatchAppliesTheManifest(t *testing.T) {
	t.Parallel()
	dir := testApp(t, "big", "count: 1\ncpu: 196608\n")
	manifest := filepath.Join(dir, "berth.yml")
	p := launchUp(t, dir, "e2e-watch", "--watch")
	p.waitFor("ready: ", 3*time.Minute)
	out, err := exec.Command("docker", "info", "-f", "{{.NCPU}}").Output()
	if err != nil {
		t.Fatal(err)
	}
	ncpu := strings.TrimSpace(string(out))
	p.waitFor("cpu 196608 is 192 vCPUs, more than the Docker engine's "+ncpu, time.Second)
	id := labelled(t, "container", p.env)[0]
	nano, _ := exec.Command("docker", "inspect", "-f", "{{.HostConfig.NanoCpus}}", id).Output()
	if got := strings.TrimSpace(string(nano)); got != ncpu+"000000000" {
		t.Errorf("NanoCpus %s, want the engine's %s CPUs", got, ncpu)
	}

	writeFile(t, manifest, strings.Replace(readFile(t, manifest), "count: 1", "count: 2", 1))
	p.waitFor("reload: applied count 1 -> 2", 15*time.Second)
	p.waitFor("big-2 is healthy", 30*time.Second)
	if n := strings.Count(p.out.String(), "more than the Docker engine's"); n != 1 {
		t.Errorf("the cpu cap was said %d times, want once", n)
	}
}
