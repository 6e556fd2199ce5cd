package local

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/berthdev/berth/internal/control"
	"github.com/berthdev/berth/internal/localvitals"
	"github.com/berthdev/berth/internal/style"
)

// WriteStatus prints the services berth up runs in env: the vital signs the load
// balancer saw, and a table of replicas each (their figures are the last minute's); or
// all of it as one JSON document.
func WriteStatus(w io.Writer, env string, services []control.State, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Env      string          `json:"env"`
			Services []control.State `json:"services"`
		}{env, services})
	}
	if len(services) == 0 {
		fmt.Fprintf(w, "nothing runs locally for environment %s (start it with \"berth up\")\n", env)
		return nil
	}
	for i, st := range services {
		if i > 0 {
			fmt.Fprintln(w)
		}
		url := st.URL
		if url == "" {
			url = "(no berth up is running for it)"
		} else if st.PID != 0 {
			url += fmt.Sprintf(" (berth up pid %d)", st.PID)
		}
		fmt.Fprintf(w, "service %s, environment %s, %s\n\n", st.Service, env, url)
		if t := st.Traffic; t != nil {
			fmt.Fprintf(w, "  last minute: %s\n  since berth up started (%s): %d requests, %s 5xx\n\n",
				t.LastMinute.Text(), time.Duration(t.Total.Seconds*float64(time.Second)).Round(time.Second), t.Total.Requests, localvitals.Percent(t.Total.ErrorShare))
		}
		writeServing(w, st)
		if len(st.Replicas) == 0 {
			fmt.Fprintln(w, "  no replica yet")
			continue
		}
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "REPLICA\tCONTAINER\tREVISION\tHEALTH\tREQ/S\t5XX\tP50\tP99\tADDRESS\tDOCKER")
		for _, r := range st.Replicas {
			health := r.Health
			if r.Reason != "" {
				health += " (" + r.Reason + ")"
			}
			rps, errs, p50, p99 := "-", "-", "-", "-"
			if t := r.Traffic; t != nil && t.LastMinute.Requests > 0 {
				v := t.LastMinute
				rps, errs, p50, p99 = localvitals.Rate(v.RequestsPerSecond), localvitals.Percent(v.ErrorShare), localvitals.Millis(v.P50Ms), localvitals.Millis(v.P99Ms)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, r.Container, r.Revision, health, rps, errs, p50, p99, r.Addr, r.Status)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// writeServing says which revision serves, and the rollout in progress or the last:
//
//	serving: revision 3f2a9c1d (deployment #1) 95 %, revision 7b1e0f42 (deployment #2) 5 %
//	rollout: deployment #2 (revision 7b1e0f42), canary, PRODUCTION_TRAFFIC_SHIFT
func writeServing(w io.Writer, st control.State) {
	if len(st.Serving) > 0 {
		var s []string
		for _, v := range st.Serving {
			s = append(s, fmt.Sprintf("revision %s (deployment #%d) %s %%", v.Revision, v.Deployment, trim1(v.Percent)))
		}
		fmt.Fprintf(w, "  serving: %s\n", strings.Join(s, ", "))
	}
	if x := st.Rollout; x != nil {
		fmt.Fprintf(w, "  rollout: deployment #%d (revision %s), %s, %s", x.Deployment, x.Revision, x.Strategy, x.Stage)
		if x.BakeLeftSeconds > 0 {
			fmt.Fprintf(w, ", bake %s left", time.Duration(x.BakeLeftSeconds*float64(time.Second)))
		}
		if x.Reason != "" {
			fmt.Fprintf(w, ": %s", x.Reason)
		}
		fmt.Fprintln(w)
	}
	if len(st.Serving) > 0 || st.Rollout != nil {
		fmt.Fprintln(w)
	}
}

// stateWord colours a target's state: healthy green, unhealthy red, on its way yellow.
func stateWord(st style.Style, state string) string {
	switch state {
	case "healthy":
		return st.Green(state)
	case "unhealthy":
		return st.Red(state)
	}
	return st.Yellow(state)
}

// Output is berth up's terminal: each line it writes starts with the time since berth
// up started, as the AWS commands' progress does, and status words are coloured on a
// terminal (style.For). It serialises writes from many goroutines.
type Output struct {
	mu    sync.Mutex
	w     io.Writer
	st    style.Style
	start time.Time
}

// NewOutput makes the output of one berth up on w.
func NewOutput(w io.Writer, st style.Style) *Output {
	if o, ok := w.(*Output); ok {
		return o
	}
	return &Output{w: w, st: st, start: time.Now()}
}

// Write writes p, whole lines, each with the elapsed time; the lines after the first
// of one write are its continuation, indented under it.
func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	text := strings.TrimSuffix(string(p), "\n")
	elapsed := fmt.Sprintf("%6.1fs  ", time.Since(o.start).Seconds())
	text = strings.ReplaceAll(text, "\n", "\n"+strings.Repeat(" ", len(elapsed)))
	if _, err := io.WriteString(o.w, elapsed+text+"\n"); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Printf writes one message.
func (o *Output) Printf(format string, args ...any) {
	fmt.Fprintf(o, format+"\n", args...)
}
