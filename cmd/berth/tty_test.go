package main

import (
	"io"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
)

// ttyProcess is the real binary on a pseudo-terminal, as a person runs it: stdin,
// stdout and stderr are the terminal, so berth asks its questions and draws in place.
type ttyProcess struct {
	t    *testing.T
	cmd  *exec.Cmd
	term io.ReadWriteCloser
	out  *lockedBuffer
	done chan struct{}
	code int
}

func startTTY(t *testing.T, dir string, env []string, args ...string) *ttyProcess {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir, cmd.Env = dir, env
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 50, Cols: 200})
	if err != nil {
		t.Fatal(err)
	}
	p := &ttyProcess{t: t, cmd: cmd, term: f, out: &lockedBuffer{}, done: make(chan struct{})}
	go io.Copy(p.out, f) // ends with an error once the process has closed the terminal
	go func() {
		err := cmd.Wait()
		p.code = 0
		if ee, ok := err.(*exec.ExitError); ok {
			p.code = ee.ExitCode()
		}
		close(p.done)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.done
		f.Close()
	})
	return p
}

// text is what the terminal shows, without its colours.
func (p *ttyProcess) text() string { return sgr.ReplaceAllString(p.out.String(), "") }

var sgr = regexp.MustCompile(`\x1b\[[0-9;]*m`)

// waitFor waits until the terminal shows text.
func (p *ttyProcess) waitFor(text string, d time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(d)
	for !strings.Contains(p.text(), text) {
		if time.Now().After(deadline) {
			p.t.Fatalf("no %q on the terminal within %s:\n%s", text, d, p.out.String())
		}
		select {
		case <-p.done: // it will say nothing more
			time.Sleep(50 * time.Millisecond)
			if !strings.Contains(p.text(), text) {
				p.t.Fatalf("berth exited (code %d) before %q on the terminal:\n%s", p.code, text, p.out.String())
			}
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (p *ttyProcess) send(s string) {
	p.t.Helper()
	if _, err := p.term.Write([]byte(s)); err != nil {
		p.t.Fatal(err)
	}
}

// wait waits for the process to exit and returns its exit code.
func (p *ttyProcess) wait(d time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
		time.Sleep(50 * time.Millisecond) // let the last output arrive
		return p.code
	case <-time.After(d):
		p.t.Fatalf("still running after %s:\n%s", d, p.out.String())
	}
	return -1
}
