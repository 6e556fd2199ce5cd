package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Reaching AWS: an endpoint that never answers, one that is not there, a profile that
// does not exist.

// silentListener accepts connections on loopback and never answers: an endpoint that
// hangs.
func silentListener(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return ln.Addr().String()
}

// An endpoint that accepts and never answers fails the command in seconds, saying
// which endpoint, rather than hanging or blaming the credentials.
func TestASilentEndpointFailsInSeconds(t *testing.T) {
	t.Parallel()
	addr := silentListener(t)
	env := append(os.Environ(), "AWS_ENDPOINT_URL=http://"+addr, "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing",
		"AWS_REGION=us-east-1", "AWS_PROFILE=", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	start := time.Now()
	r := berthWith(t, project(t), env, "status", "--env", "e2e-silent")
	took := time.Since(start)
	t.Logf("a silent endpoint failed the command after %s", took.Round(time.Millisecond))
	if r.code != 1 || !strings.Contains(r.stderr, "the AWS endpoint http://"+addr+" did not answer") || strings.Contains(r.stderr, "configure credentials") {
		t.Errorf("exit %d:\n%s", r.code, r.stderr)
	}
	if took > time.Minute {
		t.Errorf("took %s", took)
	}

	// nothing listening at all: said at once
	closed := freePort(t)
	env[len(os.Environ())] = fmt.Sprintf("AWS_ENDPOINT_URL=http://127.0.0.1:%d", closed)
	if r := berthWith(t, project(t), env, "status", "--env", "e2e-silent"); r.code != 1 || !strings.Contains(r.stderr, "could not be reached") {
		t.Errorf("closed port: exit %d:\n%s", r.code, r.stderr)
	}

	// and a Docker engine that does the same
	start = time.Now()
	r = berthWith(t, ".", append(os.Environ(), "DOCKER_HOST=tcp://"+addr), "status", "--local", "--env", "e2e-silent")
	t.Logf("a silent Docker engine failed the command after %s", time.Since(start).Round(time.Millisecond))
	if r.code != 1 || !strings.Contains(r.stderr, "no Docker engine reachable") {
		t.Errorf("docker: exit %d:\n%s", r.code, r.stderr)
	}
}

func TestABadProfileSaysSo(t *testing.T) {
	t.Parallel()
	cfg := filepath.Join(t.TempDir(), "config")
	writeFile(t, cfg, "[default]\nregion = us-east-1\n")
	env := append(os.Environ(), "AWS_CONFIG_FILE="+cfg, "AWS_SHARED_CREDENTIALS_FILE="+cfg)
	r := berthWith(t, project(t), env, "status", "--profile", "nosuch")
	if r.code != 1 || !strings.Contains(r.stderr, `AWS profile "nosuch" is not in your AWS config`) || !strings.Contains(r.stderr, "hint: list the profiles") {
		t.Errorf("exit %d:\n%s", r.code, r.stderr)
	}
}
