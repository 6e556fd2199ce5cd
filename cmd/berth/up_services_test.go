package main

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Several services of one environment run side by side under berth up, each behind its
// own listener. A second berth up of a service that runs is refused within seconds,
// and the one that runs loses no request; reload and down act on the berth up they
// name, found through its control endpoint.
func TestServicesSideBySideAndASecondUpIsRefused(t *testing.T) {
	t.Parallel()
	env := "e2e-side"
	a := launchUp(t, testApp(t, "svc-a", "count: 1\n"), env)
	b := launchUp(t, testApp(t, "svc-b", "count: 1\n"), env)
	a.waitFor("ready: ", 3*time.Minute)
	b.waitFor("ready: ", 3*time.Minute)
	tasks(t, a.url, 1)
	tasks(t, b.url, 1)

	stop := make(chan struct{})
	ok, failed, wait := load(a.url, 4, stop)
	time.Sleep(300 * time.Millisecond)

	dirA := a.cmd.Dir
	start := time.Now()
	second := exec.Command(bin, "up", "--env", env, "--listen", fmt.Sprintf("127.0.0.1:%d", freePort(t)))
	second.Dir = dirA
	out, err := second.CombinedOutput()
	took := time.Since(start)
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wait()
	t.Logf("second berth up of svc-a refused after %s; %d requests ok, %d failed meanwhile", took.Round(time.Millisecond), ok.Load(), failed.Load())
	if err == nil || !strings.Contains(string(out), "svc-a already runs in environment e2e-side under another berth up") || !strings.Contains(string(out), "hint: ") {
		t.Errorf("second berth up: %v\n%s", err, out)
	}
	if took > 10*time.Second {
		t.Errorf("the refusal took %s", took)
	}
	if failed.Load() != 0 || ok.Load() < 50 {
		t.Errorf("the running svc-a: %d ok, %d failed", ok.Load(), failed.Load())
	}
	tasks(t, a.url, 1)

	// status lists both services, each with its URL and healthy replica
	st := berth(t, ".", "status", "--local", "--env", env, "-o", "json")
	var doc struct {
		Services []struct {
			Service, URL string
			Replicas     []struct{ Health string }
		}
	}
	if err := json.Unmarshal([]byte(st.stdout), &doc); err != nil || len(doc.Services) != 2 {
		t.Fatalf("status: %v\n%s", err, st.stdout)
	}
	for i, want := range map[int]*upProcess{0: a, 1: b} {
		s := doc.Services[i]
		if s.URL != want.url || len(s.Replicas) != 1 || s.Replicas[0].Health != "healthy" {
			t.Errorf("status of %s: %+v", s.Service, s)
		}
	}

	// reload needs to know which one; then it reaches only that one
	if r := berth(t, ".", "reload", "--env", env); r.code == 0 || !strings.Contains(r.stderr, "2 berth ups run in environment e2e-side (svc-a, svc-b)") {
		t.Errorf("reload without a service: %d %s", r.code, r.stderr)
	}
	if r := berth(t, ".", "reload", "--env", env, "--service", "svc-b"); r.code != 0 {
		t.Errorf("reload svc-b: %d %s", r.code, r.stderr)
	}
	b.waitFor("reload requested", 10*time.Second)
	if strings.Contains(a.out.String(), "reload requested") {
		t.Error("svc-a was reloaded too")
	}

	// down of one service stops its berth up cleanly and leaves the other serving
	if r := berth(t, ".", "down", "--env", env, "--service", "svc-b"); r.code != 0 || !strings.Contains(r.stdout, "stopped the berth up of svc-b") {
		t.Errorf("down svc-b: %d %s %s", r.code, r.stdout, r.stderr)
	}
	select {
	case <-b.done:
		if b.err != nil {
			t.Errorf("svc-b's berth up stopped by down exited with %v", b.err)
		}
	case <-time.After(5 * time.Second):
		t.Error("svc-b's berth up still runs after down returned")
	}
	tasks(t, a.url, 1)
	if n := len(labelled(t, "container", env)); n != 1 {
		t.Errorf("%d containers in %s after down of svc-b, want svc-a's 1", n, env)
	}
}

// An environment name reaches the control records' paths only once validated: never a
// path out of their directory, never every environment by accident.
func TestLocalCommandsRefuseABadEnvironment(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"reload", "--env", "../../proj"},
		{"down", "--env", ""},
		{"down", "--env", "*"},
		{"status", "--local", "--env", "../x"},
	} {
		if r := berth(t, t.TempDir(), args...); r.code != 2 || !strings.Contains(r.stderr, "--env") {
			t.Errorf("%v: exit %d %s", args, r.code, r.stderr)
		}
	}
}
