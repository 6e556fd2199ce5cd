package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestIdentityFromTaskMetadata(t *testing.T) {
	meta := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v4/abc/task" {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, `{"TaskARN":"arn:aws:ecs:eu-west-1:123456789012:task/berth-dev/0f1e2d","ServiceName":"orders",
			"AvailabilityZone":"eu-west-1b","Containers":[{"Networks":[{"IPv4Addresses":["10.0.130.7"]}]}]}`)
	}))
	defer meta.Close()
	id := identify(context.Background(), meta.Client(), meta.URL+"/v4/abc")
	want := Identity{Service: "orders", Task: "0f1e2d", PrivateIP: "10.0.130.7", AvailabilityZone: "eu-west-1b",
		TaskARN: "arn:aws:ecs:eu-west-1:123456789012:task/berth-dev/0f1e2d", Revision: id.Revision}
	if id != want {
		t.Errorf("got %+v\nwant %+v", id, want)
	}
}

func TestLocalIdentity(t *testing.T) {
	id := identify(context.Background(), http.DefaultClient, "")
	if id.AvailabilityZone != "local" || id.TaskARN != "local" || id.Task == "" {
		t.Errorf("%+v", id)
	}
}

// On shutdown the health check turns 503 at once while a slow request still finishes.
func TestShutdownDrains(t *testing.T) {
	s := newServer(Identity{Service: "api"}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	release := make(chan struct{})
	s.http.Handler.(*http.ServeMux).HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		<-release
		io.WriteString(w, "done")
	})
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.run(ctx, ln, 5*time.Second) }()
	base := "http://" + ln.Addr().String()

	if resp, err := http.Get(base + "/health"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("health before shutdown: %v %v", resp, err)
	}
	var id Identity
	resp, _ := http.Get(base + "/")
	json.NewDecoder(resp.Body).Decode(&id)
	if id.Service != "api" {
		t.Errorf("GET / = %+v", id)
	}
	slow := make(chan string, 1)
	go func() {
		resp, err := http.Get(base + "/slow")
		if err != nil {
			slow <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		slow <- string(b)
	}()
	time.Sleep(100 * time.Millisecond)
	cancel()
	time.Sleep(100 * time.Millisecond)
	if !s.stopping.Load() {
		t.Error("not stopping after the signal")
	}
	rec := httptest.NewRecorder()
	s.health(rec, nil)
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("health during shutdown = %d, want 503", rec.Code)
	}
	close(release)
	if got := <-slow; got != "done" {
		t.Errorf("in-flight request: %q", got)
	}
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
}
