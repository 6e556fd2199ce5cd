package lb

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// The balancer sees every request, so it counts them the way the ALB's CloudWatch
// metrics do: RequestCount, the 5xx answered (HTTPCode_Target_5XX_Count and, for the
// balancer's own 502 and 503, HTTPCode_ELB_5XX_Count), and TargetResponseTime, "the
// time elapsed after the request leaves the load balancer until a response from the
// target is received" (Elastic Load Balancing, "CloudWatch metrics for your
// Application Load Balancer"). On the request path that is atomic adds into counters
// and a fixed-bucket histogram per target: no lock, no allocation.

// latencyBuckets covers 1 µs to beyond a minute, four buckets per doubling (each at
// most 25% wide, so a percentile read from it is within about 12% of the truth).
const latencyBuckets = 108

// latencyBucket is the bucket of d: its value in units of 1,024 ns, by its highest
// bit and the two bits below it.
func latencyBucket(d time.Duration) int {
	v := uint64(max(d, 0)) >> 10
	if v < 4 {
		return int(v)
	}
	n := bits.Len64(v) // ≥ 3
	i := (n-2)*4 + int(v>>(n-3)&3)
	return min(i, latencyBuckets-1)
}

// bucketBounds are the smallest and the first value past bucket i.
func bucketBounds(i int) (lo, hi time.Duration) {
	if i < 4 {
		return time.Duration(i) << 10, time.Duration(i+1) << 10
	}
	k, m := i/4, i%4
	lo = time.Duration(4+m) << (k - 1) << 10
	return lo, lo + time.Duration(1)<<(k-1)<<10
}

// stats are one target's counters since it was registered.
type stats struct {
	requests atomic.Uint64
	errors   atomic.Uint64 // answered with a 5xx, the target's or the balancer's
	latency  [latencyBuckets]atomic.Uint64
}

// record counts a request that got code; took is its target response time, and a
// request the balancer answered itself (took < 0) has none.
func (s *stats) record(code int, took time.Duration) {
	s.requests.Add(1)
	if code >= 500 {
		s.errors.Add(1)
	}
	if took >= 0 {
		s.latency[latencyBucket(took)].Add(1)
	}
}

func (s *stats) counts() Counts {
	c := Counts{Requests: s.requests.Load(), Errors: s.errors.Load()}
	for i := range s.latency {
		c.Latency[i] = s.latency[i].Load()
	}
	return c
}

// Counts are what the balancer counted, cumulative: requests, those answered with a
// 5xx, and a histogram of target response times.
type Counts struct {
	Requests uint64
	Errors   uint64
	Latency  Histogram
}

// Histogram counts target response times in fixed buckets.
type Histogram [latencyBuckets]uint64

// Add adds o to c.
func (c *Counts) Add(o Counts) {
	c.Requests += o.Requests
	c.Errors += o.Errors
	for i := range c.Latency {
		c.Latency[i] += o.Latency[i]
	}
}

// Since is what was counted after prev, an earlier reading of the same counters.
func (c Counts) Since(prev Counts) Counts {
	d := Counts{Requests: c.Requests - prev.Requests, Errors: c.Errors - prev.Errors}
	for i := range c.Latency {
		d.Latency[i] = c.Latency[i] - prev.Latency[i]
	}
	return d
}

// Observe counts n response times of d.
func (h *Histogram) Observe(d time.Duration, n uint64) { h[latencyBucket(d)] += n }

// Quantile is the target response time below which a fraction q of those measured
// fall: the middle of the bucket it falls in; 0 when none was measured.
func (h *Histogram) Quantile(q float64) time.Duration {
	var n uint64
	for _, v := range h {
		n += v
	}
	if n == 0 {
		return 0
	}
	rank := uint64(q*float64(n) + 0.5)
	rank = min(max(rank, 1), n)
	var seen uint64
	for i, v := range h {
		seen += v
		if seen >= rank {
			lo, hi := bucketBounds(i)
			return lo + (hi-lo)/2
		}
	}
	return 0
}

// Traffic is what the balancer counted since it started: in all, per target registered
// now (since its registration), and per group (every target the group ever had, and
// the requests its side of a split found no target for).
type Traffic struct {
	Total   Counts
	Targets map[string]Counts
	Groups  map[string]Counts
}

type retired struct {
	at    time.Time
	s     *stats
	group string
}

// Traffic reads the counters. A deregistered target's counts stay in the total and its
// group's; those that left more than a minute ago (nothing of theirs can still be in
// flight but a long stream) are folded into sums. The balancer's lock, which every
// request takes to pick a target, is held only to copy the lists.
func (b *Balancer) Traffic() Traffic {
	b.trafficMu.Lock() // one reader at a time: a fold is never seen half done
	defer b.trafficMu.Unlock()
	b.mu.Lock()
	targets := append([]*target(nil), b.targets...)
	var fold, recent []retired
	kept := b.retired[:0]
	for _, r := range b.retired {
		if time.Since(r.at) > time.Minute {
			fold = append(fold, r)
		} else {
			kept = append(kept, r)
		}
	}
	clear(b.retired[len(kept):])
	b.retired = kept
	recent = append(recent, kept...)
	groups := make(map[string]*group, len(b.groups))
	for name, g := range b.groups {
		groups[name] = g
	}
	b.mu.Unlock()

	for _, r := range fold {
		c := r.s.counts()
		b.gone.Add(c)
		if g := groups[r.group]; g != nil { // RegisterIn made it
			g.gone.Add(c)
		}
	}
	tr := Traffic{Total: b.unrouted.counts(), Targets: make(map[string]Counts, len(targets)), Groups: map[string]Counts{}}
	tr.Total.Add(b.gone)
	add := func(name string, c Counts) {
		if name != "" {
			g := tr.Groups[name]
			g.Add(c)
			tr.Groups[name] = g
		}
	}
	for name, g := range groups {
		// the gone sums are already in b.gone; the group's own 503s are not yet in the total
		u := g.unrouted.counts()
		tr.Total.Add(u)
		add(name, u)
		add(name, g.gone)
	}
	for _, t := range targets {
		c := t.stats.counts()
		tr.Targets[t.id] = c
		tr.Total.Add(c)
		add(t.group, c)
	}
	for _, r := range recent {
		c := r.s.counts()
		tr.Total.Add(c)
		add(r.group, c)
	}
	return tr
}
