package local

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
)

// WriteStatus prints the services berth up runs in env, a table of replicas each, or
// as one JSON document.
func WriteStatus(w io.Writer, env string, services []State, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Env      string  `json:"env"`
			Services []State `json:"services"`
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
		if len(st.Replicas) == 0 {
			fmt.Fprintln(w, "  no replica yet")
			continue
		}
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "REPLICA\tCONTAINER\tREVISION\tHEALTH\tADDRESS\tDOCKER")
		for _, r := range st.Replicas {
			health := r.Health
			if r.Reason != "" {
				health += " (" + r.Reason + ")"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, r.Container, r.Revision, health, r.Addr, r.Status)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}
