// Package version says which berth this is: the release stamp, else what the Go
// toolchain recorded (the module version of "go install", or the commit of a checkout).
//
// It imports nothing of berth's.
package version

import (
	"fmt"
	"runtime/debug"
	"strings"
)

// Release, Commit and Date are stamped by scripts/release.sh:
// -ldflags "-X github.com/berthdev/berth/internal/version.Release=v1.2.3 -X ...Commit=... -X ...Date=...".
var Release, Commit, Date string

// Short is berth's version: the release, or the module version "go install" recorded,
// or dev with the commit for a build from a checkout. Stacks are tagged with it.
func Short() string {
	v, c, _, dirty := buildInfo()
	if v != "" {
		return v
	}
	if c == "" {
		return "dev"
	}
	if dirty {
		return "dev+" + c + "-dirty"
	}
	return "dev+" + c
}

// Line says which berth this is: release, commit and date.
func Line() string {
	v, c, d, dirty := buildInfo()
	if v == "" {
		v = "dev"
	}
	var parts []string
	if c != "" {
		if dirty {
			c += ", modified"
		}
		parts = append(parts, "commit "+c)
	}
	if d != "" {
		parts = append(parts, "built "+d)
	}
	if len(parts) == 0 {
		return v
	}
	return fmt.Sprintf("%s (%s)", v, strings.Join(parts, ", "))
}

// buildInfo reads what the release stamped, else what the Go toolchain recorded: the
// module version for "go install ...@v1.2.3", the VCS revision and time for a build
// from a checkout.
func buildInfo() (ver, rev, when string, dirty bool) {
	info, _ := debug.ReadBuildInfo()
	return fromBuildInfo(info)
}

// fromBuildInfo is buildInfo for a given record (nil when the binary has none), so a
// test can be "go install ...@v1.2.3" without a module proxy.
func fromBuildInfo(info *debug.BuildInfo) (ver, rev, when string, dirty bool) {
	ver, rev, when = Release, Commit, Date
	if info == nil {
		return
	}
	if ver == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
		ver = info.Main.Version
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			if rev == "" && len(s.Value) >= 12 {
				rev = s.Value[:12]
			}
		case "vcs.time":
			if when == "" {
				when = s.Value
			}
		case "vcs.modified":
			dirty = s.Value == "true" && Commit == ""
		}
	}
	return
}
