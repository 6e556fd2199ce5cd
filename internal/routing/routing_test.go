package routing

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// A request takes the first route, in priority order, whose conditions it meets: the
// path itself or below it (never /ordersx for /orders), a host in any case, and the
// default route what no other takes.
func TestTheFirstMatchingRouteInPriorityOrderWins(t *testing.T) {
	routes := []Route{
		{Path: "/orders"},
		{Path: "/orders/archive"},
		{Host: "api.example.com", Path: "/orders"},
		{Host: "api.example.com"},
		{},
	}
	owner := func(host, path string) Route {
		t.Helper()
		best, found := Route{}, false
		for _, r := range routes {
			if r.Matches(host, path) && (!found || r.Preferred() < best.Preferred()) {
				best, found = r, true
			}
		}
		if !found {
			t.Fatalf("no route for %s%s", host, path)
		}
		return best
	}
	for _, c := range []struct {
		host, path string
		want       Route
	}{
		{"lb.example", "/orders", Route{Path: "/orders"}},
		{"lb.example", "/orders/1", Route{Path: "/orders"}},
		{"lb.example", "/ordersx", Route{}},
		{"lb.example", "/Orders", Route{}}, // path patterns are case-sensitive
		{"lb.example", "/orders/archive/2024", Route{Path: "/orders/archive"}},
		{"API.Example.com", "/orders/1", Route{Host: "api.example.com", Path: "/orders"}},
		{"api.example.com", "/users", Route{Host: "api.example.com"}},
		// a host's route comes before a deeper one without a host
		{"api.example.com", "/orders/archive", Route{Host: "api.example.com", Path: "/orders"}},
		{"other.example.com", "/", Route{}},
	} {
		if got := owner(c.host, c.path); got != c.want {
			t.Errorf("%s%s: %v, want %v", c.host, c.path, got, c.want)
		}
	}
}

// The priorities order routes by specificity whatever their hash: every route with a
// host before every one without, deeper paths first, the default last; and each within
// the 1-50000 an ALB takes.
func TestPrioritiesPutTheMoreSpecificRouteFirst(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	seg := func() string { return []string{"a", "orders", "v1", "x-y", "users", "2024"}[rng.IntN(6)] }
	for range 2000 {
		var a, b Route
		for _, r := range []*Route{&a, &b} {
			if rng.IntN(2) == 0 {
				r.Host = []string{"api.example.com", "shop.example.com"}[rng.IntN(2)]
			}
			for range rng.IntN(4) {
				r.Path += "/" + seg()
			}
		}
		pa, pb := a.Preferred(), b.Preferred()
		for _, p := range []int{pa, pb} {
			if p < MinPriority || p > MaxPriority {
				t.Fatalf("priority %d out of range", p)
			}
		}
		specific := func(x, y Route) bool { // x must come before y
			if x.Default() != y.Default() {
				return y.Default()
			}
			if (x.Host != "") != (y.Host != "") {
				return x.Host != ""
			}
			return x.Depth() > y.Depth()
		}
		if specific(a, b) && pa >= pb || specific(b, a) && pb >= pa {
			t.Fatalf("%v (%d) and %v (%d) are in the wrong order", a, pa, b, pb)
		}
	}
	if p := (Route{}).Preferred(); p != DefaultPriority {
		t.Errorf("the default route: %d", p)
	}
}

// A priority another route holds is probed past within the route's own class, so that
// the order between classes holds, and the same taken set always gives the same answer.
func TestATakenPriorityMovesWithinItsClass(t *testing.T) {
	r := Route{Path: "/orders"}
	want := r.Preferred()
	held := map[int]bool{want: true, want + 1: true}
	got, ok := r.Priority(func(p int) bool { return held[p] })
	if !ok || got == want || got == want+1 {
		t.Fatalf("got %d (%v) with %d and %d held", got, ok, want, want+1)
	}
	first, width := r.class()
	if got < first || got >= first+width {
		t.Errorf("%d left the class %d-%d", got, first, first+width-1)
	}
	if again, _ := r.Priority(func(p int) bool { return held[p] }); again != got {
		t.Errorf("not deterministic: %d then %d", got, again)
	}
	if _, ok := r.Priority(func(int) bool { return true }); ok {
		t.Error("a full class gave a priority")
	}
}

func TestPathsAndHostsARuleCanSay(t *testing.T) {
	for _, ok := range []string{"/", "/orders", "/v1/orders", "/a.b/c_d/$x~y/'q'/@u:p+z-1"} {
		if err := CheckPath(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for bad, want := range map[string]string{
		"orders":                       "does not start with /",
		"/orders/":                     "ends with /",
		"/a//b":                        "empty segment",
		"/orders/*":                    "wildcard",
		"/or?ders":                     "wildcard",
		"/a b":                         "character",
		"/caf\u00e9":                   "character",
		"/" + strings.Repeat("a", 126): "longer than 126",
	} {
		if err := CheckPath(bad); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", bad, err, want)
		}
	}
	for _, ok := range []string{"api.example.com", "localhost", "a-b.c"} {
		if err := CheckHost(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for bad, want := range map[string]string{
		"*.example.com":                "wildcard",
		"API.example.com":              "upper-case",
		"api.example.com:8080":         "not a host name",
		"-a.example.com":               "not a host name",
		strings.Repeat("a.", 65) + "a": "longer than 128",
	} {
		if err := CheckHost(bad); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", bad, err, want)
		}
	}
}

// Two services may share a host and a path prefix's subtree; they may not take the
// same requests, and an environment has one default.
func TestTheSameRouteIsClaimedOnce(t *testing.T) {
	table := Table{
		{Route: Route{Path: "/orders"}, Service: "orders", Priority: 30000},
		{Route: Route{Host: "api.example.com", Path: "/users"}, Service: "users", Priority: 1000},
		{Route: Route{}, Service: "web", Priority: DefaultPriority},
	}
	for _, c := range []struct {
		r      Route
		holder string
	}{
		{Route{Path: "/orders"}, "orders"},
		{Route{Host: "API.example.com", Path: "/users"}, "users"},
		{Route{}, "web"},
		{Route{Path: "/orders/archive"}, ""},
		{Route{Host: "api.example.com", Path: "/orders"}, ""},
		{Route{Path: "/users"}, ""},
	} {
		e, claimed := table.Claimed(c.r, "new")
		if claimed != (c.holder != "") || claimed && e.Service != c.holder {
			t.Errorf("%v: claimed by %q (%v), want %q", c.r, e.Service, claimed, c.holder)
		}
		if _, mine := table.Claimed(c.r, c.holder); mine && c.holder != "" {
			t.Errorf("%v: a service's own route counts against it", c.r)
		}
	}
	err := &ConflictError{Route: Route{Path: "/orders"}, Service: "billing", Holder: table[0], Env: "dev"}
	if !strings.Contains(err.Error(), "service billing would answer /orders") || !strings.Contains(err.Error(), "service orders answers already") {
		t.Errorf("%v", err)
	}
}
