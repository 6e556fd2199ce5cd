// Package control is how "berth reload", "berth down" and "berth status --local" find
// a running "berth up" and talk to it, the same way on Linux, macOS and Windows. Each
// berth up holds an operating-system lock on (env, service) for as long as it lives
// (flock on Unix, LockFileEx on Windows; the kernel lets go when the process dies,
// however it dies), and serves a small HTTP endpoint on a loopback port with a secret
// made for the run, announced in a record file only the user can read. The lock
// decides who runs a service: a second berth up cannot take it, and a record whose
// lock nobody holds is stale and removed. The secret decides whom berth talks to: a
// port that a killed berth up left is never sent a command unless whoever answers
// knows its secret, so berth never acts on another process, as a process id in a stale
// file could make it do.
//
// It holds both ends of that conversation, not what either side does with it: it
// imports no Docker, nothing of berth up's (local, envlistener, localops) and nothing
// of the AWS path; localvitals only for the traffic a state carries.
package control

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/localtls"
	"github.com/berthdev/berth/internal/manifest"
	"github.com/berthdev/berth/internal/routing"
	"github.com/gofrs/flock"
)

// Record is what a running "berth up" announces about itself.
type Record struct {
	Env     string    `json:"env"`
	Service string    `json:"service"`
	PID     int       `json:"pid"` // for people reading status; never signalled
	Control string    `json:"control"`
	Token   string    `json:"token"`
	Started time.Time `json:"started"`
	// Route and Backend, for a service on the environment's shared listener: what it
	// takes there, and its own balancer's private address, to which the berth up that
	// serves the listener sends it (internal/envlistener).
	Route   *routing.Route `json:"route,omitempty"`
	Backend string         `json:"backend,omitempty"`
}

// Instance is a live berth up: its record and what it runs now. Unresponsive says why
// it did not answer (stopped with Ctrl-Z, or overloaded): it still holds its service.
type Instance struct {
	Record
	State        State
	Unresponsive string
}

// Dir is where the records live: the user's cache directory, or BERTH_CONTROL_DIR
// (tests, and people who want them elsewhere). Never a directory other users share.
func Dir() (string, error) {
	if d := os.Getenv("BERTH_CONTROL_DIR"); d != "" {
		return d, nil
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("berth up keeps its control records in the user cache directory: %w (set BERTH_CONTROL_DIR)", err)
	}
	return filepath.Join(dir, "berth", "up"), nil
}

// privateControlDirs refuses an environment's directory of records, or the directory
// above it, that other users may write to.
func privateControlDirs(envDir string) error {
	for _, d := range []string{filepath.Dir(envDir), envDir} {
		if err := localtls.CheckPrivate(d, "control directory", "BERTH_CONTROL_DIR"); err != nil {
			return err
		}
	}
	return nil
}

// files are where the record and the lock of (env, service) are. The names were
// validated (lower-case letters, digits, hyphens) before they got here: no path
// separator, no "..".
func files(env, service string) (record, lock string, err error) {
	dir, err := Dir()
	if err != nil {
		return "", "", err
	}
	base := filepath.Join(dir, env, service)
	return base + ".json", base + ".lock", nil
}

// Up is what the control endpoint asks of the berth up it belongs to.
type Up interface {
	State() State
	// RequestReload checks that the manifest loads, and asks for the reload ("berth
	// reload": a forced one); an error says why it was not asked for.
	RequestReload(context.Context) error
	RequestStop()
}

// Endpoint is the endpoint of one running berth up, and its claim on (env, service).
type Endpoint struct {
	srv  *http.Server
	path string
	lock *flock.Flock
	rec  Record
}

// Announce adds to the record where the service answers on the environment's shared
// listener and where its balancer listens.
func (c *Endpoint) Announce(r routing.Route, backend string) error {
	c.rec.Route, c.rec.Backend = &r, backend
	return writeRecord(c.path, c.rec)
}

// AlreadyRunningError says the service runs under another berth up already.
type AlreadyRunningError struct{ Instance Instance }

func (e *AlreadyRunningError) Error() string {
	i := e.Instance
	where := ""
	if i.State.URL != "" {
		where = " on " + i.State.URL
	}
	return fmt.Sprintf("%s already runs in environment %s under another berth up (pid %d%s)", i.Service, i.Env, i.PID, where)
}

// Hint tells the user what to do.
func (e *AlreadyRunningError) Hint() string {
	i := e.Instance
	return fmt.Sprintf("\"berth reload --env %s --service %s\" applies berth.yml to it; \"berth down --env %s --service %s\" stops it; --env NAME runs another copy beside it", i.Env, i.Service, i.Env, i.Service)
}

// Start claims (env, service) and serves the endpoint for c: when a live berth up
// holds the claim, it returns an *AlreadyRunningError and nothing is started.
func Start(ctx context.Context, env, service string, c Up) (*Endpoint, error) {
	path, lockPath, err := files(env, service)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("control record: %w", err)
	}
	if err := privateControlDirs(filepath.Dir(path)); err != nil {
		return nil, err
	}
	lock := flock.New(lockPath, flock.SetPermissions(0o600))
	ok, err := lock.TryLock()
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", lockPath, err)
	}
	if !ok {
		return nil, &AlreadyRunningError{Instance: holder(ctx, env, service, path)}
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		lock.Unlock()
		return nil, fmt.Errorf("control endpoint: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		lock.Unlock()
		return nil, fmt.Errorf("control endpoint: %w", err)
	}
	rec := Record{Env: env, Service: service, PID: os.Getpid(), Control: ln.Addr().String(), Token: hex.EncodeToString(secret), Started: time.Now().UTC()}
	ctl := &Endpoint{path: path, lock: lock, rec: rec, srv: &http.Server{
		Handler: controlHandler(rec, c), ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout: 30 * time.Second, MaxHeaderBytes: 8 << 10,
	}}
	go ctl.srv.Serve(ln)
	if err := writeRecord(path, rec); err != nil {
		ctl.Close()
		return nil, err
	}
	return ctl, nil
}

// holder is what can be said of the berth up that holds a claim: what its record says
// once it answers (it may have taken the lock an instant ago and be writing it).
func holder(ctx context.Context, env, service, path string) Instance {
	inst := probe(ctx, path)
	for i := 0; i < 20 && inst.Token == ""; i++ {
		time.Sleep(100 * time.Millisecond)
		inst = probe(ctx, path)
	}
	inst.Env, inst.Service = env, service
	return inst
}

// writeRecord replaces the record at once: readers see the old one or the new one,
// never half of it. Windows refuses to replace a file another process has open for an
// instant; that is retried.
func writeRecord(path string, rec Record) error {
	b, _ := json.Marshal(rec)
	tmp := fmt.Sprintf("%s.%d.tmp", path, os.Getpid())
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("control record: %w", err)
	}
	var err error
	for range 10 {
		if err = os.Rename(tmp, path); err == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	os.Remove(tmp)
	return fmt.Errorf("control record: %w", err)
}

// Close gives up the claim and stops answering. Only the holder of the lock removes
// the record, so it is always its own.
func (c *Endpoint) Close() {
	os.Remove(c.path)
	c.srv.Close()
	c.lock.Unlock()
}

func controlHandler(rec Record, c Up) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/state", func(w http.ResponseWriter, _ *http.Request) {
		st := c.State()
		st.PID = rec.PID
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(st)
	})
	mux.HandleFunc("POST /v1/reload", func(w http.ResponseWriter, req *http.Request) {
		if err := c.RequestReload(req.Context()); err != nil {
			refusal := reloadRefusal{Error: err.Error()}
			errors.As(err, &refusal.Manifest)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnprocessableEntity)
			json.NewEncoder(w).Encode(refusal)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	})
	mux.HandleFunc("POST /v1/stop", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		c.RequestStop()
	})
	want := []byte("Bearer " + rec.Token)
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if subtle.ConstantTimeCompare([]byte(req.Header.Get("Authorization")), want) != 1 {
			http.Error(w, "not yours", http.StatusUnauthorized)
			return
		}
		mux.ServeHTTP(w, req)
	})
}

var controlClient = &http.Client{Timeout: 3 * time.Second}

func (i Instance) call(ctx context.Context, method, path string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, "http://"+i.Control+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+i.Token)
	resp, err := controlClient.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusUnprocessableEntity {
		defer resp.Body.Close()
		var refusal reloadRefusal
		json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&refusal)
		return nil, &ReloadRefusedError{PID: i.PID, Reason: refusal.Error, Manifest: refusal.Manifest}
	}
	if resp.StatusCode/100 != 2 {
		resp.Body.Close()
		return nil, fmt.Errorf("berth up (pid %d) answered %s", i.PID, resp.Status)
	}
	return resp, nil
}

// probe reads a record and asks the berth up it names for its state. Unresponsive is
// set when that berth up did not answer as the record says it would.
func probe(ctx context.Context, path string) Instance {
	var inst Instance
	b, err := os.ReadFile(path)
	if err != nil {
		inst.Unresponsive = "no control record yet"
		return inst
	}
	if json.Unmarshal(b, &inst.Record) != nil || inst.Control == "" || inst.Token == "" {
		inst.Unresponsive = "its control record is not one berth wrote"
		return inst
	}
	if host, _, err := net.SplitHostPort(inst.Control); err != nil || host != "127.0.0.1" {
		// berth only ever listens on loopback: anything else is not its record
		inst.Unresponsive = "its control record names " + inst.Control
		return inst
	}
	resp, err := inst.call(ctx, http.MethodGet, "/v1/state")
	if err != nil {
		inst.Unresponsive = "its control endpoint did not answer: " + err.Error()
		return inst
	}
	defer resp.Body.Close()
	if json.NewDecoder(resp.Body).Decode(&inst.State) != nil || inst.State.Env != inst.Env || inst.State.Service != inst.Service {
		inst.Unresponsive = "its control endpoint answered for something else"
	}
	return inst
}

// Running lists the live berth ups in env (every environment when env is empty), by
// environment and service: those that hold their service's lock, whether or not they
// answer. A record whose lock nobody holds is stale and removed.
func Running(ctx context.Context, env string) ([]Instance, error) {
	dir, err := Dir()
	if err != nil {
		return nil, err
	}
	pattern := filepath.Join(dir, env, "*.json")
	if env == "" {
		pattern = filepath.Join(dir, "*", "*.json")
	}
	paths, _ := filepath.Glob(pattern)
	for _, p := range paths {
		if err := privateControlDirs(filepath.Dir(p)); err != nil {
			return nil, err
		}
	}
	var out []Instance
	for _, p := range paths {
		if info, err := os.Lstat(p); err != nil || !info.Mode().IsRegular() {
			continue // only files berth writes; never follow a link out of the directory
		}
		lock := flock.New(strings.TrimSuffix(p, ".json") + ".lock")
		if free, err := lock.TryLock(); err == nil && free {
			os.Remove(p) // nobody holds the service: whoever wrote this is gone
			lock.Unlock()
			continue
		}
		inst := probe(ctx, p)
		if inst.Env == "" {
			inst.Env, inst.Service = filepath.Base(filepath.Dir(p)), strings.TrimSuffix(filepath.Base(p), ".json")
		}
		out = append(out, inst)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Env != out[j].Env {
			return out[i].Env < out[j].Env
		}
		return out[i].Service < out[j].Service
	})
	return out, nil
}

// Reload asks the berth up to read its manifest again and roll out. A manifest that
// does not load is a *ReloadRefusedError, and nothing changes.
func (i Instance) Reload(ctx context.Context) error {
	resp, err := i.call(ctx, http.MethodPost, "/v1/reload")
	var refused *ReloadRefusedError
	if errors.As(err, &refused) {
		return err
	}
	if err != nil {
		return fmt.Errorf("ask berth up (pid %d) to reload: %w", i.PID, err)
	}
	resp.Body.Close()
	return nil
}

// reloadRefusal is the control endpoint's answer to a reload it did not ask for.
type reloadRefusal struct {
	Error    string          `json:"error"`
	Manifest *manifest.Error `json:"manifest,omitempty"` // set when the manifest is what is wrong
}

// ReloadRefusedError says the berth up did not reload: its berth.yml does not load (a
// manifest error, exit code 2), or a secret has no value.
type ReloadRefusedError struct {
	PID      int
	Reason   string
	Manifest *manifest.Error
}

func (e *ReloadRefusedError) Error() string {
	return fmt.Sprintf("berth up (pid %d) did not reload, its running configuration stays: %s", e.PID, e.Reason)
}

// Unwrap is the manifest error, so that berth exits as for any invalid manifest.
func (e *ReloadRefusedError) Unwrap() error {
	if e.Manifest == nil {
		return nil
	}
	return e.Manifest
}

// Stop asks the berth up to stop as Ctrl-C does (drain, then remove its replicas) and
// waits until it is gone, or until ctx ends.
func (i Instance) Stop(ctx context.Context) error {
	resp, err := i.call(ctx, http.MethodPost, "/v1/stop")
	if err != nil {
		return fmt.Errorf("ask berth up (pid %d) to stop: %w", i.PID, err)
	}
	resp.Body.Close()
	_, lockPath, err := files(i.Env, i.Service)
	if err != nil {
		return err
	}
	lock := flock.New(lockPath)
	for {
		if free, err := lock.TryLock(); err == nil && free {
			lock.Unlock()
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("berth up (pid %d) of %s is still stopping: %w", i.PID, i.Service, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// Pick chooses the berth up a command means: the service named (by flag, else by the
// manifest at hand), else the only one running. The error lists what runs.
func Pick(running []Instance, env, service, manifestService string) (Instance, error) {
	want := service
	if want == "" {
		want = manifestService
	}
	if want != "" {
		for _, i := range running {
			if i.Service == want {
				return Answering(i)
			}
		}
		return Instance{}, &NotRunningError{Env: env, Service: want, Running: running}
	}
	if len(running) == 1 {
		return Answering(running[0])
	}
	return Instance{}, &NotRunningError{Env: env, Running: running}
}

// Answering is i, or why it does not answer.
func Answering(i Instance) (Instance, error) {
	if i.Unresponsive != "" {
		return i, fmt.Errorf("the berth up of %s in environment %s (pid %d) holds it but does not answer: %s", i.Service, i.Env, i.PID, i.Unresponsive)
	}
	return i, nil
}

// NotRunningError says no berth up answers for what was asked.
type NotRunningError struct {
	Env, Service string
	Running      []Instance
}

func (e *NotRunningError) Error() string {
	var names []string
	for _, i := range e.Running {
		names = append(names, i.Service)
	}
	switch {
	case e.Service == "" && len(names) > 1:
		return fmt.Sprintf("%d berth ups run in environment %s (%s): say which", len(names), e.Env, strings.Join(names, ", "))
	case e.Service != "" && len(names) > 0:
		return fmt.Sprintf("no berth up runs %s in environment %s (running: %s)", e.Service, e.Env, strings.Join(names, ", "))
	case e.Service != "":
		return fmt.Sprintf("no berth up runs %s in environment %s", e.Service, e.Env)
	}
	return "no berth up is running in environment " + e.Env
}

// Hint tells the user what to do.
func (e *NotRunningError) Hint() string {
	if len(e.Running) > 0 {
		return "pass --service with one of the running services"
	}
	return "start one with \"berth up\" (--env picks the environment)"
}
