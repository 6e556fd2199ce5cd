// Package progress is how a deploy, a diff and a delete are shown while they happen:
// plain lines for logs, one line per stack redrawn in place on a terminal, JSON lines
// for programs; and the plan, as a reviewer reads it.
//
// It imports deploy for what it shows; nothing on the AWS path imports it.
package progress

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/berthdev/berth/internal/deploy"
	"github.com/berthdev/berth/internal/session"
	"github.com/berthdev/berth/internal/stacks"

	"github.com/berthdev/berth/internal/style"
)

// New picks the view: JSON lines, a view redrawn in place on a terminal, or
// plain lines (CI logs). st colours the text views.
func New(w io.Writer, format string, tty bool, st style.Style) deploy.Progress {
	c := &clock{start: time.Now()}
	switch {
	case format == "json":
		return &jsonProgress{enc: json.NewEncoder(w), clock: c}
	case tty:
		return &ttyProgress{plainProgress: plainProgress{w: w, clock: c, st: st}, stacks: map[string]*stackRow{}}
	}
	return &plainProgress{w: w, clock: c, st: st}
}

type clock struct{ start time.Time }

func (c *clock) Restart()         { c.start = time.Now() }
func (c *clock) seconds() float64 { return math.Round(time.Since(c.start).Seconds()*10) / 10 }
func (c *clock) elapsed() string  { return fmt.Sprintf("%6.1fs", c.seconds()) }

type plainProgress struct {
	w           io.Writer
	st          style.Style
	lastRollout string // a rollout's look is printed when it changes
	*clock
}

func (p *plainProgress) Identity(id session.Identity) {
	fmt.Fprintf(p.w, "%s  account %s, region %s, as %s\n", p.elapsed(), id.Account, id.Region, id.ARN)
}

func (p *plainProgress) Plan(pl *deploy.Plan) { WritePlan(p.w, pl, p.st) }

func (p *plainProgress) Event(e stacks.Event) {
	line := fmt.Sprintf("%s  %-36s %-42s %-20s", p.elapsed(), e.Resource, e.Type, p.st.Status(e.Status))
	if e.Reason != "" {
		line += "  " + e.Reason
	}
	fmt.Fprintln(p.w, strings.TrimRight(line, " "))
}

func (p *plainProgress) Stack(name, status string, n int) {
	if status == "started" {
		fmt.Fprintf(p.w, "%s  %s: changing %d resource(s)\n", p.elapsed(), name, n)
		return
	}
	fmt.Fprintf(p.w, "%s  %s: %s\n", p.elapsed(), name, p.st.Status(status))
}

func (p *plainProgress) Message(m string) { fmt.Fprintf(p.w, "%s  %s\n", p.elapsed(), m) }
func (p *plainProgress) Done()            {}

// jsonProgress writes one JSON object a line, each with its fields.
type jsonProgress struct {
	mu  sync.Mutex
	enc *json.Encoder
	*clock
}

func (p *jsonProgress) emit(kind string, fields map[string]any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fields["kind"], fields["elapsed"] = kind, p.seconds()
	p.enc.Encode(fields)
}

func (p *jsonProgress) Identity(id session.Identity) {
	p.emit("identity", map[string]any{"account": id.Account, "region": id.Region, "caller": id.ARN})
}
func (p *jsonProgress) Plan(pl *deploy.Plan) { p.emit("plan", map[string]any{"plan": pl}) }
func (p *jsonProgress) Event(e stacks.Event) { p.emit("event", map[string]any{"event": e}) }
func (p *jsonProgress) Stack(name, status string, n int) {
	p.emit("stack", map[string]any{"stack": name, "status": status, "resources": n})
}
func (p *jsonProgress) Message(m string) { p.emit("message", map[string]any{"text": m}) }
func (p *jsonProgress) Done()            {}

// ttyProgress shows each stack as one line redrawn in place while it changes
// (resources done of the plan's), and keeps what failed below it.
type ttyProgress struct {
	plainProgress
	stacks map[string]*stackRow
	live   *stackRow // the stack in progress
	drawn  bool
}

type stackRow struct {
	name        string
	total, done int
	status      string
	started     time.Time
	completed   map[string]bool
	failures    []string
}

func (p *ttyProgress) Stack(name, status string, n int) {
	if status == "started" {
		p.live = &stackRow{name: name, total: n, status: "in progress", started: time.Now(), completed: map[string]bool{}}
		p.stacks[name] = p.live
		p.redraw()
		return
	}
	r := p.stacks[name]
	if r == nil || r != p.live {
		p.plainProgress.Stack(name, status, n)
		return
	}
	r.status = status
	if stacks.Succeeded(status) {
		r.done = r.total
	}
	p.redraw()
	fmt.Fprintln(p.w)
	p.live, p.drawn = nil, false
}

func (p *ttyProgress) Event(e stacks.Event) {
	r := p.live
	if r == nil || e.Stack != r.name {
		p.plainProgress.Event(e)
		return
	}
	switch {
	case e.Type == "AWS::CloudFormation::Stack":
		r.status = e.Status
	case strings.HasSuffix(e.Status, "_COMPLETE") && !r.completed[e.Resource]:
		r.completed[e.Resource] = true
		r.done++
	case strings.HasSuffix(e.Status, "_FAILED"):
		p.clear()
		fmt.Fprintf(p.w, "  %s %s (%s): %s %s\n", p.st.Red("✘"), e.Resource, e.Type, p.st.Status(e.Status), e.Reason)
	}
	p.redraw()
}

func (p *ttyProgress) clear() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\x1b[2K")
		p.drawn = false
	}
}

func (p *ttyProgress) redraw() {
	r := p.live
	if r == nil {
		return
	}
	p.clear()
	mark := p.st.Yellow("…")
	switch {
	case stacks.Succeeded(r.status):
		mark = p.st.Green("✔")
	case strings.HasSuffix(r.status, "FAILED") || strings.Contains(r.status, "ROLLBACK"):
		mark = p.st.Red("✘")
	}
	done := min(r.done, r.total)
	fmt.Fprintf(p.w, "%s  %s %-28s %-22s %d/%d resources  %.0fs", p.elapsed(), mark, r.name, p.st.Status(r.status), done, r.total,
		time.Since(r.started).Seconds())
	p.drawn = true
}

func (p *ttyProgress) Message(m string) {
	p.clear()
	p.plainProgress.Message(m)
	p.redraw()
}

func (p *ttyProgress) Plan(pl *deploy.Plan) { p.clear(); p.plainProgress.Plan(pl) }

func (p *ttyProgress) Done() {
	if p.live != nil {
		p.redraw()
		fmt.Fprintln(p.w)
	}
	p.live, p.drawn = nil, false
}
