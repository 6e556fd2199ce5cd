package lb

import "math"

// A service's production listener rule on AWS forwards to two target groups by weight
// during a canary, linear or blue/green deployment: its ForwardConfig "distributes
// requests among one or more target groups", each TargetGroupTuple's Weight saying "how
// traffic will be distributed" (CloudFormation reference,
// AWS::ElasticLoadBalancingV2::ListenerRule ForwardConfig and TargetGroupTuple: equal
// weights split the traffic 50/50). Here a target belongs to a group
// (berth up's deployment), and a Split gives one group its share of the requests; the
// other targets share the rest. The choice is a deterministic interleave (a request
// goes to the group each time the accumulated share passes a whole request), so the
// share holds exactly from the first request on, with one integer add under the lock
// that picking a target takes anyway: no allocation, no random number.

// Split sends Percent of the requests to the targets of Group, and the rest to the
// targets of every other group. A request whose side has no healthy target is answered
// 503, as the group it was sent to, whatever the other side has. The zero Split sends
// every request to any healthy target.
type Split struct {
	Group   string
	Percent float64
}

// splitScale is the share's unit: a millionth of the requests.
const splitScale = 1_000_000

// splitter is the Split in force, kept under the balancer's lock.
type splitter struct {
	on    bool
	group string
	share uint64 // of splitScale
	acc   uint64
	// unrouted counts what the group's side could not route
	unrouted *stats
}

// side decides where the next request goes: true for the group.
func (s *splitter) side() bool {
	s.acc += s.share
	if s.acc >= splitScale {
		s.acc -= splitScale
		return true
	}
	return false
}

// route is one request's way through a split, decided at its first pick and kept
// for its retries.
type route struct {
	decided bool
	split   bool   // a split is in force
	inGroup bool   // the request goes to the split's group (else to the others)
	group   string // the split's group
	// unrouted is where the request is counted when its side has no target
	unrouted *stats
}

func (r *route) allows(t *target) bool {
	return !r.split || (t.group == r.group) == r.inGroup
}

// SetSplit changes how requests are shared between groups, from the next request on,
// as modifying the listener rule's weights does.
func (b *Balancer) SetSplit(s Split) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if s.Group == "" {
		b.split = splitter{}
		return
	}
	p := math.Min(math.Max(s.Percent, 0), 100)
	share := uint64(math.Round(p / 100 * splitScale))
	acc := b.split.acc
	if !b.split.on || b.split.group != s.Group {
		acc = 0
	}
	b.split = splitter{on: true, group: s.Group, share: share, acc: acc, unrouted: &b.groupOf(s.Group).unrouted}
}

// Split is the split in force; the zero Split when none is.
func (b *Balancer) Split() Split {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.split.on {
		return Split{}
	}
	return Split{Group: b.split.group, Percent: float64(b.split.share) * 100 / splitScale}
}

// group is what a group keeps beyond its targets' own counters: the requests the
// balancer answered for it, and the counts of its targets that left long ago. It is
// made on first use and kept for the balancer's life (one per deployment of a berth up).
type group struct {
	unrouted stats
	gone     Counts // under trafficMu
}

// groupOf is the group named; b.mu is held.
func (b *Balancer) groupOf(name string) *group {
	g := b.groups[name]
	if g == nil {
		if b.groups == nil {
			b.groups = map[string]*group{}
		}
		g = &group{}
		b.groups[name] = g
	}
	return g
}
