package local

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// fakeUp is the controller side of a berth up, without Docker.
type fakeUp struct {
	env, service string
	reloads      atomic.Int32
	stop         func()
}

func (f *fakeUp) state() State {
	return State{Service: f.service, Env: f.env, URL: "http://127.0.0.1:8080",
		Replicas: []ReplicaState{{Name: f.service + "-1", Container: "0123456789ab", Health: "healthy"}}}
}
func (f *fakeUp) requestReload(Reload) { f.reloads.Add(1) }
func (f *fakeUp) requestStop()         { go f.stop() }

func startFake(t *testing.T, env, service string) (*fakeUp, *control) {
	t.Helper()
	f := &fakeUp{env: env, service: service}
	ctl, err := startControl(context.Background(), env, service, f)
	if err != nil {
		t.Fatal(err)
	}
	f.stop = func() { time.Sleep(100 * time.Millisecond); ctl.close() }
	t.Cleanup(ctl.close)
	return f, ctl
}

// reload and down find a running berth up through its record and control endpoint,
// on every platform, with no signal and no process id involved.
func TestReloadAndDownFindTheRunningUpWithoutSignals(t *testing.T) {
	t.Setenv("BERTH_CONTROL_DIR", t.TempDir())
	ctx := context.Background()
	orders, _ := startFake(t, "dev", "orders")
	startFake(t, "dev", "billing")
	startFake(t, "other", "orders")

	running := Running(ctx, "dev")
	if len(running) != 2 || running[0].Service != "billing" || running[1].Service != "orders" {
		t.Fatalf("running in dev: %+v", running)
	}
	if got := running[1].State; got.URL != "http://127.0.0.1:8080" || got.PID != os.Getpid() || got.Replicas[0].Health != "healthy" {
		t.Errorf("state: %+v", got)
	}
	if all := Running(ctx, ""); len(all) != 3 {
		t.Errorf("every environment: %d", len(all))
	}

	inst, err := Pick(running, "dev", "", "orders")
	if err != nil {
		t.Fatal(err)
	}
	if err := inst.Reload(ctx); err != nil || orders.reloads.Load() != 1 {
		t.Fatalf("reload: %v, %d", err, orders.reloads.Load())
	}

	stopCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := inst.Stop(stopCtx); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if left := Running(ctx, "dev"); len(left) != 1 || left[0].Service != "billing" {
		t.Errorf("after stopping orders: %+v", left)
	}
	if _, err := os.Stat(recordPath("dev", "orders")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("record of the stopped berth up remains: %v", err)
	}
}

// A second berth up of a service that runs is refused; another service is not.
func TestASecondUpOfTheSameServiceIsRefused(t *testing.T) {
	t.Setenv("BERTH_CONTROL_DIR", t.TempDir())
	startFake(t, "dev", "orders")
	_, err := startControl(context.Background(), "dev", "orders", &fakeUp{env: "dev", service: "orders"})
	var already *AlreadyRunningError
	if !errors.As(err, &already) || already.Instance.PID != os.Getpid() || already.Instance.State.URL == "" {
		t.Fatalf("second claim: %v", err)
	}
	startFake(t, "dev", "billing")
}

// What a killed berth up leaves (its record) is never believed: nobody answers on its
// port, or whoever does does not know its secret. The next berth up takes its place.
func TestAStaleRecordIsNeverBelieved(t *testing.T) {
	t.Setenv("BERTH_CONTROL_DIR", t.TempDir())
	ctx := context.Background()

	gone, _ := net.Listen("tcp", "127.0.0.1:0")
	goneAddr := gone.Addr().String()
	gone.Close()
	var posts atomic.Int32
	stranger := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			posts.Add(1)
		}
		json.NewEncoder(w).Encode(State{Service: "someone", Env: "else"})
	}))
	defer stranger.Close()

	for service, addr := range map[string]string{"killed": goneAddr, "reused": stranger.Listener.Addr().String()} {
		writeRecord(t, Record{Env: "dev", Service: service, PID: 1, Control: addr, Token: "old"})
	}
	writeRecord(t, Record{Env: "dev", Service: "elsewhere", PID: 1, Control: "192.0.2.1:80", Token: "old"})
	os.WriteFile(filepath.Join(ControlDir(), "dev", "garbage.json"), []byte("{"), 0o600)

	if running := Running(ctx, "dev"); len(running) != 0 {
		t.Fatalf("stale records believed: %+v", running)
	}
	if left, _ := filepath.Glob(filepath.Join(ControlDir(), "dev", "*.json")); len(left) != 0 {
		t.Errorf("stale records kept: %v", left)
	}
	if _, err := Pick(nil, "dev", "", "killed"); err == nil {
		t.Error("picked a berth up that is gone")
	}
	if posts.Load() != 0 {
		t.Errorf("a process that took the port was sent %d command(s)", posts.Load())
	}

	writeRecord(t, Record{Env: "dev", Service: "killed", PID: 1, Control: goneAddr, Token: "old"})
	startFake(t, "dev", "killed")
	if running := Running(ctx, "dev"); len(running) != 1 || running[0].PID != os.Getpid() {
		t.Errorf("the new berth up did not take the stale record's place: %+v", running)
	}
}

func writeRecord(t *testing.T, rec Record) {
	t.Helper()
	p := recordPath(rec.Env, rec.Service)
	os.MkdirAll(filepath.Dir(p), 0o700)
	b, _ := json.Marshal(rec)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestPick(t *testing.T) {
	one := []Instance{{Record: Record{Service: "orders"}}}
	two := append(one, Instance{Record: Record{Service: "billing"}})
	for _, tc := range []struct {
		name                   string
		running                []Instance
		service, manifest, got string
	}{
		{"the only one", one, "", "", "orders"},
		{"the manifest's", two, "", "billing", "billing"},
		{"the flag over the manifest", two, "orders", "billing", "orders"},
		{"several, none named", two, "", "", ""},
		{"named but not running", one, "billing", "", ""},
		{"manifest's not running", one, "", "billing", ""},
		{"none", nil, "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inst, err := Pick(tc.running, "dev", tc.service, tc.manifest)
			if inst.Service != tc.got || (err == nil) != (tc.got != "") {
				t.Errorf("got %q, %v", inst.Service, err)
			}
		})
	}
}
