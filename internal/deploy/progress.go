package deploy

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/berthdev/berth/internal/style"
)

// Progress hears what a long operation does.
type Progress interface {
	Identity(Identity)                // who acts where, before anything else
	Plan(*Plan)                       // what a deploy will do
	Event(Event)                      // a stack event
	Stack(name, status string, n int) // a stack starts ("started", n resources to change) or ends (its status, or "no changes")
	Message(string)                   // a step of berth's own
	Done()                            // the operation ended; an in-place view settles
	Restart()                         // the clock starts again: the time at a question does not count
}

// NewProgress picks the view: JSON lines, a view redrawn in place on a terminal, or
// plain lines (CI logs). st colours the text views.
func NewProgress(w io.Writer, format string, tty bool, st style.Style) Progress {
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
	w  io.Writer
	st style.Style
	*clock
}

func (p *plainProgress) Identity(id Identity) {
	fmt.Fprintf(p.w, "%s  account %s, region %s, as %s\n", p.elapsed(), id.Account, id.Region, id.ARN)
}

func (p *plainProgress) Plan(pl *Plan) { WritePlan(p.w, pl, p.st) }

func (p *plainProgress) Event(e Event) {
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

// WritePlan prints a plan the way a reviewer reads it: the image, then each stack with
// a line per resource and what changes in it.
func WritePlan(w io.Writer, pl *Plan, st style.Style) {
	fmt.Fprintf(w, "\n%s %s to %s:\n", st.Bold("plan:"), pl.Service, pl.Env)
	img := pl.Image
	switch {
	case img.Changed && img.Deployed != "":
		fmt.Fprintf(w, "  image: %s → %s (%s)\n", shown(img.Deployed), st.Bold(shown(img.New)), img.Why)
	case img.Changed:
		fmt.Fprintf(w, "  image: %s (%s)\n", st.Bold(shown(img.New)), img.Why)
	default:
		fmt.Fprintf(w, "  image: %s (unchanged)\n", shown(img.New))
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
		est := fmt.Sprintf("$%.2f a month", c.After)
		switch {
		case c.Before == nil:
			est += " (nothing of it runs yet)"
		case c.Difference() != 0:
			est += fmt.Sprintf(" (was $%.2f: %s)", *c.Before, signed(c.Difference()))
		default:
			est += " (unchanged)"
		}
		if !c.Complete {
			est += ", some prices unknown"
		}
		fmt.Fprintf(w, "  estimate: %s before traffic, at on-demand prices in %s (berth cost)\n", est, c.Region)
	}
	for _, n := range pl.Notes {
		fmt.Fprintf(w, "  %s\n", n)
	}
	fmt.Fprintln(w)
}

func signed(d float64) string {
	if d < 0 {
		return fmt.Sprintf("-$%.2f", -d)
	}
	return fmt.Sprintf("+$%.2f", d)
}

// writeChanges prints the changes of a stack: a line per resource, then what changes
// in it.
func writeChanges(w io.Writer, cs []Change, st style.Style) {
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

func (p *jsonProgress) Identity(id Identity) {
	p.emit("identity", map[string]any{"account": id.Account, "region": id.Region, "caller": id.ARN})
}
func (p *jsonProgress) Plan(pl *Plan) { p.emit("plan", map[string]any{"plan": pl}) }
func (p *jsonProgress) Event(e Event) { p.emit("event", map[string]any{"event": e}) }
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
	if succeeded(status) {
		r.done = r.total
	}
	p.redraw()
	fmt.Fprintln(p.w)
	p.live, p.drawn = nil, false
}

func (p *ttyProgress) Event(e Event) {
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
	case succeeded(r.status):
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

func (p *ttyProgress) Plan(pl *Plan) { p.clear(); p.plainProgress.Plan(pl) }

func (p *ttyProgress) Done() {
	if p.live != nil {
		p.redraw()
		fmt.Fprintln(p.w)
	}
	p.live, p.drawn = nil, false
}
