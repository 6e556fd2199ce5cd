package routing

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
)

// Entry is one route of an environment's routing table: whose it is, where its rule
// sits, and on which listener.
type Entry struct {
	Route
	Service  string `json:"service"`
	Priority int    `json:"priority"`
	// HTTPS says the rule is on the HTTPS listener (its HTTP twin redirects to it).
	HTTPS bool `json:"https,omitempty"`
	// New marks the route a deploy is about to add or change.
	New bool `json:"new,omitempty"`
}

// Table is an environment's routing table, in the order the load balancer tries it.
type Table []Entry

// Sort puts the table in the order the listener evaluates it: by priority, and for
// entries whose priority is not known (0), by Less.
func (t Table) Sort() {
	slices.SortStableFunc(t, func(a, b Entry) int {
		if a.Priority != 0 && b.Priority != 0 && a.Priority != b.Priority {
			return a.Priority - b.Priority
		}
		if Less(a.Route, b.Route) {
			return -1
		}
		if Less(b.Route, a.Route) {
			return 1
		}
		return 0
	})
}

// Claimed is the entry of another service than service for the same route as r, if
// any: two services cannot take the same requests. Since priorities put a more
// specific route before a less specific one, a route can only be shadowed by one
// that takes all of its requests and comes first, which only the same route does.
func (t Table) Claimed(r Route, service string) (Entry, bool) {
	for _, e := range t {
		if e.Service != service && Same(e.Route, r) {
			return e, true
		}
	}
	return Entry{}, false
}

// Taken reports the priorities other services' rules hold, for Route.Priority. They are
// taken on both listeners: a service served over HTTPS has a rule on each (the HTTP one
// redirects), at the same priority, and a rule can move between them.
func (t Table) Taken(service string) func(int) bool {
	return func(p int) bool {
		for _, e := range t {
			if e.Service != service && e.Priority == p {
				return true
			}
		}
		return false
	}
}

// Of is service's entry, if it has one.
func (t Table) Of(service string) (Entry, bool) {
	for _, e := range t {
		if e.Service == service {
			return e, true
		}
	}
	return Entry{}, false
}

// Without is the table without service's entries.
func (t Table) Without(service string) Table {
	var out Table
	for _, e := range t {
		if e.Service != service {
			out = append(out, e)
		}
	}
	return out
}

// ConflictError refuses a route another service of the environment holds.
type ConflictError struct {
	Route   Route
	Service string
	Holder  Entry
	Env     string
}

func (e *ConflictError) Error() string {
	if e.Route.Default() {
		return fmt.Sprintf("service %s would be the default of environment %s (no load_balancer.path or host), and service %s is already: an environment's load balancer has one default", e.Service, e.Env, e.Holder.Service)
	}
	return fmt.Sprintf("service %s would answer %s on the load balancer of environment %s, which service %s answers already (rule priority %d): two services cannot take the same requests", e.Service, e.Route, e.Env, e.Holder.Service, e.Holder.Priority)
}

// Hint says what to do.
func (e *ConflictError) Hint() string {
	return fmt.Sprintf("give %s another load_balancer.path (or host) in berth.yml, or remove %s first (berth delete); nothing was changed", e.Service, e.Holder.Service)
}

// WriteText prints the table: host, path, service, priority and listener.
func (t Table) WriteText(w io.Writer, indent string) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%sHOST\tPATH\tSERVICE\tPRIORITY\tLISTENER\n", indent)
	for _, e := range t {
		host, path, listener, prio := e.Host, e.Path, "HTTP", fmt.Sprint(e.Priority)
		if host == "" {
			host = "*"
		}
		if path == "" {
			path = "/*"
		} else {
			path += ", " + path + "/*"
		}
		if e.HTTPS {
			listener = "HTTPS"
		}
		if e.Priority == 0 {
			prio = "-"
		}
		service := e.Service
		if e.New {
			service += " (this deploy)"
		}
		fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\t%s\n", indent, host, path, service, prio, listener)
	}
	tw.Flush()
}
