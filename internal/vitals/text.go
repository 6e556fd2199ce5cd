package vitals

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/berthdev/berth/internal/chart"
	"github.com/berthdev/berth/internal/style"
)

// minChart is the narrowest chart worth drawing: a terminal narrower than its title,
// numbers and this many cells gets the numbers alone.
const minChart = 8

// WriteText prints the vital signs under a heading. On a terminal width cells wide
// each series is a sparkline fitted to the width, with its last, lowest and highest
// value; with width 0 (not a terminal) the same numbers without the chart. A series
// without a point says "no data yet", and so does the heading when none has one.
// Then the alarms and their states. Nil vitals (a service not deployed) print nothing.
func (v *Vitals) WriteText(w io.Writer, width int, st style.Style) error {
	if v == nil {
		return nil
	}
	fmt.Fprintf(w, "\nvital signs, %s\n", v.window())
	if !v.HasData() {
		fmt.Fprintf(w, "  no data yet: %s has no datapoint for the service in this window (a service with no traffic yet, or deployed minutes ago, has none; metrics arrive a minute or two late)\n", orWord(v.Source, "the source"))
	}
	// the columns: title, chart, last, min, max; the chart takes what the others leave
	rows := make([][4]string, len(v.Series))
	cols := [4]int{}
	for i, s := range v.Series {
		rows[i][0] = s.Title
		if len(s.Points) > 0 {
			last, lo, hi := s.Points[len(s.Points)-1].Value, math.Inf(1), math.Inf(-1)
			for _, p := range s.Points {
				lo, hi = math.Min(lo, p.Value), math.Max(hi, p.Value)
			}
			rows[i][1], rows[i][2], rows[i][3] = "last "+format(s.Unit, last), "min "+format(s.Unit, lo), "max "+format(s.Unit, hi)
		}
		for c := range cols {
			cols[c] = max(cols[c], chart.Width(rows[i][c]))
		}
	}
	cells := min(width-2-cols[0]-2-2-cols[1]-2-cols[2]-2-cols[3], v.Steps())
	for i, s := range v.Series {
		r := rows[i]
		line := "  " + pad(r[0], cols[0]) + "  "
		switch {
		case len(s.Points) == 0:
			line += "no data yet"
		case width > 0 && cells >= minChart:
			line += pad(chart.Sparkline(v.Grid(s), cells), cells) + "  " + pad(r[1], cols[1]) + "  " + pad(r[2], cols[2]) + "  " + r[3]
		default:
			line += pad(r[1], cols[1]) + "  " + pad(r[2], cols[2]) + "  " + pad(r[3], cols[3]) + fmt.Sprintf("  (%d of %d %s with data)", len(s.Points), v.Steps(), v.stepWord()+"s")
		}
		fmt.Fprintln(w, line)
	}
	if len(v.Alarms) == 0 {
		_, err := fmt.Fprintln(w, "  alarms: none")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, a := range v.Alarms {
		state := a.State
		switch a.State {
		case "ALARM":
			state = st.Red(state)
		case "OK":
			state = st.Green(state)
		default:
			state = st.Yellow(state)
		}
		fmt.Fprintf(tw, "  alarm %s\t%s\t%s\n", a.Name, state, a.Reason)
	}
	return tw.Flush()
}

func pad(s string, n int) string { return s + strings.Repeat(" ", max(0, n-chart.Width(s))) }

// window says which window the series cover: "last 1h, a point a minute (10:04 to
// 11:04 UTC, CloudWatch)".
func (v *Vitals) window() string {
	span := v.Until.Sub(v.Since).Round(time.Minute)
	return fmt.Sprintf("last %s, a point every %s (%s to %s UTC, %s)", short(span), v.stepWord(),
		v.Since.UTC().Format("15:04"), v.Until.UTC().Format("15:04"), orWord(v.Source, "no source"))
}

func (v *Vitals) stepWord() string {
	if v.Step == time.Minute {
		return "minute"
	}
	return short(v.Step)
}

// short prints a duration without its zero parts: 1h, 90m is 1h30m, 2m.
func short(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func format(unit string, v float64) string {
	switch unit {
	case Percent:
		return chart.Number(v) + "%"
	case Seconds:
		return chart.Duration(v)
	}
	return chart.Number(v)
}

func orWord(s, word string) string {
	if s == "" {
		return word
	}
	return s
}
