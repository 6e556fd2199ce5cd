package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// berth reaches the engine of the current Docker context, as the docker CLI does
// (Colima, Rancher Desktop, OrbStack publish their engines only that way), and names
// the context when that engine does not answer.
func TestBerthUsesTheCurrentDockerContext(t *testing.T) {
	t.Parallel()
	needDocker(t)
	if os.Getenv("DOCKER_HOST") != "" {
		t.Skip("DOCKER_HOST is set: this test moves the default socket aside through a context")
	}
	const socket = "/var/run/docker.sock"
	if _, err := os.Stat(socket); err != nil {
		t.Skip("the engine is not on " + socket)
	}
	dir := t.TempDir()
	link := filepath.Join(dir, "engine.sock")
	if err := os.Symlink(socket, link); err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DOCKER_") {
			env = append(env, kv)
		}
	}
	for _, tc := range []struct{ context, host, want string }{
		{"elsewhere", "unix://" + link, "nothing runs locally for environment e2e-context"},
		{"stopped", "unix://" + filepath.Join(dir, "gone.sock"), "no Docker engine reachable (docker context stopped)"},
	} {
		// the docker CLI itself writes the context, as a user's "docker context use" does
		cfg := filepath.Join(dir, tc.context)
		for _, args := range [][]string{
			{"context", "create", tc.context, "--docker", "host=" + tc.host},
			{"context", "use", tc.context},
		} {
			cmd := exec.Command("docker", args...)
			cmd.Env = append(env, "DOCKER_CONFIG="+cfg)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Skipf("docker %v: %v %s (this docker CLI has no contexts?)", args, err, out)
			}
		}
		r := berthWith(t, t.TempDir(), append(env, "DOCKER_CONFIG="+cfg), "status", "--local", "--env", "e2e-context")
		if !strings.Contains(r.stdout+r.stderr, tc.want) {
			t.Errorf("context %s: exit %d\n%s%s", tc.context, r.code, r.stdout, r.stderr)
		}
	}
}
