package main

import (
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// A second berth up of unchanged sources does not build: it finds the image of the
// last build in the engine and starts at once. Replicas publish no port by default:
// the balancer reaches them on their network.
func TestUpWarmStartSkipsTheBuild(t *testing.T) {
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
