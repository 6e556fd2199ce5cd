package main

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// berth reaches the engine of the current Docker context, as the docker CLI does
// (Colima, Rancher Desktop, OrbStack publish their engines only that way), and names
// the context when that engine does not answer.
func TestBerthUsesTheCurrentDockerContext(t *testing.T) {
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
		cfg := filepath.Join(dir, tc.context)
		sum := sha256.Sum256([]byte(tc.context))
		meta := filepath.Join(cfg, "contexts", "meta", hex.EncodeToString(sum[:]))
		os.MkdirAll(meta, 0o755)
		writeFile(t, filepath.Join(meta, "meta.json"), `{"Name":"`+tc.context+`","Metadata":{},"Endpoints":{"docker":{"Host":"`+tc.host+`","SkipTLSVerify":false}}}`)
		writeFile(t, filepath.Join(cfg, "config.json"), `{"currentContext":"`+tc.context+`"}`)
		r := berthWith(t, t.TempDir(), append(env, "DOCKER_CONFIG="+cfg), "status", "--local", "--env", "e2e-context")
		if !strings.Contains(r.stdout+r.stderr, tc.want) {
			t.Errorf("context %s: exit %d\n%s%s", tc.context, r.code, r.stdout, r.stderr)
		}
	}
}
