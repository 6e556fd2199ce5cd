package local

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/docker"
	"github.com/berthdev/berth/internal/lb"
	"github.com/berthdev/berth/internal/listening"
)

// A replica whose health checks find nothing listening on the manifest's port is
// usually an app that listens on another one (3000 where berth.yml says 8080), or only
// on 127.0.0.1. berth up looks at what the replica listens on, a few times while its
// checks are refused, and says it well within the grace period rather than replace
// the replica a minute later with "connection refused".

// portLooks are when, after its start, a refused replica is looked at.
var portLooks = []time.Duration{2 * time.Second, 6 * time.Second, 15 * time.Second}

// lookAtPorts starts a look at each replica whose checks are refused and whose next
// look is due.
func (r *Runner) lookAtPorts() {
	for _, rep := range r.live() {
		t, ok := r.lb.Target(rep.name)
		if !ok || t.State == lb.Healthy || !strings.Contains(t.Reason, "connection refused") {
			continue
		}
		r.mu.Lock()
		due := !rep.looking && rep.looks < len(portLooks) && time.Since(rep.started) >= portLooks[rep.looks]
		if due {
			rep.looks++
			rep.looking = true
		}
		r.mu.Unlock()
		if due {
			go r.lookAt(rep)
		}
	}
}

func (r *Runner) lookAt(rep *replica) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	socks, seen := docker.Sockets(ctx, r.cli, rep.id)
	var lines []string
	if !seen {
		lines = docker.Tail(ctx, r.cli, rep.id, 200)
	}
	note := portNote(rep.dep.m.Port, socks, seen, lines)
	r.mu.Lock()
	rep.looking = false
	said := note == "" || rep.dep.portNote == note
	if note != "" {
		rep.dep.portNote, rep.looks = note, len(portLooks)
	}
	r.mu.Unlock()
	if !said { // once per deployment: its other replicas listen where this one does
		r.out.Printf("%s: %s", rep.name, r.st.Yellow(note))
	}
}

// dockerDNS is where Docker's embedded DNS server listens in every container on a
// user-defined network: not the app.
var dockerDNS = []byte{127, 0, 0, 11}

// portNote says what is wrong with where the app listens, from its sockets when seen,
// else from its log lines; "" when nothing can be said (it may still be starting).
func portNote(port int, socks []listening.Socket, seen bool, lines []string) string {
	fix := fmt.Sprintf("set port: in berth.yml to the port the app listens on, or make the app listen on %d (berth gives PORT=%d to a Go app it builds without a Dockerfile)", port, port)
	if seen {
		var others []string
		for _, s := range socks {
			switch {
			case s.IP.Equal(dockerDNS):
			case s.Port == port && !s.Loopback():
				return "" // it listens: the refusals were before it did
			case s.Port == port:
				return fmt.Sprintf("it listens on %s only (its sockets), which the load balancer cannot reach from outside the container: make it listen on 0.0.0.0:%d", s, port)
			case !s.Loopback() && !slices.Contains(others, strconv.Itoa(s.Port)):
				others = append(others, strconv.Itoa(s.Port))
			}
		}
		if len(others) == 0 {
			return ""
		}
		return fmt.Sprintf("nothing listens on port %d (port: in berth.yml), but the app listens on %s (its sockets): %s", port, strings.Join(others, ", "), fix)
	}
	ports := listening.InLog(lines)
	if len(ports) == 0 || slices.Contains(ports, port) {
		return ""
	}
	said := ""
	for i := len(lines) - 1; i >= 0 && said == ""; i-- {
		if len(listening.InLine(lines[i])) > 0 {
			said = strings.TrimSpace(lines[i])
		}
	}
	var list []string
	for _, p := range ports {
		list = append(list, strconv.Itoa(p))
	}
	return fmt.Sprintf("nothing listens on port %d (port: in berth.yml), but the app says it listens on %s (its log: %q): %s", port, strings.Join(list, ", "), said, fix)
}
