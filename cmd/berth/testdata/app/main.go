// Command app is the test service of the local e2e tests, built by berth up like any
// image.build Go package. Its environment makes it misbehave as real apps do:
//
//	APP_START_DELAY  seconds to wait before listening (a JVM, a Rails app)
//	APP_CRASH_CODE   exit at once with this code, after a few lines of output
//	APP_HEALTH_CODE  status of GET /health (200 by default)
//	APP_GREETING     what GET / says, with the replica's host name
//	APP_FAIL_PERCENT share of GET / answered 500, evenly spread (a bad release that
//	                 passes its health check)
//
// GET /slow?ms=N answers after N milliseconds; GET /status/N answers N; any other path
// is answered with the greeting, the host name and the path (a service behind a route of
// a shared listener). "app probe [CODE]" prints where it runs and exits with CODE: the
// command berth exec's test runs in a replica.
package main

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "probe" {
		host, _ := os.Hostname()
		fmt.Printf("probe from %s, greeting %q\n", host, os.Getenv("APP_GREETING"))
		code, _ := strconv.Atoi(append(os.Args[2:], "0")[0])
		os.Exit(code)
	}
	if code, err := strconv.Atoi(os.Getenv("APP_CRASH_CODE")); err == nil {
		fmt.Println("app: starting")
		fmt.Fprintln(os.Stderr, "app: fatal: cannot open /etc/app/config.toml")
		os.Exit(code)
	}
	if s, err := strconv.ParseFloat(os.Getenv("APP_START_DELAY"), 64); err == nil {
		fmt.Printf("app: warming up for %gs\n", s)
		time.Sleep(time.Duration(s * float64(time.Second)))
	}
	health := 200
	if c, err := strconv.Atoi(os.Getenv("APP_HEALTH_CODE")); err == nil {
		health = c
	}
	fail, _ := strconv.ParseFloat(os.Getenv("APP_FAIL_PERCENT"), 64)
	var served atomic.Int64
	host, _ := os.Hostname()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(health) })
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		if n := float64(served.Add(1)); math.Floor(n*fail/100) > math.Floor((n-1)*fail/100) {
			http.Error(w, "failing on purpose (APP_FAIL_PERCENT)", http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, "%s from %s\n", os.Getenv("APP_GREETING"), host)
	})
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s from %s at %s\n", os.Getenv("APP_GREETING"), host, r.URL.Path)
	})
	mux.HandleFunc("GET /forwarded", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "proto=%s port=%s for=%s cloudfront-proto=%s viewer=%s\n", r.Header.Get("X-Forwarded-Proto"), r.Header.Get("X-Forwarded-Port"),
			r.Header.Get("X-Forwarded-For"), r.Header.Get("CloudFront-Forwarded-Proto"), r.Header.Get("CloudFront-Viewer-Address"))
	})
	mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		ms, _ := strconv.Atoi(r.URL.Query().Get("ms"))
		time.Sleep(time.Duration(ms) * time.Millisecond)
		fmt.Fprintf(w, "slow answer after %d ms from %s\n", ms, host)
	})
	mux.HandleFunc("GET /status/{code}", func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(r.PathValue("code"))
		w.WriteHeader(code)
	})
	srv := &http.Server{Addr: ":" + envOr("PORT", "8080"), Handler: mux}
	go func() {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
		defer stop()
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	fmt.Println("app: listening on", srv.Addr)
	if err := srv.ListenAndServe(); err != http.ErrServerClosed {
		fmt.Fprintln(os.Stderr, "app:", err)
		os.Exit(1)
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
