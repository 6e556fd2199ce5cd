// Package hint attaches to an error what the user can do about it; the CLI prints the
// error, then the hint on a line of its own.
//
// It imports nothing: every package may use it.
package hint

// Error is an error with a hint.
type Error struct {
	Err  error
	Text string
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Hint is what to do.
func (e *Error) Hint() string { return e.Text }

// Wrap adds a hint to err.
func Wrap(err error, text string) error { return &Error{Err: err, Text: text} }
