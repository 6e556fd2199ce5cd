package local

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/berthdev/berth/internal/style"
)

// stateWord colours a target's state: healthy green, unhealthy red, on its way yellow.
func stateWord(st style.Style, state string) string {
	switch state {
	case "healthy":
		return st.Green(state)
	case "unhealthy":
		return st.Red(state)
	}
	return st.Yellow(state)
}

// Output is berth up's terminal: each line it writes starts with the time since berth
// up started, as the AWS commands' progress does, and status words are coloured on a
// terminal (style.For). It serialises writes from many goroutines.
type Output struct {
	mu    sync.Mutex
	w     io.Writer
	st    style.Style
	start time.Time
}

// NewOutput makes the output of one berth up on w.
func NewOutput(w io.Writer, st style.Style) *Output {
	if o, ok := w.(*Output); ok {
		return o
	}
	return &Output{w: w, st: st, start: time.Now()}
}

// Write writes p, whole lines, each with the elapsed time; the lines after the first
// of one write are its continuation, indented under it.
func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	text := strings.TrimSuffix(string(p), "\n")
	elapsed := fmt.Sprintf("%6.1fs  ", time.Since(o.start).Seconds())
	text = strings.ReplaceAll(text, "\n", "\n"+strings.Repeat(" ", len(elapsed)))
	if _, err := io.WriteString(o.w, elapsed+text+"\n"); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Printf writes one message.
func (o *Output) Printf(format string, args ...any) {
	fmt.Fprintf(o, format+"\n", args...)
}
