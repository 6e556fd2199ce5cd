package main

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// How a documented transcript's expected lines are compared with what berth printed.
//
//   - Lines are compared whole, trailing white space aside (a Markdown editor strips it,
//     a table printer leaves it).
//   - "…" inside a line matches any text; a line that is only "…" matches any number of
//     lines, none included.
//   - A duration (1.2s, 850ms, 2m3s, 10m0s) matches any duration at its place, and the
//     spaces before it any spaces: the times berth prints are a run's own, and so is
//     the padding of a right-aligned one (a step 76.4s in is one column wider than 1.5s
//     in, as it was when a cold image build on a loaded machine took 76 s); the text
//     around them is not.
//   - Trailing empty lines are ignored on both sides.

const ellipsis = "…"

// duration is a Go-style duration as berth prints one, not part of a longer word.
var duration = regexp.MustCompile(`(^|[^\pL\pN.])((?:\d+(?:\.\d+)?(?:µs|ms|h|m|s))+)($|[^\pL\pN])`)

// linePattern is the regular expression an expected line stands for.
func linePattern(want string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for i, part := range strings.Split(want, ellipsis) {
		if i > 0 {
			b.WriteString(".*")
		}
		last := 0
		for _, m := range duration.FindAllStringSubmatchIndex(part, -1) {
			before := part[last:m[4]]
			if pad := strings.TrimRight(before, " "); len(pad) < len(before) {
				b.WriteString(regexp.QuoteMeta(pad) + " +")
			} else {
				b.WriteString(regexp.QuoteMeta(before))
			}
			b.WriteString(`(?:\d+(?:\.\d+)?(?:µs|ms|h|m|s))+`)
			last = m[5]
		}
		b.WriteString(regexp.QuoteMeta(part[last:]))
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// lines splits output into lines without trailing white space or trailing empty lines.
func lines(s string) []string {
	ls := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i := range ls {
		ls[i] = strings.TrimRight(ls[i], " \t")
	}
	for len(ls) > 0 && ls[len(ls)-1] == "" {
		ls = ls[:len(ls)-1]
	}
	return ls
}

type matcher struct {
	want []string
	pats []*regexp.Regexp // nil for a line that is only "…"
}

func newMatcher(want []string) *matcher {
	m := &matcher{want: lines(strings.Join(want, "\n"))}
	for _, w := range m.want {
		if strings.TrimSpace(w) == ellipsis {
			m.pats = append(m.pats, nil)
		} else {
			m.pats = append(m.pats, linePattern(w))
		}
	}
	return m
}

// match says whether got (whole output) is what the expected lines describe.
func (m *matcher) match(got string) bool {
	g := lines(got)
	// ok[i][j]: want[i:] matches got[j:]
	ok := make([][]bool, len(m.pats)+1)
	for i := range ok {
		ok[i] = make([]bool, len(g)+1)
	}
	ok[len(m.pats)][len(g)] = true
	for i := len(m.pats) - 1; i >= 0; i-- {
		for j := len(g); j >= 0; j-- {
			if m.pats[i] == nil {
				ok[i][j] = ok[i+1][j] || (j < len(g) && ok[i][j+1])
			} else {
				ok[i][j] = j < len(g) && m.pats[i].MatchString(g[j]) && ok[i+1][j+1]
			}
		}
	}
	return ok[0][0]
}

// reached says whether got has a line that the block's last expected line (not "…")
// stands for: a berth up that has printed it has got as far as the block shows, and
// waiting longer for a match that has not come would only waste minutes.
func (m *matcher) reached(got string) bool {
	for i := len(m.pats) - 1; i >= 0; i-- {
		if m.pats[i] == nil {
			continue
		}
		for _, l := range lines(got) {
			if m.pats[i].MatchString(l) {
				return true
			}
		}
		return false
	}
	return false
}

// diff shows where got departs from the expected lines: " " a line that matches, "~"
// one that a "…" line stands for, "-" an expected line berth did not print, "+" a line
// berth printed that is not expected.
func (m *matcher) diff(got string) string {
	g := lines(got)
	var b strings.Builder
	m.align(g, func(kind byte, i, j int) {
		switch kind {
		case ' ', '~', '+':
			fmt.Fprintf(&b, "%c %s\n", kind, g[j])
		case '-':
			fmt.Fprintf(&b, "- %s\n", m.want[i])
		}
	})
	return b.String()
}

// rewrite is the expected lines brought up to got, for go test -update-docs: the lines
// that match and every "…" line kept as written, what berth printed that nothing
// expected added as printed, what it did not print dropped. An expected line that was
// not printed after lines a "…" stood for is replaced by the one of them most like it,
// taken out of the "…": a changed figure stays shown.
func (m *matcher) rewrite(got string) []string {
	g := lines(got)
	type event struct {
		kind byte
		i, j int
	}
	var ev []event
	m.align(g, func(kind byte, i, j int) { ev = append(ev, event{kind, i, j}) })
	var out []string
	for x := 0; x < len(ev); x++ {
		e := ev[x]
		switch e.kind {
		case ' ':
			out = append(out, m.want[e.i])
		case '+':
			out = append(out, g[e.j])
		case '~':
			var run []int // the got lines of this "…"
			for ; x < len(ev) && ev[x].kind == '~'; x++ {
				run = append(run, ev[x].j)
			}
			if x < len(ev) && ev[x].kind == '.' {
				out = append(out, m.want[ev[x].i])
				x++
			}
			last := -1
			for ; x < len(ev) && ev[x].kind == '-'; x++ {
				best, score := -1, 0
				for r := last + 1; r < len(run); r++ {
					if c := commonPrefix(g[run[r]], m.want[ev[x].i]); c > score {
						best, score = r, c
					}
				}
				if best >= 0 {
					out, last = append(out, g[run[best]]), best
				}
			}
			if last >= 0 && last < len(run)-1 {
				out = append(out, ellipsis)
			}
			x--
		case '.':
			out = append(out, m.want[e.i])
		}
	}
	return out
}

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// align walks the alignment of the expected lines with g that puts the fewest lines out
// of place, calling each for every step: ' ' want[i] matches g[j], '~' g[j] is one a
// "…" line (want[i]) stands for, '.' the "…" line want[i] is passed, '-' want[i] was
// not printed, '+' g[j] was not expected.
func (m *matcher) align(g []string, each func(kind byte, i, j int)) {
	n, k := len(m.pats), len(g)
	// cost[i][j]: the fewest lines out of place for want[i:] against g[j:]
	cost := make([][]int, n+1)
	for i := range cost {
		cost[i] = make([]int, k+1)
	}
	for i := n; i >= 0; i-- {
		for j := k; j >= 0; j-- {
			switch {
			case i == n && j == k:
				cost[i][j] = 0
			case i == n:
				cost[i][j] = cost[i][j+1] + 1
			case m.pats[i] == nil:
				cost[i][j] = cost[i+1][j]
				if j < k {
					cost[i][j] = min(cost[i][j], cost[i][j+1])
				}
			default:
				c := cost[i+1][j] + 1
				if j < k {
					c = min(c, cost[i][j+1]+1)
					if m.pats[i].MatchString(g[j]) {
						c = min(c, cost[i+1][j+1])
					}
				}
				cost[i][j] = c
			}
		}
	}
	i, j := 0, 0
	for i < n || j < k {
		switch {
		case i < n && m.pats[i] == nil:
			if j < k && cost[i][j] == cost[i][j+1] {
				each('~', i, j)
				j++
				continue
			}
			each('.', i, j)
			i++
		case i < n && j < k && m.pats[i].MatchString(g[j]) && cost[i][j] == cost[i+1][j+1]:
			each(' ', i, j)
			i, j = i+1, j+1
		case j < k && cost[i][j] == cost[i][j+1]+1:
			each('+', i, j)
			j++
		default:
			each('-', i, j)
			i++
		}
	}
}

func TestTranscriptMatching(t *testing.T) {
	for _, tc := range []struct {
		want  string
		got   string
		match bool
	}{
		{"deployed orders to demo in 2s: http://x", "deployed orders to demo in 1.2s: http://x", true},
		{"deployed orders to demo in 2s: http://x", "deployed orders to prod in 2s: http://x", false},
		{"   0.0s  account 1", "  12.5s  account 1", true}, // a right-aligned time's padding is the run's
		{"   0.0s  account 1", "0.0s  account 1", false},
		{"   0.0s  account 1", "   0.0s account 1", false},
		{"  12.5s  account 1", "  10m0s  account 1", true},
		{"c5.xlarge instances  $248.20  2 × $0.1700/hour", "c5.xlarge instances  $248.20  2 × $0.1700/hour", true},
		{"c5.xlarge instances  $248.20  2 × $0.1700/hour", "c5.xlarge instances  $248.21  2 × $0.1700/hour", false},
		{"m7g.large", "m8g.large", false},
		{"image: …@sha256:… (built from .)", "image: r/hello@sha256:10f7 (built from .)", true},
		{"image: …@sha256:… (built from .)", "image: r/hello@sha256:10f7 (unchanged)", false},
		{"a\n…\nd", "a\nb\nc\nd", true},
		{"a\n…\nd", "a\nd", true},
		{"a\n…\nd", "a\nb\nc", false},
		{"a\n…", "a\nb\n\nc\n", true},
		{"a\nb", "a\nb   \n\n", true},
		{"a\nb", "a\n\nb", false},
	} {
		m := newMatcher(strings.Split(tc.want, "\n"))
		if got := m.match(tc.got); got != tc.match {
			t.Errorf("want %q, got %q: match %v, expected %v\n%s", tc.want, tc.got, got, tc.match, m.diff(tc.got))
		}
	}
	sdk := "   0.3s  deleted\nSDK 2026/12/03 12:39:30 WARN failed to discard remaining HTTP response body, this may affect connection reuse: read tcp: use of closed network connection\n   0.4s  removed\n"
	if got := withoutSDKLogs(t, sdk); got != "   0.3s  deleted\n   0.4s  removed\n" {
		t.Errorf("without the SDK's log lines: %q", got)
	}
	m := newMatcher(strings.Split("plan:\n…\n  estimate: $1\ndone in 2s", "\n"))
	d := m.diff("plan:\n  a\n  b\n  estimate: $2\ndone in 3.1s\n")
	want := "  plan:\n~   a\n~   b\n~   estimate: $2\n-   estimate: $1\n  done in 3.1s\n"
	if d != want {
		t.Errorf("diff:\n%s\nwant:\n%s", d, want)
	}
	if got := strings.Join(m.rewrite("plan:\n  a\n  b\n  estimate: $2\nnew line\ndone in 3.1s\n"), "\n"); got != "plan:\n…\n  estimate: $2\n…\ndone in 2s" {
		t.Errorf("rewrite:\n%s", got)
	}
}
