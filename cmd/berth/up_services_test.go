package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Several services of one environment run side by side under berth up, each behind its
// own listener (load_balancer.dedicated: true, as before load balancers were shared). A
// second berth up of a service that runs is refused within seconds, and the one that
// runs loses no request; reload and down act on the berth up they name, found through
// its control endpoint.
func TestServicesSideBySideAndASecondUpIsRefused(t *testing.T) {
	t.Parallel()
	env := "e2e-side"
	const own = "count: 1\nload_balancer:\n  dedicated: true\n"
	a := launchUp(t, testApp(t, "svc-a", own), env)
	b := launchUp(t, testApp(t, "svc-b", own), env)
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

// Services of one environment share its listener as they share its load balancer on
// AWS: each request goes to the service whose route takes it (a path and what is below
// it, a host), what no route takes is the listener's own 404, a route that a running
// service holds is refused naming both, and when the berth up that serves the listener
// stops, another of the environment takes it over on the same address.
func TestUpServicesShareOneListener(t *testing.T) {
	env := "e2e-shl"
	port := freePort(t)
	listen := fmt.Sprintf("127.0.0.1:%d", port)
	base := "http://" + listen
	orders := launchUp(t, testApp(t, "orders", "count: 1\nenv:\n  APP_GREETING: orders\nload_balancer:\n  path: /orders\n"), env, "--listen", listen)
	orders.waitFor("ready: "+base+"/orders", 3*time.Minute)
	shop := launchUp(t, testApp(t, "shop", "count: 1\nenv:\n  APP_GREETING: shop\nload_balancer:\n  host: shop.example.com\n"), env, "--listen", listen)
	shop.waitFor("ready: ", 3*time.Minute)
	get := func(host, path string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		if host != "" {
			req.Host = host
		}
		var code int
		var body string
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				continue
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			code, body = resp.StatusCode, string(b)
			if code != http.StatusServiceUnavailable && code != http.StatusNotFound || strings.Contains(body, "no service of this environment") && path == "/other" {
				break
			}
		}
		return code, body
	}
	for _, c := range []struct {
		host, path string
		code       int
		want       string
	}{
		{"", "/orders", 200, "orders from"},
		{"", "/orders/42?x=1", 200, "orders from"},
		{"shop.example.com", "/cart", 200, "shop from"},
		{"SHOP.example.com:8080", "/orders/1", 200, "shop from"}, // a host's route comes first, as on the ALB
		{"", "/other", 404, "404 Not Found: no service of this environment answers this host and path"},
	} {
		if code, body := get(c.host, c.path); code != c.code || !strings.Contains(body, c.want) {
			t.Errorf("%s%s: %d %q, want %d %q", c.host, c.path, code, body, c.code, c.want)
		}
	}

	// a third service claiming a path another one holds
	third := exec.Command(bin, "up", "--env", env, "--listen", listen)
	third.Dir = testApp(t, "billing", "load_balancer:\n  path: /orders\n")
	out, err := third.CombinedOutput()
	if code := exitCode(err); code != 2 || !strings.Contains(string(out), "load_balancer.path: service billing would answer /orders on the listener of environment e2e-shl, which service orders answers already") ||
		!strings.Contains(string(out), "hint: ") {
		t.Errorf("a taken path: exit %d\n%s", code, out)
	}

	// the berth up that serves the listener stops: the other takes it over
	owner, other := orders, shop
	if strings.Contains(shop.out.String(), "serving the listener of environment") {
		owner, other = shop, orders
	}
	if err := owner.interrupt(); err != nil {
		t.Fatalf("stop the listener's berth up: %v", err)
	}
	other.waitFor("serving the listener of environment "+env, 10*time.Second)
	if other == shop {
		if code, body := get("shop.example.com", "/"); code != 200 || !strings.Contains(body, "shop from") {
			t.Errorf("after the take-over: %d %q", code, body)
		}
	} else if code, body := get("", "/orders/1"); code != 200 || !strings.Contains(body, "orders from") {
		t.Errorf("after the take-over: %d %q", code, body)
	}
}

func exitCode(err error) int {
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}
