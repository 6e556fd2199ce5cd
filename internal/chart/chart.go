// Package chart draws a series of numbers as one line of Unicode blocks (a sparkline),
// the way a person takes in an hour of a service at a glance, and formats the numbers
// beside it. It knows nothing of AWS or Docker: the AWS and the local vital signs
// draw with it alike.
//
// It imports nothing of berth's.
package chart

import (
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/term"
)

// Levels are the eight blocks of a sparkline, lowest first.
const Levels = "▁▂▃▄▅▆▇█"

var levels = []rune(Levels)

// Gap is drawn where a value is missing (NaN): no datapoint in that interval.
const Gap = ' '

// Sparkline draws values in at most width cells, on a scale from 0 (or the lowest
// value, when one is negative) to the highest value, so that a flat low line reads as
// low and not as full. More values than cells are merged, each cell showing the
// highest value it covers: a short spike of errors or latency must not be averaged
// away. A NaN is a gap. All zero: the lowest block throughout.
func Sparkline(values []float64, width int) string {
	if width <= 0 || len(values) == 0 {
		return ""
	}
	cells := Fit(values, width)
	lo, hi := 0.0, math.Inf(-1)
	for _, v := range cells {
		if math.IsNaN(v) {
			continue
		}
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	var b strings.Builder
	for _, v := range cells {
		switch {
		case math.IsNaN(v):
			b.WriteRune(Gap)
		case hi <= lo:
			b.WriteRune(levels[0])
		default:
			i := int(math.Round((v - lo) / (hi - lo) * float64(len(levels)-1)))
			b.WriteRune(levels[max(0, min(i, len(levels)-1))])
		}
	}
	return b.String()
}

// Fit merges values into at most width cells, each the highest value it covers (NaN
// when it covers none); fewer values than cells are kept as they are, one cell each.
func Fit(values []float64, width int) []float64 {
	if len(values) <= width {
		return values
	}
	out := make([]float64, width)
	for c := range out {
		from, to := c*len(values)/width, (c+1)*len(values)/width
		m := math.NaN()
		for _, v := range values[from:to] {
			if !math.IsNaN(v) && (math.IsNaN(m) || v > m) {
				m = v
			}
		}
		out[c] = m
	}
	return out
}

// Number formats v short, for a column beside a chart: 1.2k, 870, 0.25, 12.5.
func Number(v float64) string {
	a := math.Abs(v)
	switch {
	case math.IsNaN(v):
		return "-"
	case a >= 1e6:
		return trim(v/1e6, 1) + "M"
	case a >= 1e4:
		return trim(v/1e3, 0) + "k"
	case a >= 1e3:
		return trim(v/1e3, 1) + "k"
	case a >= 100 || v == math.Trunc(v):
		return trim(v, 0)
	case a >= 10:
		return trim(v, 1)
	}
	return trim(v, 2)
}

// Duration formats seconds as a latency: 850µs, 12ms, 1.2s.
func Duration(seconds float64) string {
	switch {
	case math.IsNaN(seconds):
		return "-"
	case seconds >= 1:
		return trim(seconds, 2) + "s"
	case seconds >= 0.001:
		return trim(seconds*1e3, 0) + "ms"
	}
	return trim(seconds*1e6, 0) + "µs"
}

func trim(v float64, decimals int) string {
	s := strconv.FormatFloat(v, 'f', decimals, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// Width is how many cells a string takes on a terminal, counting runes: the blocks and
// the text beside them are each one cell wide.
func Width(s string) int { return utf8.RuneCountInString(s) }

// TerminalWidth is the width of the terminal w writes to, 0 when w is not a terminal:
// the caller then prints plain numbers rather than charts.
func TerminalWidth(w io.Writer) int {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return 0
	}
	width, _, err := term.GetSize(int(f.Fd()))
	if err != nil {
		return 0
	}
	return width
}
