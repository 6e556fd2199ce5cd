package check

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"text/tabwriter"
)

// WriteText prints results by rule, with a line per resource, then a summary.
func WriteText(w io.Writer, results []Result) {
	byRule := map[string][]Result{}
	for _, r := range results {
		byRule[r.Rule] = append(byRule[r.Rule], r)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	counts := map[Status]int{}
	for _, rule := range Rules() {
		fmt.Fprintf(tw, "%s\t%s\n", rule.ID, rule.Summary)
		rs := byRule[rule.ID]
		sort.SliceStable(rs, func(i, j int) bool { return rs[i].Template < rs[j].Template })
		if len(rs) == 0 {
			fmt.Fprintf(tw, "  -\tno resource it applies to\n")
		}
		for _, r := range rs {
			counts[r.Status]++
			where := fmt.Sprintf("%s:%d %s", filepath.Base(r.Template), r.Line, r.Resource)
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", r.Status, where, r.Reason)
		}
	}
	tw.Flush()
	summary := fmt.Sprintf("\nrules pass on %d resource(s), fail on %d, skipped on %d", counts[Pass], counts[Fail], counts[Skip])
	if n := counts[Ignored]; n > 0 {
		summary += fmt.Sprintf(", failures ignored on %d", n)
	}
	fmt.Fprintln(w, summary)
}

// WriteJSON prints one result a line, as JSON.
func WriteJSON(w io.Writer, results []Result) error {
	enc := json.NewEncoder(w)
	for _, r := range results {
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	return nil
}
