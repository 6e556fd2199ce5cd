// Package routing is how the services of an environment share one load balancer, as
// data and pure functions: a service's route (a host name and/or a path prefix), the
// listener-rule conditions that say it on the Application Load Balancer, the rule's
// priority, which route wins a request, and which two routes cannot both be served.
// The manifest validates routes with it, synth writes the rule from it, a deploy checks
// the environment's live rules with it, and berth up routes requests locally by it, so
// that the same URL reaches the same service in both places.
//
// It makes no AWS or Docker call and imports no other berth package.
package routing

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"strings"

	"github.com/berthdev/berth/internal/lazyregexp"
)

// ALB listener rules, as "Listener rules for your Application Load Balancer" and
// "Condition types for listener rules" (Elastic Load Balancing user guide) say them:
// rules are evaluated in priority order, the lowest number first, the default rule
// last; priorities run from 1 to 50000; a rule has at most one path-pattern and one
// host-header condition, at most 3 values per condition and 5 per rule; a path
// pattern is case-sensitive, compared with the URL's path only (not its query), at
// most 128 characters of A-Z a-z 0-9 _ - . $ / ~ " ' @ : + & and the wildcards * and
// ?; a host name is case-insensitive, at most 128 characters of A-Z a-z 0-9 - . and
// the same wildcards.
const (
	MinPriority = 1
	MaxPriority = 50000
	// MaxPathLength leaves room for the "/*" of the second pattern within the 128
	// characters a pattern may have.
	MaxPathLength = 126
	MaxHostLength = 128
)

// Route is where a service answers on its environment's load balancer: requests for
// Host (any host when empty) whose path is Path or below it (any path when empty). A
// route with neither is the environment's default: what no other route takes.
type Route struct {
	Host string `json:"host,omitempty"`
	Path string `json:"path,omitempty"`
}

// Default reports whether r is the environment's default route (no host, no path).
func (r Route) Default() bool { return r.Host == "" && r.Path == "" }

// String is the route as a person reads it: "api.example.com/orders", "/orders",
// "api.example.com/" or "/ (default)".
func (r Route) String() string {
	switch {
	case r.Default():
		return "/ (default)"
	case r.Path == "":
		return r.Host + "/"
	}
	return r.Host + r.Path
}

// Same reports whether a and b take the same requests: the same host (in any case)
// and the same path.
func Same(a, b Route) bool { return strings.EqualFold(a.Host, b.Host) && a.Path == b.Path }

// PathPatterns are the path-pattern values of r's rule: the path itself and everything
// below it (/orders and /orders/*, so that /ordersx is not taken), or /* for a route
// that takes every path of its host. The pattern never has a wildcard of the
// manifest's: CheckPath refuses them.
func (r Route) PathPatterns() []string {
	if r.Path == "" {
		if r.Host == "" {
			return []string{"/*"}
		}
		return nil // a host condition alone
	}
	return []string{r.Path, r.Path + "/*"}
}

// Depth is the number of segments of r's path: /orders/archive is 2, none is 0.
func (r Route) Depth() int {
	if r.Path == "" {
		return 0
	}
	return strings.Count(r.Path, "/")
}

// The priorities are decided from the route alone, so that two deploys of different
// services at the same time need not agree on anything, and so that a more specific
// route comes first: routes with a host before those without, and within each, deeper
// paths first (/orders/archive before /orders). The default route is last of all.
//
//	1 .. 24000      routes with a host: 64 depth classes of 375 priorities, deepest first
//	24001 .. 48000  routes without a host, the same way
//	50000           the default route
//
// Within its class a route's place is a hash of the route, so that routes of the same
// specificity rarely meet; when one does meet a priority another route holds, Priority
// probes the next one of the same class, which keeps the order between classes.
const (
	depthClasses = 64 // a path of 126 characters has at most 63 segments
	classWidth   = ClassWidth
	bandWidth    = depthClasses * classWidth // 24000
	// DefaultPriority is the default route's.
	DefaultPriority = MaxPriority
	// ClassWidth is how many routes of one specificity (host or not, path depth) a
	// listener takes.
	ClassWidth = 375
)

// Class is the first priority of r's class and how many it has.
func (r Route) class() (first, width int) {
	if r.Default() {
		return DefaultPriority, 1
	}
	band := 0
	if r.Host == "" {
		band = bandWidth
	}
	depth := min(r.Depth(), depthClasses-1)
	return MinPriority + band + (depthClasses-1-depth)*classWidth, classWidth
}

// Preferred is r's priority when no other route holds it.
func (r Route) Preferred() int {
	first, width := r.class()
	if width == 1 {
		return first
	}
	h := fnv.New32a()
	h.Write([]byte(strings.ToLower(r.Host) + "\x00" + r.Path))
	return first + int(h.Sum32()%uint32(width))
}

// Priority is r's priority given the priorities other routes hold on the listener
// (taken): its preferred one, else the next free one of its class. ok is false when the
// class is full.
func (r Route) Priority(taken func(int) bool) (int, bool) {
	first, width := r.class()
	p := r.Preferred()
	for range width {
		if !taken(p) {
			return p, true
		}
		if p++; p >= first+width {
			p = first
		}
	}
	return 0, false
}

// Less reports whether a comes before b on a listener: what Priority orders, for
// routes whose priorities are not known (berth up's local listener).
func Less(a, b Route) bool {
	fa, _ := a.class()
	fb, _ := b.class()
	if fa != fb {
		return fa < fb
	}
	return cmp.Or(strings.Compare(strings.ToLower(a.Host), strings.ToLower(b.Host)), strings.Compare(a.Path, b.Path)) < 0
}

// Matches reports whether a request for host (its Host header, without the port)
// and path (without the query) takes r, as the rule's conditions match it.
func (r Route) Matches(host, path string) bool {
	if r.Host != "" && !strings.EqualFold(r.Host, host) {
		return false
	}
	return r.Path == "" || path == r.Path || strings.HasPrefix(path, r.Path) && len(path) > len(r.Path) && path[len(r.Path)] == '/'
}

var (
	pathSegment = lazyregexp.New(`^[A-Za-z0-9_.$~'@:+-]+$`)
	hostName    = lazyregexp.New(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
)

// CheckPath says what is wrong with a route's path, if anything: it starts with /,
// names segments of the characters a path pattern takes (no wildcard: berth writes the
// patterns), has no empty segment and no trailing /, and leaves room for /* within the
// 128 characters of a pattern. "/" alone means every path, as if it were left out.
func CheckPath(p string) error {
	switch {
	case p == "/":
		return nil
	case !strings.HasPrefix(p, "/"):
		return fmt.Errorf("%q does not start with /", p)
	case len(p) > MaxPathLength:
		return fmt.Errorf("%q is longer than %d characters (a rule's path pattern takes 128, with the /* berth adds)", p, MaxPathLength)
	case strings.HasSuffix(p, "/"):
		return fmt.Errorf("%q ends with /: write %s, which takes %s and everything below it", p, strings.TrimRight(p, "/"), strings.TrimRight(p, "/"))
	}
	for _, seg := range strings.Split(p[1:], "/") {
		switch {
		case seg == "":
			return fmt.Errorf("%q has an empty segment (//)", p)
		case strings.ContainsAny(seg, "*?"):
			return fmt.Errorf("%q has a wildcard: write the prefix (/orders takes /orders and everything below it)", p)
		case !pathSegment.MatchString(seg):
			return fmt.Errorf("%q has a character a load balancer's path pattern does not take (letters, digits and _ . $ ~ ' @ : + - between the /)", p)
		}
	}
	return nil
}

// CheckHost says what is wrong with a route's host name, if anything: lower-case
// labels of letters, digits and hyphens, at most 128 characters, no wildcard.
func CheckHost(h string) error {
	switch {
	case len(h) > MaxHostLength:
		return fmt.Errorf("%q is longer than %d characters", h, MaxHostLength)
	case strings.ContainsAny(h, "*?"):
		return fmt.Errorf("%q has a wildcard: name the host itself", h)
	case h != strings.ToLower(h):
		return fmt.Errorf("%q has upper-case letters: host names compare in any case, write it in lower case", h)
	case !hostName.MatchString(h):
		return fmt.Errorf("%q is not a host name (labels of letters, digits and hyphens separated by dots, like api.example.com; no port)", h)
	}
	return nil
}

// Normal is a route as a rule says it: a path of "/" is no path.
func Normal(host, path string) Route {
	if path == "/" {
		path = ""
	}
	return Route{Host: strings.ToLower(host), Path: path}
}
