package localvitals

import (
	"testing"
	"time"

	"github.com/berthdev/berth/internal/lb"
)

// fakeCounters stands for the balancer: what it counted so far.
type fakeCounters struct{ tr lb.Traffic }

func (f *fakeCounters) read() lb.Traffic {
	out := lb.Traffic{Total: f.tr.Total, Targets: map[string]lb.Counts{}}
	for k, v := range f.tr.Targets {
		out.Targets[k] = v
	}
	return out
}

// serve counts n requests to target, errors of them 5xx, each answered in took.
func (f *fakeCounters) serve(target string, n, errors uint64, took time.Duration) {
	if f.tr.Targets == nil {
		f.tr.Targets = map[string]lb.Counts{}
	}
	c := f.tr.Targets[target]
	for _, x := range []*lb.Counts{&c, &f.tr.Total} {
		x.Requests += n
		x.Errors += errors
		x.Latency.Observe(took, n)
	}
	f.tr.Targets[target] = c
}

// berth up says what traffic came in a period with requests, once that it stopped, and
// nothing while nothing happens: not a line per request.
func TestUpSummarisesTrafficWhenItChanges(t *testing.T) {
	f := &fakeCounters{}
	start := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	m := NewMonitor(f.read, start)
	if s := m.sample(start.Add(samplePeriod)); s != "" {
		t.Errorf("no traffic yet, yet %q", s)
	}
	f.serve("api-1", 100, 0, 2*time.Millisecond)
	f.serve("api-2", 100, 2, 2*time.Millisecond)
	got := m.sample(start.Add(2 * samplePeriod))
	want := "traffic: 40 req/s, 1.0% 5xx, p50 2.0 ms, p99 2.0 ms over the last 5 s (api-1 20/s, api-2 20/s)"
	if got != want {
		t.Errorf("summary\n got %q\nwant %q", got, want)
	}
	if s := m.sample(start.Add(3 * samplePeriod)); s != "traffic: no requests in the last 5s (200 since berth up started)" {
		t.Errorf("when it stopped: %q", s)
	}
	if s := m.sample(start.Add(4 * samplePeriod)); s != "" {
		t.Errorf("still nothing, yet %q", s)
	}
}

// status has the vital signs since the start, over the last minute (a minute's
// readings back), per replica, and a series of 10-second points.
func TestStatusTrafficLastMinuteAndSeries(t *testing.T) {
	f := &fakeCounters{}
	start := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	m := NewMonitor(f.read, start)
	// 30 requests of 1 ms in the first 10 s; then 10 s later 60 of 40 ms, 6 of them 5xx
	f.serve("api-1", 30, 0, time.Millisecond)
	m.sample(start.Add(5 * time.Second))
	m.sample(start.Add(10 * time.Second))
	m.sample(start.Add(15 * time.Second))
	f.serve("api-2", 60, 6, 40*time.Millisecond)
	for s := 20; s <= 75; s += 5 {
		m.sample(start.Add(time.Duration(s) * time.Second))
	}
	svc, reps := m.Traffic(start.Add(78*time.Second), map[string]time.Time{"api-1": start, "api-2": start.Add(18 * time.Second)})
	if svc.Total.Requests != 90 || svc.Total.Errors5xx != 6 {
		t.Errorf("total %+v", svc.Total)
	}
	// a minute back is the reading at 15 s: the 60 requests, not the first 30
	if lm := svc.LastMinute; lm.Requests != 60 || lm.ErrorShare != 0.1 || lm.P50Ms < 35 || lm.P50Ms > 45 || lm.Seconds != 63 {
		t.Errorf("last minute %+v", lm)
	}
	if r := reps["api-1"]; r.Total.Requests != 30 || r.LastMinute.Requests != 0 {
		t.Errorf("api-1 %+v", r)
	}
	if r := reps["api-2"]; r.LastMinute.Requests != 60 || r.LastMinute.ErrorShare != 0.1 || r.Total.Seconds != 60 || r.Total.RequestsPerSecond != 1 {
		t.Errorf("api-2 %+v", r)
	}
	s := svc.Series
	if s.PeriodSeconds != 10 || !s.Start.Equal(start) || len(s.Requests) != 7 {
		t.Fatalf("series %+v", s)
	}
	if s.Requests[0] != 30 || s.Requests[1] != 60 || s.Requests[2] != 0 || s.ErrorShare[1] != 0.1 || s.P99Ms[0] > 1.5 {
		t.Errorf("series %+v", s)
	}
}

func TestSeriesKeepsAnHour(t *testing.T) {
	f := &fakeCounters{}
	start := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	m := NewMonitor(f.read, start)
	for at := samplePeriod; at <= 2*time.Hour; at += samplePeriod {
		f.serve("api-1", 1, 0, time.Millisecond)
		m.sample(start.Add(at))
	}
	svc, _ := m.Traffic(start.Add(2*time.Hour), nil)
	if n := len(svc.Series.Requests); n != seriesPoints {
		t.Errorf("%d points, want %d", n, seriesPoints)
	}
	if want := start.Add(time.Hour); !svc.Series.Start.Equal(want) {
		t.Errorf("series starts %s, want %s", svc.Series.Start, want)
	}
	if r := svc.Series.Requests[seriesPoints-1]; r != 2 {
		t.Errorf("last point %d requests, want 2 (one per 5 s)", r)
	}
}
