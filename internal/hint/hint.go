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

// UsageError is a mistake in how berth was called, found below the command line (a
// value a flag may not take): the CLI exits 2 for it, as for a bad flag.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Usage marks err as a usage error; its hint, if any, stays.
func Usage(err error) error { return &UsageError{err} }
