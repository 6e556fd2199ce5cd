package main

import (
	"os"
	"strings"
	"testing"
	"time"
)

// berth exec --local runs a command in a replica of berth up, on the real Docker
// engine, and exits with its code. The images berth builds from Go hold the app alone,
// without a shell: berth exec says so, and what to run instead, before anything runs.
func TestExecLocalRunsInAReplicaAndSaysWhenThereIsNoShell(t *testing.T) {
	t.Parallel()
	dir := testApp(t, "execapp", "count: 2\nenv:\n  APP_GREETING: hello\n")
	p := launchUp(t, dir, "e2e-exec")
	p.waitFor("ready: ", 3*time.Minute)
	env := os.Environ()

	r := berthWith(t, dir, env, "exec", "--local", "--env", "e2e-exec", "--", "/app/execapp", "probe")
	mustSucceed(t, r, "exec probe")
	ids := labelled(t, "container", "e2e-exec")
	host := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(r.stdout), "probe from "), `, greeting "hello"`)
	if !strings.HasSuffix(strings.TrimSpace(r.stdout), `greeting "hello"`) || len(host) != 12 || !strings.Contains(strings.Join(ids, " "), host) {
		t.Errorf("exec ran elsewhere than in a replica (%v): %q", ids, r.stdout)
	}

	r = berthWith(t, dir, env, "exec", "--local", "--env", "e2e-exec", "--", "/app/execapp", "probe", "3")
	if r.code != 3 || !strings.Contains(r.stdout, "probe from ") || !strings.Contains(r.stderr, "the command exited with code 3") {
		t.Errorf("the command's exit code: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	r = berthWith(t, dir, env, "exec", "--local", "--env", "e2e-exec")
	if r.code != 1 || !strings.Contains(r.stderr, "berth: the replica's image has no shell (/bin/sh): images berth builds from Go hold the app alone") ||
		!strings.Contains(r.stderr, "hint: run a program it has, such as the app itself: berth exec --local -- /app/execapp ...") ||
		!strings.Contains(r.stderr, "docker cp berth-e2e-exec-") {
		t.Errorf("exec of a shell in an image without one: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := berthWith(t, dir, env, "exec", "--local", "--env", "e2e-exec", "--", "bash"); r.code != 1 || !strings.Contains(r.stderr, "the replica's image has no program bash") {
		t.Errorf("exec of a program the image lacks: exit %d\n%s", r.code, r.stderr)
	}
	if r := berthWith(t, dir, env, "exec", "--local", "--env", "e2e-exec", "--task", "nosuch", "--", "/app/execapp", "probe"); r.code != 1 || !strings.Contains(r.stderr, "nosuch is not a replica of execapp") || !strings.Contains(r.stderr, "running: ") {
		t.Errorf("exec in a replica that does not exist: exit %d\n%s", r.code, r.stderr)
	}
	if r := berthWith(t, dir, env, "exec", "--local", "--env", "e2e-none", "--", "/app/execapp", "probe"); r.code != 1 || !strings.Contains(r.stderr, "no replica of execapp runs locally in environment e2e-none") {
		t.Errorf("exec where nothing runs: exit %d\n%s", r.code, r.stderr)
	}
}
