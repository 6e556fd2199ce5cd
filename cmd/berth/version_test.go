package main

import (
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/version"
)

// setStamp sets what scripts/release.sh passes with -ldflags -X, for one test.
func setStamp(t *testing.T, v, c, d string) {
	t.Helper()
	oldV, oldC, oldD := version.Release, version.Commit, version.Date
	version.Release, version.Commit, version.Date = v, c, d
	t.Cleanup(func() { version.Release, version.Commit, version.Date = oldV, oldC, oldD })
}

// The version subcommand prints the stamp: what "berth version" of a release archive
// shows.
func TestVersionCommandPrintsStamp(t *testing.T) {
	t.Parallel()
	setStamp(t, "v0.9.0", "fedcba987654", "2026-01-02T03:04:05Z")
	cmd := newVersion()
	var out strings.Builder
	cmd.SetOut(&out)
	cmd.SetArgs(nil)
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "berth v0.9.0 (commit fedcba987654, built 2026-01-02T03:04:05Z)\n"; got != want {
		t.Errorf("berth version printed %q, want %q", got, want)
	}
}
