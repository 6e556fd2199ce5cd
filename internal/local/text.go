package local

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// WriteStatus prints the services berth up runs in env: the vital signs the load
// balancer saw, and a table of replicas each (their figures are the last minute's).
func WriteStatus(w io.Writer, env string, services []State) error {
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
				t.LastMinute.text(), time.Duration(t.Total.Seconds*float64(time.Second)).Round(time.Second), t.Total.Requests, percent(t.Total.ErrorShare))
		}
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
				rps, errs, p50, p99 = rate(v.RequestsPerSecond), percent(v.ErrorShare), millis(v.P50Ms), millis(v.P99Ms)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, r.Container, r.Revision, health, rps, errs, p50, p99, r.Addr, r.Status)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}
