// Package localvitals is berth up's count of a service's vital signs, as CloudWatch
// counts them on AWS: it reads the local load balancer's counters every few seconds,
// keeps the last minute and an hour of points in memory, says a line when traffic
// changes, and writes the numbers short for berth status --local.
//
// It knows the balancer's counters, not Docker or the control endpoint: it imports
// lb and style only.
package localvitals

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/berthdev/berth/internal/lb"
	"github.com/berthdev/berth/internal/style"
)

// The local load balancer sees every request, so berth up knows the service's vital
// signs as CloudWatch knows them on AWS: requests, the share answered 5xx, and the
// percentiles of the target response time. They are kept in memory only: cumulative
// readings of the balancer's counters for the last minute, and an hour of 10-second
// points for a chart.

// Vitals are the vital signs over a span of time.
type Vitals struct {
	Seconds           float64 `json:"seconds"` // the span they cover
	Requests          uint64  `json:"requests"`
	RequestsPerSecond float64 `json:"requests_per_second"`
	Errors5xx         uint64  `json:"errors_5xx"`
	ErrorShare        float64 `json:"error_share"` // of the requests, answered 5xx: 0 to 1
	P50Ms             float64 `json:"p50_ms"`      // target response time; 0 with no answer
	P99Ms             float64 `json:"p99_ms"`
}

// Traffic is what status shows of a service or a replica: since it started, the last
// minute, and for the service a series of points.
type Traffic struct {
	Total      Vitals  `json:"total"`
	LastMinute Vitals  `json:"last_minute"`
	Series     *Series `json:"series,omitempty"`
}

// Series are the vital signs per period, oldest first, each list a value per point.
type Series struct {
	PeriodSeconds int       `json:"period_seconds"`
	Start         time.Time `json:"start"` // where the first point's period begins
	Requests      []uint64  `json:"requests"`
	ErrorShare    []float64 `json:"error_share"`
	P50Ms         []float64 `json:"p50_ms"`
	P99Ms         []float64 `json:"p99_ms"`
}

const (
	samplePeriod = 5 * time.Second  // how often the counters are read, and the summary at most
	seriesPeriod = 10 * time.Second // a point of the series
	seriesPoints = 360              // an hour of them
	window       = time.Minute      // "last minute"
)

func vitals(c lb.Counts, span time.Duration) Vitals {
	v := Vitals{Seconds: Round(span.Seconds(), 1), Requests: c.Requests, Errors5xx: c.Errors,
		P50Ms: ms(c.Latency.Quantile(0.5)), P99Ms: ms(c.Latency.Quantile(0.99))}
	if span > 0 {
		v.RequestsPerSecond = Round(float64(c.Requests)/span.Seconds(), 2)
	}
	if c.Requests > 0 {
		v.ErrorShare = Round(float64(c.Errors)/float64(c.Requests), 4)
	}
	return v
}

func ms(d time.Duration) float64 { return Round(float64(d)/1e6, 3) }

// Round rounds f to digits decimals, for numbers that read short in JSON and text.
func Round(f float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(f*p) / p
}

type reading struct {
	at time.Time
	tr lb.Traffic
}

// Monitor reads the balancer's counters every samplePeriod.
type Monitor struct {
	read    func() lb.Traffic
	started time.Time
	Style   style.Style // of the summary line

	mu       sync.Mutex
	readings []reading // the last minute's, oldest first
	series   Series
	quiet    bool // the last summary said no requests came
}

// NewMonitor makes the monitor of the counters read returns, started now.
func NewMonitor(read func() lb.Traffic, now time.Time) *Monitor {
	return &Monitor{read: read, started: now, quiet: true,
		series: Series{PeriodSeconds: int(seriesPeriod / time.Second), Start: now.UTC()}}
}

// Run reads the counters until ctx ends, and passes a summary of each period in which
// something changed to say.
func (m *Monitor) Run(ctx context.Context, say func(string)) {
	t := time.NewTicker(samplePeriod)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if s := m.sample(now); s != "" {
				say(s)
			}
		}
	}
}

// sample takes a reading at now and returns the summary line of the period since the
// last one: when requests came, or once when they stopped; else "".
func (m *Monitor) sample(now time.Time) string {
	tr := m.read()
	m.mu.Lock()
	defer m.mu.Unlock()
	prev := reading{at: m.started, tr: lb.Traffic{}}
	if n := len(m.readings); n > 0 {
		prev = m.readings[n-1]
	}
	m.readings = append(m.readings, reading{at: now, tr: tr})
	// keep one reading at least a window old, the base of "last minute"
	for len(m.readings) > 1 && now.Sub(m.readings[1].at) >= window {
		m.readings = m.readings[1:]
	}
	m.addPoint(now, tr)

	d := tr.Total.Since(prev.tr.Total)
	switch {
	case d.Requests > 0:
		m.quiet = false
		return summary(m.Style, vitals(d, now.Sub(prev.at)), perTarget(tr, prev.tr, now.Sub(prev.at)))
	case !m.quiet:
		m.quiet = true
		return fmt.Sprintf("traffic: no requests in the last %s (%d since berth up started)", samplePeriod, tr.Total.Requests)
	}
	return ""
}

// addPoint closes the series' periods that ended by now, from the readings at their
// ends; a period without readings (a stalled process) counts nothing.
func (m *Monitor) addPoint(now time.Time, tr lb.Traffic) {
	s := &m.series
	for {
		end := s.Start.Add(time.Duration(len(s.Requests)+1) * seriesPeriod)
		if now.Before(end) {
			return
		}
		var c lb.Counts
		if !now.After(end.Add(samplePeriod)) {
			c = tr.Total.Since(m.at(end.Add(-seriesPeriod)))
		}
		s.Requests = append(s.Requests, c.Requests)
		v := vitals(c, seriesPeriod)
		s.ErrorShare, s.P50Ms, s.P99Ms = append(s.ErrorShare, v.ErrorShare), append(s.P50Ms, v.P50Ms), append(s.P99Ms, v.P99Ms)
		if len(s.Requests) > seriesPoints {
			s.Start = s.Start.Add(seriesPeriod)
			s.Requests, s.ErrorShare, s.P50Ms, s.P99Ms = s.Requests[1:], s.ErrorShare[1:], s.P50Ms[1:], s.P99Ms[1:]
		}
	}
}

// at is the reading closest to t, not after it (the counters' start when none is).
func (m *Monitor) at(t time.Time) lb.Counts {
	var c lb.Counts
	for _, r := range m.readings {
		if r.at.After(t.Add(samplePeriod / 2)) {
			break
		}
		c = r.tr.Total
	}
	return c
}

// Traffic is what status shows: the service's, and each replica's by name; started
// says when each replica started, for its total's rate.
func (m *Monitor) Traffic(now time.Time, started map[string]time.Time) (service *Traffic, replicas map[string]*Traffic) {
	tr := m.read()
	m.mu.Lock()
	defer m.mu.Unlock()
	base := reading{at: m.started}
	for _, r := range m.readings {
		if now.Sub(r.at) < window {
			break
		}
		base = r
	}
	span := now.Sub(base.at)
	series := m.series
	series.Requests = append([]uint64{}, m.series.Requests...)
	series.ErrorShare = append([]float64{}, m.series.ErrorShare...)
	series.P50Ms = append([]float64{}, m.series.P50Ms...)
	series.P99Ms = append([]float64{}, m.series.P99Ms...)
	service = &Traffic{Total: vitals(tr.Total, now.Sub(m.started)), LastMinute: vitals(tr.Total.Since(base.tr.Total), span), Series: &series}
	replicas = map[string]*Traffic{}
	for id, c := range tr.Targets {
		var life time.Duration
		if t, ok := started[id]; ok {
			life = now.Sub(t)
		}
		replicas[id] = &Traffic{Total: vitals(c, life), LastMinute: vitals(c.Since(base.tr.Targets[id]), min(span, life))}
	}
	return service, replicas
}

type targetRate struct {
	id   string
	rate float64
}

func perTarget(now, prev lb.Traffic, span time.Duration) []targetRate {
	var out []targetRate
	for id, c := range now.Targets {
		if d := c.Since(prev.Targets[id]); d.Requests > 0 {
			out = append(out, targetRate{id, float64(d.Requests) / span.Seconds()})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// summary is berth up's line for a period with requests.
func summary(st style.Style, v Vitals, targets []targetRate) string {
	var b strings.Builder
	text := v.Text()
	if v.Errors5xx > 0 {
		text = st.Red(text)
	}
	fmt.Fprintf(&b, "traffic: %s over the last %.0f s", text, v.Seconds)
	if len(targets) > 0 {
		b.WriteString(" (")
		for i, t := range targets {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s %s/s", t.id, Rate(t.rate))
		}
		b.WriteString(")")
	}
	return b.String()
}

// Text is the vital signs in a few words: "41.2 req/s, 0.5% 5xx, p50 1.3 ms, p99 8.1 ms".
func (v Vitals) Text() string {
	s := fmt.Sprintf("%s req/s, %s 5xx", Rate(v.RequestsPerSecond), Percent(v.ErrorShare))
	if v.P50Ms > 0 || v.P99Ms > 0 {
		s += fmt.Sprintf(", p50 %s, p99 %s", Millis(v.P50Ms), Millis(v.P99Ms))
	}
	return s
}

// Rate is requests per second, one decimal below 10.
func Rate(r float64) string {
	if r < 10 {
		return fmt.Sprintf("%.1f", r)
	}
	return fmt.Sprintf("%.0f", r)
}

// Percent is a share (0 to 1) as a percentage; "<0.1%" for a sliver.
func Percent(share float64) string {
	if share > 0 && share < 0.001 {
		return "<0.1%"
	}
	return fmt.Sprintf("%.1f%%", share*100)
}

// Millis is milliseconds, one decimal below 10.
func Millis(v float64) string {
	if v < 10 {
		return fmt.Sprintf("%.1f ms", v)
	}
	return fmt.Sprintf("%.0f ms", v)
}
