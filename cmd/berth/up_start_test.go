package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A second berth up of unchanged sources does not build: it finds the image of the
// last build in the engine and starts at once. Replicas publish no port by default:
// the balancer reaches them on their network.
func TestUpWarmStartSkipsTheBuild(t *testing.T) {
	t.Parallel()
	dir := testApp(t, "warm", "count: 1\n")
	first := launchUp(t, dir, "e2e-warm")
	first.waitFor("ready: ", 3*time.Minute)
	if err := first.interrupt(); err != nil {
		t.Fatalf("Ctrl-C: %v", err)
	}

	start := time.Now()
	p := launchUp(t, dir, "e2e-warm")
	var took time.Duration
	for deadline := start.Add(time.Minute); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if resp, err := http.Get(p.url + "/"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				took = time.Since(start)
				break
			}
		}
	}
	t.Logf("warm start: first 200 after %s", took.Round(time.Millisecond))
	if took == 0 {
		t.Fatalf("no 200 within a minute:\n%s", p.out.String())
	}
	if !strings.Contains(p.out.String(), "unchanged since its last build") {
		t.Errorf("the second start built again:\n%s", p.out.String())
	}
	ids := labelled(t, "container", p.env)
	if len(ids) != 1 {
		t.Fatalf("containers %v", ids)
	}
	out, _ := exec.Command("docker", "inspect", "-f", "{{json .HostConfig.PortBindings}}", ids[0]).Output()
	if got := strings.TrimSpace(string(out)); got != "{}" && got != "null" {
		t.Errorf("a replica publishes %s without --via-published-ports", got)
	}
}

// A Dockerfile build pulls its base image; where the registry cannot be reached (this
// machine reaches none), berth names the image, the registry, and what to do.
func TestUpBaseImageThatCannotBePulledSaysWhatToDo(t *testing.T) {
	t.Parallel()
	needDocker(t)
	if exec.Command("docker", "image", "inspect", "python:3.12").Run() == nil {
		t.Skip("the engine has python:3.12: nothing to pull")
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "Dockerfile"), "FROM python:3.12\nCOPY app.py /app.py\nCMD [\"python\", \"/app.py\"]\n")
	writeFile(t, filepath.Join(dir, "app.py"), "print('hello')\n")
	writeFile(t, filepath.Join(dir, "berth.yml"), "name: py\nimage:\n  build: .\nport: 8080\n")
	r := berth(t, dir, "up", "--env", "e2e-py", "--listen", fmt.Sprintf("127.0.0.1:%d", freePort(t)))
	t.Logf("stderr:\n%s", r.stderr)
	if r.code != 1 {
		t.Errorf("exit %d, want 1", r.code)
	}
	for _, want := range []string{"base image python:3.12 cannot be pulled from docker.io", "hint: ", "docker login docker.io",
		"docker pull python:3.12", "registry mirror", "a Go app needs no base image"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("no %q in:\n%s", want, r.stderr)
		}
	}
}

// A manifest whose port is not the one the app listens on gets, well within the grace
// period, a message naming the port the app listens on and what to change.
func TestUpNamesThePortTheAppListensOn(t *testing.T) {
	t.Parallel()
	dir := testApp(t, "wrongport", "count: 1\nenv:\n  PORT: \"3000\"\n") // the app listens on $PORT; port: is 8080
	p := launchUp(t, dir, "e2e-port")
	p.waitFor("wrongport-1 started", 3*time.Minute)
	started := time.Now()
	p.waitFor("wrongport-1: nothing listens on port 8080 (port: in berth.yml), but the app listens on 3000", 20*time.Second)
	t.Logf("named %s after the replica started (the grace period is 60 s)", time.Since(started).Round(100*time.Millisecond))
	p.waitFor("set port: in berth.yml to the port the app listens on", time.Second)
	if strings.Contains(p.out.String(), "failed its health checks") {
		t.Error("the replica was replaced before the port was named")
	}
}

// berth up on a terminal looks like the AWS commands' progress: each line starts with
// the time since the start, and status words are coloured; NO_COLOR turns colour off.
func TestUpOnATerminalColoursLikeTheAWSCommands(t *testing.T) {
	t.Parallel()
	dir := testApp(t, "colour", "count: 1\n")
	needDocker(t)
	elapsed := regexp.MustCompile(`(?m)^ +\d+\.\ds  `)
	for _, noColor := range []bool{false, true} {
		env := append(os.Environ(), "TERM=xterm")
		if noColor {
			env = append(env, "NO_COLOR=1")
		}
		p := startTTY(t, dir, env, "up", "--env", "e2e-colour", "--listen", fmt.Sprintf("127.0.0.1:%d", freePort(t)))
		p.waitFor("ready: ", 3*time.Minute)
		p.send("\x03") // Ctrl-C
		if code := p.wait(40 * time.Second); code != 0 {
			t.Errorf("exit %d after Ctrl-C", code)
		}
		raw := p.out.String()
		if n := len(elapsed.FindAllString(p.text(), -1)); n < 4 {
			t.Errorf("NO_COLOR=%v: %d lines with an elapsed time:\n%s", noColor, n, p.text())
		}
		coloured := strings.Contains(raw, "\x1b[32mhealthy\x1b[0m") && strings.Contains(raw, "\x1b[32mready:\x1b[0m")
		if coloured == noColor {
			t.Errorf("NO_COLOR=%v: coloured %v:\n%q", noColor, coloured, raw)
		}
		if noColor && strings.Contains(raw, "\x1b[") {
			t.Errorf("NO_COLOR=1, yet escape codes:\n%q", raw)
		}
	}
}

// berth reload of a berth.yml that does not load exits 2 with the manifest's error,
// and the berth up keeps serving as it was.
func TestReloadOfABrokenManifestExits2(t *testing.T) {
	t.Parallel()
	dir := testApp(t, "broken", "count: 1\n")
	manifest := filepath.Join(dir, "berth.yml")
	p := launchUp(t, dir, "e2e-broken")
	p.waitFor("ready: ", 3*time.Minute)
	writeFile(t, manifest, strings.Replace(readFile(t, manifest), "port: 8080", "port: 99999", 1))
	r := berth(t, dir, "reload", "--env", p.env)
	if r.code != 2 || !strings.Contains(r.stderr, "did not reload") || !strings.Contains(r.stderr, "port: 99999 is out of range") {
		t.Errorf("reload of a broken berth.yml: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if _, code, err := getBody(p.url + "/"); err != nil || code != 200 {
		t.Errorf("after the refused reload: %d %v", code, err)
	}
}

// A second Ctrl-C while berth up drains stops it at once and still removes everything;
// a third leaves before that is done and names what it left and how to remove it.
func TestUpSecondAndThirdCtrlC(t *testing.T) {
	t.Parallel()
	dir := testApp(t, "hurry", "count: 1\n")
	p := launchUp(t, dir, "e2e-hurry")
	p.waitFor("ready: ", 3*time.Minute)
	go getBody(p.url + "/slow?ms=20000") // keeps the drain waiting its 10 s
	time.Sleep(300 * time.Millisecond)
	p.cmd.Process.Signal(syscall.SIGINT)
	p.waitFor("stopping: no new connections", 5*time.Second)
	sent := time.Now()
	p.cmd.Process.Signal(syscall.SIGINT)
	if err := p.wait(); err != nil {
		t.Errorf("exit after a second Ctrl-C: %v, want 0", err)
	}
	t.Logf("stopped %s after the second Ctrl-C", time.Since(sent).Round(100*time.Millisecond))
	if d := time.Since(sent); d > 8*time.Second {
		t.Errorf("the second Ctrl-C took %s to stop: the drain was not cut", d)
	}
	for _, want := range []string{"second Ctrl-C: stopping at once", `"berth down --env e2e-hurry --service hurry" removes it`, "stopped: no container or network of berth's is left"} {
		if !strings.Contains(p.out.String(), want) {
			t.Errorf("no %q in:\n%s", want, p.out.String())
		}
	}
	if c, n := labelled(t, "container", p.env), labelled(t, "network", p.env); len(c)+len(n) > 0 {
		t.Errorf("after a second Ctrl-C: containers %v, networks %v remain", c, n)
	}

	q := launchUp(t, dir, "e2e-hurry")
	q.waitFor("ready: ", time.Minute)
	// each Ctrl-C once the one before it is seen: two SIGINTs that reach the process
	// together are one (a pending signal is not queued twice), which a person's three
	// presses are not
	q.cmd.Process.Signal(syscall.SIGINT)
	q.waitFor("stopping: no new connections", 5*time.Second)
	q.cmd.Process.Signal(syscall.SIGINT)
	q.waitFor("second Ctrl-C", 5*time.Second)
	q.cmd.Process.Signal(syscall.SIGINT)
	err := q.wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Errorf("exit after a third Ctrl-C: %v, want 1", err)
	}
	out := q.out.String()
	if !strings.Contains(out, "stopped before the cleanup was done: left ") || !strings.Contains(out, `hint: "berth down --env e2e-hurry --service hurry" removes them`) {
		t.Errorf("the third Ctrl-C does not say what it left:\n%s", out)
	}
	for _, id := range labelled(t, "container", q.env) {
		name, _ := exec.Command("docker", "inspect", "-f", "{{.Name}}", id).Output()
		if n := strings.TrimPrefix(strings.TrimSpace(string(name)), "/"); n != "" && !strings.Contains(out, n) {
			t.Errorf("container %s is left and not named:\n%s", n, out)
		}
	}
	for _, id := range labelled(t, "network", q.env) {
		name, _ := exec.Command("docker", "network", "inspect", "-f", "{{.Name}}", id).Output()
		if n := strings.TrimSpace(string(name)); n != "" && !strings.Contains(out, n) {
			t.Errorf("network %s is left and not named:\n%s", n, out)
		}
	}
}

// An image whose command does not exist is a replica that crashes at once: berth up
// says why, backs off and tries again, and keeps running (it used to exit).
func TestUpImageWithoutItsCommandBacksOff(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "Dockerfile"), "FROM scratch\nCOPY hello.txt /hello.txt\nENTRYPOINT [\"/app/missing\"]\n")
	writeFile(t, filepath.Join(dir, "hello.txt"), "hello\n")
	writeFile(t, filepath.Join(dir, "berth.yml"), "name: nocmd\nimage:\n  build: .\nport: 8080\ncount: 1\n")
	p := launchUp(t, dir, "e2e-nocmd")
	p.waitFor("nocmd-1 could not start: exec: \"/app/missing\"", 3*time.Minute)
	p.waitFor("next start in 1s", 5*time.Second)
	p.waitFor("nocmd-2 could not start", 10*time.Second)
	p.waitFor("next start in 2s", 5*time.Second)
	if _, code, _ := getBody(p.url + "/"); code != 503 {
		t.Errorf("with no replica: %d, want 503", code)
	}
	if err := p.interrupt(); err != nil {
		t.Errorf("Ctrl-C: %v, want exit 0", err)
	}
}

// berth up keeps its control records, and its TLS keys, only where no other user can
// write: a world-writable directory is refused with how to fix it.
func TestUpRefusesWorldWritableStateDirectories(t *testing.T) {
	t.Parallel()
	needDocker(t)
	dir := testApp(t, "unsafe", "count: 1\n")
	shared := t.TempDir()
	os.Chmod(shared, 0o777)
	listen := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	r := berthWith(t, dir, append(os.Environ(), "BERTH_CONTROL_DIR="+shared), "up", "--env", "e2e-unsafe", "--listen", listen)
	if r.code != 1 || !strings.Contains(r.stderr, "control directory "+shared+" is writable by every user (mode 0777)") ||
		!strings.Contains(r.stderr, "hint: chmod go-w "+shared) {
		t.Errorf("a world-writable control directory: exit %d\n%s", r.code, r.stderr)
	}
	r = berthWith(t, dir, append(os.Environ(), "BERTH_TLS_DIR="+shared), "up", "--tls", "--env", "e2e-unsafe", "--listen", listen)
	if r.code != 1 || !strings.Contains(r.stderr, "TLS directory "+shared+" is writable by every user") ||
		!strings.Contains(r.stderr, "hint: chmod go-w "+shared+" (berth makes it 0700), or set BERTH_TLS_DIR") {
		t.Errorf("a world-writable TLS directory: exit %d\n%s", r.code, r.stderr)
	}
}

// --service is a name, checked as --env is: anything else is a usage error (exit 2),
// before any berth up is asked anything.
func TestServiceFlagIsValidatedLikeEnv(t *testing.T) {
	t.Parallel()
	for _, cmd := range []string{"down", "reload"} {
		for _, bad := range []string{"../orders", "Orders", "a--b", "x,y=z"} {
			r := berth(t, t.TempDir(), cmd, "--env", "dev", "--service", bad)
			if r.code != 2 || !strings.HasPrefix(r.stderr, "berth: --service: ") {
				t.Errorf("%s --service %q: exit %d %q, want 2 and a --service error", cmd, bad, r.code, r.stderr)
			}
		}
	}
}

// A --listen address another program holds is refused before anything runs: the
// environment's listener does not move to an address other than the one asked for,
// which berth would then say it answers on.
func TestUpRefusesATakenListenAddress(t *testing.T) {
	t.Parallel()
	needDocker(t)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	dir := testApp(t, "taken", "count: 1\n")
	r := berth(t, dir, "up", "--env", "e2e-taken", "--listen", taken.Addr().String())
	if r.code != 1 || !strings.Contains(r.stderr, "--listen "+taken.Addr().String()) || !strings.Contains(r.stderr, "hint: another program listens there") {
		t.Errorf("berth up on a taken --listen: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if c := labelled(t, "container", "e2e-taken"); len(c) > 0 {
		t.Errorf("containers %v were started", c)
	}
}
