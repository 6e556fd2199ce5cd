// Command api is the example service berth deploys by default: it says which task
// answered, fails its health check once shutdown begins, and drains on SIGTERM.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"
)

// Identity is what GET / answers: enough to tell the replicas and revisions apart.
type Identity struct {
	Service          string `json:"service"`
	Task             string `json:"task"`
	PrivateIP        string `json:"private_ip"`
	AvailabilityZone string `json:"availability_zone"`
	TaskARN          string `json:"task_arn"`
	Revision         string `json:"revision"`
}

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	addr := ":" + envOr("PORT", "8080")
	id := identify(context.Background(), http.DefaultClient, os.Getenv("ECS_CONTAINER_METADATA_URI_V4"))
	srv := newServer(id, log)

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Error("listen", "addr", addr, "err", err)
		os.Exit(1)
	}
	log.Info("serving", "addr", addr, "task", id.Task, "revision", id.Revision)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := srv.run(ctx, ln, 10*time.Second); err != nil {
		log.Error("shutdown", "err", err)
		os.Exit(1)
	}
	log.Info("stopped")
}

type server struct {
	id       Identity
	log      *slog.Logger
	stopping atomic.Bool
	http     *http.Server
}

func newServer(id Identity, log *slog.Logger) *server {
	s := &server{id: id, log: log}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.root)
	mux.HandleFunc("GET /health", s.health)
	s.http = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	return s
}

func (s *server) root(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(s.id)
}

func (s *server) health(w http.ResponseWriter, _ *http.Request) {
	if s.stopping.Load() {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	w.Write([]byte("ok\n"))
}

// run serves until ctx ends, then fails health checks, finishes in-flight requests
// and returns within grace.
func (s *server) run(ctx context.Context, ln net.Listener, grace time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- s.http.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.stopping.Store(true)
	s.log.Info("shutting down", "grace", grace.String())
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := s.http.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
