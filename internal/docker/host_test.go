package docker

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeDockerContext writes a Docker CLI configuration whose current context is name,
// reaching host, as "docker context create" and "docker context use" leave it.
func writeDockerContext(t *testing.T, name, host string, skipTLSVerify bool) string {
	t.Helper()
	dir := t.TempDir()
	sum := sha256.Sum256([]byte(name))
	meta := filepath.Join(dir, "contexts", "meta", hex.EncodeToString(sum[:]))
	if err := os.MkdirAll(meta, 0o755); err != nil {
		t.Fatal(err)
	}
	skip := "false"
	if skipTLSVerify {
		skip = "true"
	}
	os.WriteFile(filepath.Join(meta, "meta.json"), []byte(`{"Name":"`+name+`","Metadata":{},"Endpoints":{"docker":{"Host":"`+host+`","SkipTLSVerify":`+skip+`}}}`), 0o644)
	os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"auths":{},"currentContext":"`+name+`"}`), 0o644)
	return dir
}

func TestTheEngineIsFoundAsTheDockerCLIFindsIt(t *testing.T) {
	colima := writeDockerContext(t, "colima", "unix:///Users/me/.colima/default/docker.sock", false)
	for _, tc := range []struct {
		name                         string
		config, dockerHost, useCtx   string
		wantHost, wantCtx, wantError string
	}{
		{name: "the current context", config: colima, wantHost: "unix:///Users/me/.colima/default/docker.sock", wantCtx: "colima"},
		{name: "DOCKER_HOST wins", config: colima, dockerHost: "unix:///var/run/docker.sock"},
		{name: "DOCKER_CONTEXT=default", config: colima, useCtx: "default"},
		{name: "DOCKER_CONTEXT names one that is not there", config: colima, useCtx: "nosuch", wantCtx: "nosuch", wantError: `docker context "nosuch"`},
		{name: "no CLI configuration", config: t.TempDir()},
		{name: "TLS", config: writeDockerContext(t, "remote", "tcp://10.0.0.1:2376", true), wantCtx: "remote", wantError: "set DOCKER_HOST"},
		{name: "SSH", config: writeDockerContext(t, "box", "ssh://me@box", false), wantCtx: "box", wantError: "SSH or TLS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("DOCKER_CONFIG", tc.config)
			t.Setenv("DOCKER_HOST", tc.dockerHost)
			t.Setenv("DOCKER_CONTEXT", tc.useCtx)
			host, ctx, err := contextHost()
			if host != tc.wantHost || ctx != tc.wantCtx || (err == nil) != (tc.wantError == "") || (err != nil && !strings.Contains(err.Error(), tc.wantError)) {
				t.Errorf("got %q %q %v", host, ctx, err)
			}
		})
	}
}
