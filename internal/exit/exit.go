// Package exit is how a berth command ends: the message, the hint on a line of its
// own, a workflow annotation in a CI job, and the exit code — 0 ok, 1 failure, 2 usage
// (a bad flag, an invalid manifest), 3 changes (berth diff --exit-code).
//
// It is cmd/berth's last step; nothing below cmd/berth imports it.
package exit

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/berthdev/berth/internal/ci"
	"github.com/berthdev/berth/internal/hint"
	"github.com/berthdev/berth/internal/manifest"
)

// The exit codes.
const (
	OK      = 0
	Failure = 1
	Usage   = 2
	Changes = 3 // berth diff --exit-code: the plan has changes
)

// Silent is an error whose story has been told already (a failing check, say): the
// command exits with Code and prints only Msg, if any.
type Silent struct {
	Code int
	Msg  string
}

func (e *Silent) Error() string   { return e.Msg }
func (e *Silent) ExitStatus() int { return e.Code }

// Report prints err as berth does — in a GitHub Actions job also as an annotation on
// the manifest's line — and returns the exit code.
func Report(stdout, stderr io.Writer, err error) int {
	if err == nil {
		return OK
	}
	ci.Annotate(stdout, err)
	if err.Error() != "" {
		fmt.Fprintf(stderr, "berth: %v\n", err)
	}
	var h interface{ Hint() string }
	if errors.As(err, &h) && h.Hint() != "" {
		fmt.Fprintf(stderr, "hint: %s\n", h.Hint())
	}
	var exit interface{ ExitStatus() int } // a Silent error, or the code of the command berth exec ran
	if errors.As(err, &exit) {
		return exit.ExitStatus()
	}
	if isUsage(err) {
		return Usage
	}
	return Failure
}

func isUsage(err error) bool {
	var u *hint.UsageError
	return errors.As(err, &u) || manifest.IsManifestError(err) || cobraUsage(err)
}

// cobraUsage tells cobra's own complaints about how berth was called (an unknown
// command, arguments a command does not take) from failures.
func cobraUsage(err error) bool {
	m := err.Error()
	return strings.HasPrefix(m, "unknown command ") || strings.HasPrefix(m, "accepts ") || strings.HasPrefix(m, "requires at least ") ||
		strings.HasPrefix(m, "unknown shorthand flag") || strings.HasPrefix(m, "unknown flag")
}
