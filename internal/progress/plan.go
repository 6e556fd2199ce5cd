package progress

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/berthdev/berth/internal/deploy"
	"github.com/berthdev/berth/internal/stacks"
	"github.com/berthdev/berth/internal/style"
)

// WritePlan prints a plan the way a reviewer reads it: the image, then each stack with
// a line per resource and what changes in it.
func WritePlan(w io.Writer, pl *deploy.Plan, st style.Style) {
	fmt.Fprintf(w, "\n%s %s to %s:\n", st.Bold("plan:"), pl.Service, pl.Env)
	img := pl.Image
	switch {
	case img.Changed && img.Deployed != "":
		fmt.Fprintf(w, "  image: %s → %s (%s)\n", img.Deployed, st.Bold(img.New), img.Why)
	case img.Changed:
		fmt.Fprintf(w, "  image: %s (%s)\n", st.Bold(img.New), img.Why)
	default:
		fmt.Fprintf(w, "  image: %s (unchanged)\n", img.New) // whole: a reference cut in the middle names no image
	}
	if pl.Rollout != "" {
		fmt.Fprintf(w, "  rollout: %s; rolled back on %s\n", pl.Rollout, pl.Rollback)
	}
	if pl.ShortBake != "" {
		fmt.Fprintf(w, "  %s %s\n", st.Bold("warning:"), pl.ShortBake)
	}
	for _, s := range pl.Stacks {
		switch s.Action {
		case "none":
			fmt.Fprintf(w, "  %s: %s\n", s.Stack, st.Dim("no changes"))
		default:
			fmt.Fprintf(w, "  %s: %s, %d change(s)\n", s.Stack, st.Bold(s.Action), len(s.Changes))
		}
		if s.Note != "" && s.Action != "none" {
			fmt.Fprintf(w, "      (%s)\n", s.Note)
		}
		writeChanges(w, s.Changes, st)
	}
	if c := pl.Cost; c != nil {
		writeCost(w, c)
	}
	if len(pl.Routes) > 0 {
		fmt.Fprintf(w, "  routes of the load balancer of %s, in the order its listeners try them:\n", pl.Env)
		pl.Routes.WriteText(w, "    ")
	}
	for _, n := range pl.Notes {
		fmt.Fprintf(w, "  %s\n", n)
	}
	fmt.Fprintln(w)
}

// writeCost says what the deploy does to the environment's monthly bill, and the
// service's own part of it.
func writeCost(w io.Writer, c *deploy.CostChange) {
	fmt.Fprintf(w, "  estimate: environment %s $%.2f a month (%s) before traffic, at on-demand prices in %s (berth cost)\n",
		c.Env, c.After, costWas(c), c.Region)
	own := fmt.Sprintf("$%.2f", c.ServiceAfter)
	switch {
	case c.ServiceBefore == nil:
		own += " (new)"
	case c.ServiceDifference() != 0:
		own += fmt.Sprintf(" (was $%.2f: %s)", *c.ServiceBefore, signed(c.ServiceDifference()))
	}
	line := fmt.Sprintf("%s: %s of it", c.Service, own)
	if c.Others > 0 {
		line += fmt.Sprintf("; %d other service(s) as they run", c.Others)
	}
	line += "; the rest is the environment's network and load balancer, paid once for all its services"
	fmt.Fprintf(w, "    %s\n", line)
	if len(c.Uncounted) > 0 {
		fmt.Fprintf(w, "    not counted: %s (their stacks' task size or count could not be read)\n", strings.Join(c.Uncounted, ", "))
	}
	for _, u := range c.ByUse {
		fmt.Fprintf(w, "    adds, paid by use: %s\n", u)
	}
	if c.Sharing != "" {
		fmt.Fprintf(w, "    %s\n", c.Sharing)
	}
}

// costWas says how the total compares with what runs now: never "unchanged" for a
// change that costs money, by the month or by use.
func costWas(c *deploy.CostChange) string {
	var s string
	switch {
	case c.Before == nil:
		s = "nothing of it runs yet"
	case c.Difference() != 0:
		s = fmt.Sprintf("was $%.2f: %s", *c.Before, signed(c.Difference()))
	case c.ServiceDifference() != 0 || len(c.ByUse) > 0:
		s = "the same a month"
	default:
		s = "unchanged"
	}
	if !c.Complete {
		s += ", some prices unknown"
	}
	return s
}

func signed(d float64) string {
	if d < 0 {
		return fmt.Sprintf("-$%.2f", -d)
	}
	return fmt.Sprintf("+$%.2f", d)
}

// writeChanges prints the changes of a stack: a line per resource, then what changes
// in it.
func writeChanges(w io.Writer, cs []stacks.Change, st style.Style) {
	for _, c := range cs {
		sign := map[string]string{"Add": "+", "Modify": "~", "Remove": "-", "Import": "<", "Dynamic": "?"}[c.Action]
		line := fmt.Sprintf("    %s %-36s %s", st.Sign(sign), c.Resource, c.Type)
		switch c.Replacement {
		case "True":
			line += "  " + st.Red("(replaced)")
		case "Conditional":
			line += "  " + st.Yellow("(may be replaced)")
		}
		fmt.Fprintln(w, line)
		if c.Reason != "" && len(c.Properties) == 0 {
			fmt.Fprintf(w, "        %s\n", c.Reason)
		}
		for _, p := range c.Properties {
			mark := ""
			if p.Replaces {
				mark = "  " + st.Red("(replaces)")
			}
			fmt.Fprintf(w, "        %s: %s → %s%s\n", p.Path, shown(p.Old), shown(p.New), mark)
		}
	}
}

// shown renders a value on one line: text as is, structures as JSON, absent as
// "(none)", and long values cut in the middle.
func shown(v any) string {
	var s string
	switch x := v.(type) {
	case nil:
		return "(none)"
	case string:
		s = x
	default:
		b, err := json.Marshal(x)
		if err != nil {
			s = fmt.Sprint(x)
		} else {
			s = string(b)
		}
	}
	const most = 90
	if r := []rune(s); len(r) > most {
		s = string(r[:most/2-1]) + "…" + string(r[len(r)-most/2:])
	}
	return s
}
