package control

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/localtls"
	"github.com/berthdev/berth/internal/manifest"
)

// fakeUp is the controller side of a berth up, without Docker.
type fakeUp struct {
	env, service string
	reloads      atomic.Int32
	stop         func()
	refuse       error // what RequestReload answers
}

func (f *fakeUp) State() State {
	return State{Service: f.service, Env: f.env, URL: "http://127.0.0.1:8080",
		Replicas: []ReplicaState{{Name: f.service + "-1", Container: "0123456789ab", Health: "healthy"}}}
}
func (f *fakeUp) RequestReload(context.Context) error {
	f.reloads.Add(1)
	return f.refuse
}
func (f *fakeUp) RequestStop() { go f.stop() }

func startFake(t *testing.T, env, service string) (*fakeUp, *Endpoint) {
	t.Helper()
	f := &fakeUp{env: env, service: service}
	ctl, err := Start(context.Background(), env, service, f)
	if err != nil {
		t.Fatal(err)
	}
	f.stop = func() { time.Sleep(100 * time.Millisecond); ctl.Close() }
	t.Cleanup(ctl.Close)
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

	running, err := Running(ctx, "dev")
	if err != nil || len(running) != 2 || running[0].Service != "billing" || running[1].Service != "orders" {
		t.Fatalf("running in dev: %+v", running)
	}
	if got := running[1].State; got.URL != "http://127.0.0.1:8080" || got.PID != os.Getpid() || got.Replicas[0].Health != "healthy" {
		t.Errorf("state: %+v", got)
	}
	if all, _ := Running(ctx, ""); len(all) != 3 {
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
	if left, _ := Running(ctx, "dev"); len(left) != 1 || left[0].Service != "billing" {
		t.Errorf("after stopping orders: %+v", left)
	}
	if p, _, _ := files("dev", "orders"); !gone(p) {
		t.Errorf("record of the stopped berth up remains: %v", err)
	}
}

// A second berth up of a service that runs is refused; another service is not.
func TestASecondUpOfTheSameServiceIsRefused(t *testing.T) {
	t.Setenv("BERTH_CONTROL_DIR", t.TempDir())
	startFake(t, "dev", "orders")
	_, err := Start(context.Background(), "dev", "orders", &fakeUp{env: "dev", service: "orders"})
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
		plantRecord(t, Record{Env: "dev", Service: service, PID: 1, Control: addr, Token: "old"})
	}
	plantRecord(t, Record{Env: "dev", Service: "elsewhere", PID: 1, Control: "192.0.2.1:80", Token: "old"})
	dir, _ := Dir()
	os.WriteFile(filepath.Join(dir, "dev", "garbage.json"), []byte("{"), 0o600)

	if running, _ := Running(ctx, "dev"); len(running) != 0 {
		t.Fatalf("stale records believed: %+v", running)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "dev", "*.json")); len(left) != 0 {
		t.Errorf("stale records kept: %v", left)
	}
	if _, err := Pick(nil, "dev", "", "killed"); err == nil {
		t.Error("picked a berth up that is gone")
	}
	if posts.Load() != 0 {
		t.Errorf("a process that took the port was sent %d command(s)", posts.Load())
	}

	plantRecord(t, Record{Env: "dev", Service: "killed", PID: 1, Control: goneAddr, Token: "old"})
	startFake(t, "dev", "killed")
	if running, _ := Running(ctx, "dev"); len(running) != 1 || running[0].PID != os.Getpid() {
		t.Errorf("the new berth up did not take the stale record's place: %+v", running)
	}
}

func plantRecord(t *testing.T, rec Record) {
	t.Helper()
	p, _, _ := files(rec.Env, rec.Service)
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

func gone(path string) bool {
	_, err := os.Stat(path)
	return errors.Is(err, os.ErrNotExist)
}

// Berth ups of one service started at the same instant: exactly one runs it.
func TestConcurrentClaimsHaveOneWinner(t *testing.T) {
	t.Setenv("BERTH_CONTROL_DIR", t.TempDir())
	// a record left by a killed berth up makes every contender look at it first
	plantRecord(t, Record{Env: "dev", Service: "orders", PID: 1, Control: "127.0.0.1:1", Token: "old"})
	for round := range 30 {
		const n = 6
		results := make(chan error, n)
		ctls := make(chan *Endpoint, n)
		for range n {
			go func() {
				ctl, err := Start(context.Background(), "dev", "orders", &fakeUp{env: "dev", service: "orders"})
				if err == nil {
					ctls <- ctl
				}
				results <- err
			}()
		}
		wins := 0
		for range n {
			err := <-results
			var already *AlreadyRunningError
			switch {
			case err == nil:
				wins++
			case !errors.As(err, &already):
				t.Fatalf("round %d: a contender failed otherwise: %v", round, err)
			}
		}
		if wins != 1 {
			t.Fatalf("round %d: %d winners", round, wins)
		}
		(<-ctls).Close()
	}
}

// A berth up that holds its service but does not answer (Ctrl-Z, or a machine under
// load) keeps it: its record stays, a second berth up is refused, and down and reload
// say it does not answer instead of acting under it.
func TestAnUnresponsiveUpKeepsItsService(t *testing.T) {
	t.Setenv("BERTH_CONTROL_DIR", t.TempDir())
	old := controlClient.Timeout
	controlClient.Timeout = 200 * time.Millisecond
	defer func() { controlClient.Timeout = old }()
	release := make(chan struct{})
	defer close(release)
	stuck := &stuckUp{fakeUp: fakeUp{env: "dev", service: "orders"}, release: release}
	ctl, err := Start(context.Background(), "dev", "orders", stuck)
	if err != nil {
		t.Fatal(err)
	}
	defer ctl.Close()
	stuck.stuck.Store(true)

	running, err := Running(context.Background(), "dev")
	if err != nil || len(running) != 1 || running[0].Unresponsive == "" || running[0].PID != os.Getpid() {
		t.Fatalf("running: %v %+v", err, running)
	}
	if p, _, _ := files("dev", "orders"); gone(p) {
		t.Error("the record of a live berth up was removed")
	}
	if _, err := Pick(running, "dev", "orders", ""); err == nil || !strings.Contains(err.Error(), "does not answer") {
		t.Errorf("pick: %v", err)
	}
	_, err = Start(context.Background(), "dev", "orders", &fakeUp{env: "dev", service: "orders"})
	var already *AlreadyRunningError
	if !errors.As(err, &already) {
		t.Errorf("a second berth up beside an unresponsive one: %v", err)
	}
}

type stuckUp struct {
	fakeUp
	stuck   atomic.Bool
	release chan struct{}
}

func (s *stuckUp) State() State {
	if s.stuck.Load() {
		<-s.release
	}
	return s.fakeUp.State()
}

// A berth up whose berth.yml does not load says so to "berth reload", as the manifest
// error it is (berth exits 2 for it), and reloads nothing.
func TestAReloadOfABrokenManifestIsRefused(t *testing.T) {
	t.Setenv("BERTH_CONTROL_DIR", t.TempDir())
	f, _ := startFake(t, "dev", "orders")
	f.refuse = &manifest.Error{File: "berth.yml", Line: 3, Key: "port", Msg: "99999 is out of range (1-65535)"}
	running, _ := Running(context.Background(), "dev")
	inst, err := Pick(running, "dev", "orders", "")
	if err != nil {
		t.Fatal(err)
	}
	err = inst.Reload(context.Background())
	if !manifest.IsManifestError(err) || !strings.Contains(err.Error(), "did not reload") || !strings.Contains(err.Error(), "berth.yml:3: port: 99999 is out of range") {
		t.Errorf("reload of a broken manifest: %v", err)
	}
	f.refuse = errors.New("secrets.API_KEY: no value")
	if err := inst.Reload(context.Background()); err == nil || manifest.IsManifestError(err) || !strings.Contains(err.Error(), "API_KEY") {
		t.Errorf("reload without a secret: %v", err)
	}
}

// Records and locks are kept only where no other user can write: a control directory
// anyone may write to is refused, before anything is claimed or believed.
func TestAWorldWritableControlDirectoryIsRefused(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("modes")
	}
	dir := t.TempDir()
	t.Setenv("BERTH_CONTROL_DIR", dir)
	os.Chmod(dir, 0o777)
	var unsafe *localtls.UnsafeDirError
	_, err := Start(context.Background(), "dev", "orders", &fakeUp{env: "dev", service: "orders"})
	if !errors.As(err, &unsafe) || !strings.Contains(err.Error(), "is writable by every user (mode 0777)") {
		t.Errorf("claim in a world-writable directory: %v", err)
	}
	os.Chmod(dir, 0o700)
	os.MkdirAll(filepath.Join(dir, "dev"), 0o700)
	os.Chmod(filepath.Join(dir, "dev"), 0o777)
	plantRecord(t, Record{Env: "dev", Service: "orders", PID: 1, Control: "127.0.0.1:1", Token: "x"})
	if _, err := Running(context.Background(), "dev"); !errors.As(err, &unsafe) {
		t.Errorf("records read from a world-writable directory: %v", err)
	}
}
