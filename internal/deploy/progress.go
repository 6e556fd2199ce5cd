package deploy

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Progress hears what a long operation does.
type Progress interface {
	Event(Event)      // a stack event
	Message(string)   // a step of berth's own
	Changes([]Change) // a change set's summary
	Done()            // the operation ended; an in-place view settles
}

// NewProgress picks the view: JSON lines, an in-place table on a terminal, or plain
// lines (CI logs).
func NewProgress(w io.Writer, format string, tty bool) Progress {
	start := time.Now()
	switch {
	case format == "json":
		return &jsonProgress{enc: json.NewEncoder(w), start: start}
	case tty:
		return &ttyProgress{w: w, start: start, rows: map[string]*Event{}}
	}
	return &plainProgress{w: w, start: start}
}

func elapsed(start time.Time) string { return fmt.Sprintf("%6.1fs", time.Since(start).Seconds()) }

type plainProgress struct {
	w     io.Writer
	start time.Time
}

func (p *plainProgress) Event(e Event) {
	line := fmt.Sprintf("%s  %-36s %-42s %-20s", elapsed(p.start), e.Resource, e.Type, e.Status)
	if e.Reason != "" {
		line += "  " + e.Reason
	}
	fmt.Fprintln(p.w, strings.TrimRight(line, " "))
}

func (p *plainProgress) Message(m string)    { fmt.Fprintf(p.w, "%s  %s\n", elapsed(p.start), m) }
func (p *plainProgress) Changes(cs []Change) { writeChanges(p.w, cs) }
func (p *plainProgress) Done()               {}

// writeChanges prints the changes the way a reviewer reads them: a line per resource,
// then what changes in it.
func writeChanges(w io.Writer, cs []Change) {
	for _, c := range cs {
		sign := map[string]string{"Add": "+", "Modify": "~", "Remove": "-", "Import": "<", "Dynamic": "?"}[c.Action]
		line := fmt.Sprintf("    %s %-36s %s", sign, c.Resource, c.Type)
		switch c.Replacement {
		case "True":
			line += "  (replaced)"
		case "Conditional":
			line += "  (may be replaced)"
		}
		fmt.Fprintln(w, line)
		if c.Reason != "" && len(c.Properties) == 0 {
			fmt.Fprintf(w, "        %s\n", c.Reason)
		}
		for _, p := range c.Properties {
			mark := ""
			if p.Replaces {
				mark = "  (replaces)"
			}
			fmt.Fprintf(w, "        %s: %s → %s%s\n", p.Path, shown(p.Old), shown(p.New), mark)
		}
	}
}

// shown renders a property value on one line: text as is, structures as JSON, absent as
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

type jsonProgress struct {
	mu    sync.Mutex
	enc   *json.Encoder
	start time.Time
}

func (p *jsonProgress) emit(kind string, v any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.enc.Encode(map[string]any{"kind": kind, "elapsed": time.Since(p.start).Seconds(), "data": v})
}

func (p *jsonProgress) Event(e Event)       { p.emit("event", e) }
func (p *jsonProgress) Message(m string)    { p.emit("message", m) }
func (p *jsonProgress) Changes(cs []Change) { p.emit("changes", cs) }
func (p *jsonProgress) Done()               {}

// ttyProgress keeps one row per resource and redraws the rows of the stack in progress
// in place; finished stacks scroll up as plain lines.
type ttyProgress struct {
	w     io.Writer
	start time.Time
	rows  map[string]*Event
	order []string
	drawn int
}

func (p *ttyProgress) Event(e Event) {
	key := e.Stack + "/" + e.Resource
	if _, ok := p.rows[key]; !ok {
		p.order = append(p.order, key)
	}
	ev := e
	p.rows[key] = &ev
	p.redraw()
}

func (p *ttyProgress) redraw() {
	if p.drawn > 0 {
		fmt.Fprintf(p.w, "\x1b[%dA", p.drawn) // back to the first row
	}
	for _, k := range p.order {
		e := p.rows[k]
		mark := "…"
		switch {
		case strings.HasSuffix(e.Status, "_COMPLETE") && !strings.Contains(e.Status, "ROLLBACK"):
			mark = "✔"
		case strings.HasSuffix(e.Status, "_FAILED") || strings.Contains(e.Status, "ROLLBACK"):
			mark = "✘"
		}
		line := fmt.Sprintf("  %s %-36s %-42s %-20s %s", mark, e.Resource, e.Type, e.Status, e.Reason)
		fmt.Fprintf(p.w, "\x1b[2K%s\n", strings.TrimRight(line, " "))
	}
	fmt.Fprintf(p.w, "\x1b[2K%s elapsed\n", elapsed(p.start))
	p.drawn = len(p.order) + 1
}

func (p *ttyProgress) settle() {
	p.rows, p.order, p.drawn = map[string]*Event{}, nil, 0
}

func (p *ttyProgress) Message(m string) {
	p.settle()
	fmt.Fprintf(p.w, "%s  %s\n", elapsed(p.start), m)
}

func (p *ttyProgress) Changes(cs []Change) { p.settle(); writeChanges(p.w, cs) }
func (p *ttyProgress) Done()               { p.settle() }
