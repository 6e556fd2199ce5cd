// Package style colours terminal output: status words, diff signs, log prefixes. It
// colours only a terminal, and never with NO_COLOR set (no-color.org) or TERM=dumb.
//
// It imports nothing of berth's.
package style

import (
	"os"
	"strings"

	"golang.org/x/term"
)

// Style colours text, or passes it through unchanged.
type Style struct{ on bool }

// For decides for f: colour when f is a terminal and nothing asks for none.
func For(f *os.File) Style {
	if os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return Style{}
	}
	return Style{on: term.IsTerminal(int(f.Fd()))}
}

// Plain never colours.
func Plain() Style { return Style{} }

// On reports whether s colours.
func (s Style) On() bool { return s.on }

func (s Style) wrap(code, text string) string {
	if !s.on || text == "" {
		return text
	}
	return "\x1b[" + code + "m" + text + "\x1b[0m"
}

// Green, Red, Yellow, Cyan, Bold and Dim colour text.
func (s Style) Green(t string) string  { return s.wrap("32", t) }
func (s Style) Red(t string) string    { return s.wrap("31", t) }
func (s Style) Yellow(t string) string { return s.wrap("33", t) }
func (s Style) Cyan(t string) string   { return s.wrap("36", t) }
func (s Style) Bold(t string) string   { return s.wrap("1", t) }
func (s Style) Dim(t string) string    { return s.wrap("2", t) }

// Status colours a CloudFormation or check status by what it means: done, failed,
// under way.
func (s Style) Status(status string) string {
	u := strings.ToUpper(status)
	switch {
	case strings.Contains(u, "FAIL") || strings.Contains(u, "ROLLBACK") || u == "UNHEALTHY":
		return s.Red(status)
	case strings.HasSuffix(u, "_COMPLETE") || u == "PASS" || u == "HEALTHY" || u == "NO CHANGES":
		return s.Green(status)
	case strings.HasSuffix(u, "_IN_PROGRESS") || u == "SKIP" || u == "PENDING":
		return s.Yellow(status)
	}
	return status
}

// Sign colours a diff sign: + green, ~ yellow, - red.
func (s Style) Sign(sign string) string {
	switch sign {
	case "+":
		return s.Green(sign)
	case "-":
		return s.Red(sign)
	case "~":
		return s.Yellow(sign)
	}
	return sign
}

var palette = []string{"36", "35", "33", "32", "34", "96", "95", "93"}

// Nth colours text with the n-th colour of a small palette: one per task in logs.
func (s Style) Nth(n int, text string) string {
	return s.wrap(palette[n%len(palette)], text)
}
