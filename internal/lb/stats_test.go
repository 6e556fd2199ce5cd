package lb

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestLatencyBucketsCoverEveryDurationInOrder(t *testing.T) {
	prev := 0
	for d := time.Duration(0); d < 5*time.Minute; d = d*9/8 + 1 {
		i := latencyBucket(d)
		if i < prev {
			t.Fatalf("%s in bucket %d, after bucket %d", d, i, prev)
		}
		prev = i
		lo, hi := bucketBounds(i)
		if i < latencyBuckets-1 && (d < lo || d >= hi) {
			t.Fatalf("%s in bucket %d, which holds [%s, %s)", d, i, lo, hi)
		}
		if i >= 4 && float64(hi-lo) > 0.25*float64(hi) {
			t.Fatalf("bucket %d [%s, %s) is wider than a quarter of its bound", i, lo, hi)
		}
	}
	if _, hi := bucketBounds(latencyBuckets - 2); hi < 2*time.Minute {
		t.Errorf("the buckets end at %s: a slow answer past the ALB's default idle timeout has none", hi)
	}
}

func TestQuantilesOfAKnownSpread(t *testing.T) {
	var h Histogram
	// 1,000 answers: 1 ms ... 1 s, evenly
	for i := 1; i <= 1000; i++ {
		h[latencyBucket(time.Duration(i)*time.Millisecond)]++
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500 * time.Millisecond}, {0.99, 990 * time.Millisecond}, {0.01, 10 * time.Millisecond}} {
		got := h.Quantile(c.q)
		if off := float64(got-c.want) / float64(c.want); off < -0.13 || off > 0.13 {
			t.Errorf("p%g = %s, want %s within 13%%", c.q*100, got, c.want)
		}
	}
	var empty Histogram
	if q := empty.Quantile(0.5); q != 0 {
		t.Errorf("p50 of nothing = %s", q)
	}
}

// The balancer counts each request once, on the target that answered it: its code
// class and its response time; what no target got is in the total only. A target
// that leaves keeps its part of the total.
func TestTrafficCountsRequestsErrorsAndResponseTimes(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/health" {
			time.Sleep(20 * time.Millisecond)
		}
	}))
	t.Cleanup(slow.Close)
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/health" {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	t.Cleanup(failing.Close)

	b := New(testConfig(), nil)
	t.Cleanup(b.Close)
	url := front(t, b)
	get := func(n int) {
		for range n {
			resp, err := http.Get(url + "/")
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
	get(3) // no target yet: 503s
	b.Register("slow", addr(slow))
	b.Register("failing", addr(failing))
	waitState(t, b, "slow", Healthy)
	waitState(t, b, "failing", Healthy)
	get(20) // round robin: 10 each

	tr := b.Traffic()
	s, f := tr.Targets["slow"], tr.Targets["failing"]
	if s.Requests != 10 || s.Errors != 0 || f.Requests != 10 || f.Errors != 10 {
		t.Errorf("slow %d requests %d 5xx, failing %d requests %d 5xx; want 10 0, 10 10", s.Requests, s.Errors, f.Requests, f.Errors)
	}
	if tr.Total.Requests != 23 || tr.Total.Errors != 13 {
		t.Errorf("total %d requests, %d 5xx; want 23, 13 (3 unrouted 503s)", tr.Total.Requests, tr.Total.Errors)
	}
	if p50 := s.Latency.Quantile(0.5); p50 < 18*time.Millisecond || p50 > 40*time.Millisecond {
		t.Errorf("p50 of a target that takes 20 ms: %s", p50)
	}
	if p50 := f.Latency.Quantile(0.5); p50 > 15*time.Millisecond {
		t.Errorf("p50 of a target that answers at once: %s", p50)
	}

	b.Deregister(context.Background(), "failing")
	after := b.Traffic()
	if _, ok := after.Targets["failing"]; ok || after.Total.Requests != 23 || after.Total.Errors != 13 {
		t.Errorf("after the failing target left: targets %v, total %d requests %d 5xx; want its counts kept in the total",
			keys(after.Targets), after.Total.Requests, after.Total.Errors)
	}
	// a minute later its counts are folded into one sum, still in the total
	b.mu.Lock()
	b.retired[0].at = time.Now().Add(-2 * time.Minute)
	b.mu.Unlock()
	for range 2 {
		if later := b.Traffic(); later.Total.Requests != 23 || later.Total.Errors != 13 || len(b.retired) != 0 {
			t.Errorf("after the fold: %d requests %d 5xx, %d retired kept", later.Total.Requests, later.Total.Errors, len(b.retired))
		}
	}
	since := after.Total.Since(tr.Total)
	if since.Requests != 0 || since.Errors != 0 {
		t.Errorf("nothing happened, yet %d requests since", since.Requests)
	}
}

func keys(m map[string]Counts) string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return strings.Join(out, ",")
}
