package ops

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/berthdev/berth/internal/environment"
	"github.com/berthdev/berth/internal/manifest"
	"github.com/berthdev/berth/internal/style"
)

// WriteText prints the status as "berth status" shows it: the stacks, then the
// service's counts, tasks and targets, its URL and the notes.
func (st *Status) WriteText(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STACK\tSTATUS\tREASON")
	for _, s := range st.Stacks {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Name, s.Status, s.Reason)
	}
	tw.Flush()
	writeNetwork(w, st.Network)
	writeFailed(w, st.Stacks)
	if st.URL == "" {
		return
	}
	fmt.Fprintf(w, "\nservice %s: desired %d, running %d, pending %d; deployment %s\n", st.Service, st.Desired, st.Running, st.Pending, orDash(st.Deployment))
	if st.Image != "" {
		fmt.Fprintf(w, "serving: %s, from the %s target group (strategy %s)\n", st.Image, orDash(st.Serving), orDash(st.Strategy))
	}
	if len(st.Tasks) > 0 {
		fmt.Fprintln(tw, "\nTASK\tPRIVATE IP\tAZ\tHEALTH\tSTATUS")
		for _, t := range st.Tasks {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.ID, t.PrivateIP, t.AZ, t.Health, t.LastStatus)
		}
		tw.Flush()
	}
	if len(st.Targets) > 0 {
		fmt.Fprintln(tw, "\nTARGET\tSTATE\tREASON")
		for _, t := range st.Targets {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", t.ID, t.State, t.Reason)
		}
		tw.Flush()
	}
	fmt.Fprintf(w, "\nurl: %s\n", st.URL)
	switch {
	case st.SharedEdge:
		fmt.Fprintf(w, "edge: cloudfront, the environment's (distribution %s, in front of the load balancer its services share; the load balancer is internal, reached through it only)\n", st.Distribution)
	case st.Edge == manifest.EdgeCloudFront:
		fmt.Fprintf(w, "edge: cloudfront (distribution %s; the load balancer is internal, reached through it only)\n", st.Distribution)
	}
	for _, n := range st.Notes {
		if strings.HasPrefix(n, "warning: ") {
			fmt.Fprintln(w, n) // it says what it is: not "note: warning: ..."
			continue
		}
		fmt.Fprintf(w, "note: %s\n", n)
	}
}

// WriteText prints the environment as "berth status" shows it without a manifest.
func (st *EnvironmentStatus) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "environment %s\n\n", st.Env)
	fmt.Fprintln(tw, "STACK\tSTATUS\tREASON")
	for _, s := range st.Stacks {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Name, s.Status, s.Reason)
	}
	tw.Flush()
	writeNetwork(w, st.Network)
	writeFailed(w, append(append([]StackStatus{}, st.Stacks...), st.Failed...))
	if len(st.Services) == 0 {
		fmt.Fprintf(w, "\nno service is deployed to %s\n", st.Env)
	} else {
		fmt.Fprintln(tw, "\nSERVICE\tSTACK\tSTATUS\tDESIRED\tRUNNING\tPENDING\tEDGE\tURL")
		for _, v := range st.Services {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%s\t%s\n", v.Name, v.Stack, v.Status, v.Desired, v.Running, v.Pending, v.Edge, v.URL)
		}
	}
	if len(st.CI) > 0 {
		fmt.Fprintln(tw, "\nCI ROLE STACK\tSTATUS\tTRUSTS")
		for _, r := range st.CI {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Stack, r.Status, r.Trusts)
		}
	}
	if err := tw.Flush(); err != nil || len(st.Routes) == 0 {
		return err
	}
	if st.Edge == manifest.EdgeCloudFront {
		fmt.Fprintf(w, "\nedge: cloudfront (distribution %s; the environment's load balancer is internal, reached through it only)\n", st.Distribution)
	}
	fmt.Fprintf(w, "\nthe environment's load balancer, in the order its listeners try the rules:\n")
	st.Routes.WriteText(w, "")
	return nil
}

// writeNetwork names the existing network the environment runs in, if it does.
func writeNetwork(w io.Writer, x *environment.Existing) {
	if x != nil {
		fmt.Fprintf(w, "\nnetwork: %s (not berth's: no network stack, nothing of it changed by berth)\n", x)
	}
}

// writeFailed says, for each stack in a failed state, the state, the first resource
// that failed and why, and what to do.
func writeFailed(w io.Writer, ss []StackStatus) {
	for _, s := range ss {
		if s.Recovery == nil {
			continue
		}
		fmt.Fprintf(w, "\n%s\n", s.Recovery.Summary())
		for _, f := range s.Recovery.Failed {
			if c := s.Recovery.Cause; c == nil || c.Resource != f.Resource {
				fmt.Fprintf(w, "  also failed: %s (%s) %s: %s\n", f.Resource, f.Type, f.Status, f.Reason)
			}
		}
		fmt.Fprintf(w, "  hint: %s\n", s.Hint)
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// String is one look at the service while verify waits.
func (p VerifyProgress) String() string {
	return fmt.Sprintf("waiting: %d/%d running, %d/%d targets healthy — %s of %s", p.Running, p.Desired, p.Healthy, p.Targets,
		p.Elapsed.Round(time.Second), p.Timeout)
}

// WriteText prints each check, the note and a summary; strict counts skipped checks
// as failed.
func (v *Verification) WriteText(w io.Writer, strict bool, st style.Style) {
	for _, ch := range v.Checks {
		fmt.Fprintf(w, "%-5s %-40s %s\n", st.Status(ch.Result), ch.Name, ch.Detail)
	}
	if v.Note != "" {
		fmt.Fprintf(w, "note: %s\n", v.Note)
	}
	fmt.Fprintln(w, summary(v.Count("pass"), v.Count("fail"), v.Count("skip"), strict, st))
}

func summary(passed, failed, skipped int, strict bool, st style.Style) string {
	total := passed + failed + skipped
	switch {
	case failed > 0:
		return st.Red(fmt.Sprintf("verify: %d of %d check(s) failed", failed, total))
	case skipped > 0 && strict:
		return st.Red(fmt.Sprintf("verify: %d of %d check(s) skipped, which --strict counts as failed", skipped, total))
	case skipped > 0:
		return st.Yellow(fmt.Sprintf("verify: %d of %d check(s) passed, %d skipped", passed, total, skipped))
	}
	return st.Green(fmt.Sprintf("verify: all %d checks passed", total))
}

// LogWriter prints log events: a line each with its time and task, each task in a
// colour of its own on a terminal; or JSON lines.
type LogWriter struct {
	Lines int // how many it printed
	w     io.Writer
	enc   *json.Encoder
	st    style.Style
	tasks map[string]int
}

// NewLogWriter prints to w.
func NewLogWriter(w io.Writer, asJSON bool, st style.Style) *LogWriter {
	lw := &LogWriter{w: w, st: st, tasks: map[string]int{}}
	if asJSON {
		lw.enc = json.NewEncoder(w)
	}
	return lw
}

// Write prints one event.
func (lw *LogWriter) Write(e LogEvent) {
	lw.Lines++
	if lw.enc != nil {
		lw.enc.Encode(e)
		return
	}
	if _, ok := lw.tasks[e.Task]; !ok {
		lw.tasks[e.Task] = len(lw.tasks)
	}
	fmt.Fprintf(lw.w, "%s %s %s\n", lw.st.Dim(e.Time.Format("15:04:05.000")), lw.st.Nth(lw.tasks[e.Task], fmt.Sprintf("%-12s", e.Task)), e.Message)
}

// Nothing says that no event was found, and where berth looked: after the lines, or
// with JSON lines on errw, which is not JSON.
func (lw *LogWriter) Nothing(errw io.Writer, group string, since time.Time) {
	w := lw.w
	if lw.enc != nil {
		w = errw
	}
	fmt.Fprintf(w, "no log events in %s since %s (%s ago)\n", group, since.UTC().Format(time.RFC3339), time.Since(since).Round(time.Second))
}

// WriteJSON prints a line per check, then the summary.
func (v *Verification) WriteJSON(w io.Writer, strict bool) {
	enc := json.NewEncoder(w)
	for _, ch := range v.Checks {
		enc.Encode(map[string]any{"kind": "check", "check": ch})
	}
	enc.Encode(map[string]any{"kind": "summary", "passed": v.Count("pass"), "failed": v.Count("fail"), "skipped": v.Count("skip"), "note": v.Note, "strict": strict})
}

// Failed is how many checks failed; with strict, skipped ones count.
func (v *Verification) Failed(strict bool) int {
	if strict {
		return v.Count("fail") + v.Count("skip")
	}
	return v.Count("fail")
}

// VerifyView shows verify's wait: a JSON object a line, one line redrawn in place on a
// terminal, or a line each; done clears the redrawn line.
func VerifyView(w io.Writer, asJSON, tty bool) (show func(VerifyProgress), done func()) {
	return func(p VerifyProgress) {
			switch {
			case asJSON:
				json.NewEncoder(w).Encode(map[string]any{"kind": "progress", "progress": p})
			case tty:
				fmt.Fprintf(w, "\r\x1b[2K%s", p.String())
			default:
				fmt.Fprintln(w, p.String())
			}
		}, func() {
			if tty {
				fmt.Fprint(w, "\r\x1b[2K")
			}
		}
}
