// Package prompt asks the person at the terminal: a line, or yes or no, given up at
// once on Ctrl-C.
//
// It imports nothing of berth's.
package prompt

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// IsTerminal reports whether f is a terminal.
func IsTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// Yes asks a yes/no question on the terminal. Ctrl-C (ctx) ends it at once, not at
// the next Enter.
func Yes(ctx context.Context, in io.Reader, out io.Writer, question string) (bool, error) {
	a, err := Ask(ctx, in, out, question)
	if err != nil {
		return false, err
	}
	a = strings.ToLower(a)
	return a == "y" || a == "yes", nil
}

// Ask asks question and reads the answer, a line.
func Ask(ctx context.Context, in io.Reader, out io.Writer, question string) (string, error) {
	fmt.Fprint(out, question)
	type answer struct {
		line string
		err  error
	}
	got := make(chan answer, 1)
	go func() { // left behind on Ctrl-C: the process ends soon after
		line, err := bufio.NewReader(in).ReadString('\n')
		if err != nil && line != "" {
			err = nil
		}
		got <- answer{strings.TrimSpace(line), err}
	}()
	select {
	case <-ctx.Done():
		fmt.Fprintln(out)
		return "", errors.New("interrupted at the question")
	case a := <-got:
		return a.line, a.err
	}
}
