package local

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// How "berth reload", "berth down" and "berth status --local" find a running "berth up"
// and talk to it, the same way on Linux, macOS and Windows: each berth up serves a
// small HTTP endpoint on a loopback port with a secret made for this run, and announces
// both in a record file that only the user can read. A record is believed only when the
// endpoint behind it answers with its secret: a record left by a berth up that was
// killed names a port nobody answers on (or someone who does not know the secret), so a
// stale file can never make berth act on another process, which a PID could.

// Record is what a running "berth up" announces about itself.
type Record struct {
	Env     string    `json:"env"`
	Service string    `json:"service"`
	PID     int       `json:"pid"` // for people reading status; never signalled
	Control string    `json:"control"`
	Token   string    `json:"token"`
	Started time.Time `json:"started"`
}

// Instance is a berth up that answered: its record and what it runs now.
type Instance struct {
	Record
	State State
}

// State is what a running "berth up" says it runs.
type State struct {
	Service  string         `json:"service"`
	Env      string         `json:"env"`
	URL      string         `json:"url,omitempty"`
	PID      int            `json:"pid,omitempty"`
	Replicas []ReplicaState `json:"replicas"`
	Updated  time.Time      `json:"updated"`
}

// ReplicaState is one replica as status shows it.
type ReplicaState struct {
	Name      string `json:"name"`
	Container string `json:"container"`
	Addr      string `json:"addr,omitempty"`
	Revision  string `json:"revision"`
	Health    string `json:"health"`
	Reason    string `json:"reason,omitempty"`
	Status    string `json:"status,omitempty"`
}

// ControlDir is where the records live: the user's cache directory, or BERTH_CONTROL_DIR
// (tests, and people who want them elsewhere).
func ControlDir() string {
	if d := os.Getenv("BERTH_CONTROL_DIR"); d != "" {
		return d
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "berth", "up")
}

func recordPath(env, service string) string {
	return filepath.Join(ControlDir(), env, service+".json")
}

// controller is what the control endpoint asks of the berth up it belongs to.
type controller interface {
	state() State
	requestReload(Reload)
	requestStop()
}

// control is the endpoint of one running berth up, and its claim on (env, service).
type control struct {
	srv  *http.Server
	path string
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

// startControl serves the endpoint for c and claims (env, service): when a live berth up
// holds the claim, it returns an *AlreadyRunningError and nothing is started.
func startControl(ctx context.Context, env, service string, c controller) (*control, error) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("control endpoint: %w", err)
	}
	token := hex.EncodeToString(secret)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("control endpoint: %w", err)
	}
	rec := Record{Env: env, Service: service, PID: os.Getpid(), Control: ln.Addr().String(), Token: token, Started: time.Now().UTC()}
	ctl := &control{srv: &http.Server{Handler: controlHandler(rec, c), ReadHeaderTimeout: 5 * time.Second}, path: recordPath(env, service)}
	go ctl.srv.Serve(ln)
	if err := claim(ctx, ctl.path, rec); err != nil {
		ctl.srv.Close()
		return nil, err
	}
	return ctl, nil
}

// close gives up the claim, then stops answering.
func (c *control) close() {
	os.Remove(c.path)
	c.srv.Close()
}

// claim writes the record unless a live berth up holds it. Creating the file
// exclusively makes two berth ups started at once agree on which one runs.
func claim(ctx context.Context, path string, rec Record) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("control record: %w", err)
	}
	b, _ := json.Marshal(rec)
	for attempt := 0; ; attempt++ {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			_, werr := f.Write(b)
			if cerr := f.Close(); werr == nil {
				werr = cerr
			}
			if werr != nil {
				os.Remove(path)
				return fmt.Errorf("control record: %w", werr)
			}
			return nil
		}
		if !errors.Is(err, fs.ErrExist) || attempt > 0 {
			return fmt.Errorf("control record: %w", err)
		}
		if inst, ok := probe(ctx, path); ok {
			return &AlreadyRunningError{Instance: inst}
		}
		// The berth up that wrote it is gone (or the file is not one): take its place.
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("control record: %w", err)
		}
	}
}

func controlHandler(rec Record, c controller) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/state", func(w http.ResponseWriter, _ *http.Request) {
		st := c.state()
		st.PID = rec.PID
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(st)
	})
	mux.HandleFunc("POST /v1/reload", func(w http.ResponseWriter, _ *http.Request) {
		c.requestReload(Reload{Why: "reload requested", Force: true})
		w.WriteHeader(http.StatusAccepted)
	})
	mux.HandleFunc("POST /v1/stop", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		c.requestStop()
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
	if resp.StatusCode/100 != 2 {
		resp.Body.Close()
		return nil, fmt.Errorf("berth up (pid %d) answered %s", i.PID, resp.Status)
	}
	return resp, nil
}

// probe reads a record and asks the berth up it names for its state: ok only when that
// berth up answers with the record's secret and is the one the record says.
func probe(ctx context.Context, path string) (Instance, bool) {
	var inst Instance
	b, err := os.ReadFile(path)
	if err != nil || json.Unmarshal(b, &inst.Record) != nil || inst.Control == "" || inst.Token == "" {
		return inst, false
	}
	if host, _, err := net.SplitHostPort(inst.Control); err != nil || host != "127.0.0.1" {
		return inst, false // berth only ever listens on loopback: anything else is not its record
	}
	resp, err := inst.call(ctx, http.MethodGet, "/v1/state")
	if err != nil {
		return inst, false
	}
	defer resp.Body.Close()
	if json.NewDecoder(resp.Body).Decode(&inst.State) != nil || inst.State.Env != inst.Env || inst.State.Service != inst.Service {
		return inst, false
	}
	return inst, true
}

// Running lists the berth ups that answer, in env (every environment when env is
// empty), by service. Records nobody answers for are stale and removed.
func Running(ctx context.Context, env string) []Instance {
	pattern := filepath.Join(ControlDir(), env, "*.json")
	if env == "" {
		pattern = filepath.Join(ControlDir(), "*", "*.json")
	}
	paths, _ := filepath.Glob(pattern)
	var out []Instance
	for _, p := range paths {
		if inst, ok := probe(ctx, p); ok {
			out = append(out, inst)
		} else if ctx.Err() == nil {
			os.Remove(p)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Env != out[j].Env {
			return out[i].Env < out[j].Env
		}
		return out[i].Service < out[j].Service
	})
	return out
}

// Reload asks the berth up to read its manifest again and roll out.
func (i Instance) Reload(ctx context.Context) error {
	resp, err := i.call(ctx, http.MethodPost, "/v1/reload")
	if err != nil {
		return fmt.Errorf("ask berth up (pid %d) to reload: %w", i.PID, err)
	}
	resp.Body.Close()
	return nil
}

// Stop asks the berth up to stop as Ctrl-C does (drain, then remove its replicas) and
// waits until it is gone, or until ctx ends.
func (i Instance) Stop(ctx context.Context) error {
	resp, err := i.call(ctx, http.MethodPost, "/v1/stop")
	if err != nil {
		return fmt.Errorf("ask berth up (pid %d) to stop: %w", i.PID, err)
	}
	resp.Body.Close()
	path := recordPath(i.Env, i.Service)
	for {
		if cur, ok := probe(ctx, path); !ok || cur.Token != i.Token {
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
				return i, nil
			}
		}
		return Instance{}, &NotRunningError{Env: env, Service: want, Running: running}
	}
	if len(running) == 1 {
		return running[0], nil
	}
	return Instance{}, &NotRunningError{Env: env, Running: running}
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
