package version

import (
	"runtime/debug"
	"strings"
	"testing"
)

// setStamp sets what scripts/release.sh passes with -ldflags -X, for one test.
func setStamp(t *testing.T, v, c, d string) {
	t.Helper()
	oldV, oldC, oldD := Release, Commit, Date
	Release, Commit, Date = v, c, d
	t.Cleanup(func() { Release, Commit, Date = oldV, oldC, oldD })
}

// A release binary says exactly what the release script stamped, whatever the Go
// toolchain recorded about the checkout it was built from.
func TestVersionStampedByRelease(t *testing.T) {
	setStamp(t, "v1.2.3", "0123456789ab", "2026-11-26T21:41:00Z")
	ver, rev, when, dirty := buildInfo()
	if ver != "v1.2.3" || rev != "0123456789ab" || when != "2026-11-26T21:41:00Z" || dirty {
		t.Errorf("buildInfo() = %q, %q, %q, %v", ver, rev, when, dirty)
	}
	if got := Short(); got != "v1.2.3" {
		t.Errorf("Short() = %q, want v1.2.3", got)
	}
	if got, want := Line(), "v1.2.3 (commit 0123456789ab, built 2026-11-26T21:41:00Z)"; got != want {
		t.Errorf("Line() = %q, want %q", got, want)
	}
}

// Without a stamp, the test binary has no module version ("(devel)") and no VCS
// settings (go test records none), so berth calls itself dev.
func TestVersionUnstamped(t *testing.T) {
	setStamp(t, "", "", "")
	info, ok := debug.ReadBuildInfo()
	if !ok {
		t.Skip("no build info in this binary")
	}
	for _, s := range info.Settings {
		if strings.HasPrefix(s.Key, "vcs.") {
			t.Skip("this test binary records VCS settings")
		}
	}
	if got := Short(); got != "dev" {
		t.Errorf("Short() = %q, want dev", got)
	}
	if got := Line(); got != "dev" {
		t.Errorf("Line() = %q, want dev", got)
	}
}

// "go install github.com/berthdev/berth/cmd/berth@v1.4.0" records the module version
// and no VCS settings; a build from a checkout records the revision, its time and
// whether the tree was modified. The release stamp wins over both.
func TestVersionFromBuildInfo(t *testing.T) {
	installed := &debug.BuildInfo{Main: debug.Module{Path: "github.com/berthdev/berth", Version: "v1.4.0"}}
	checkout := &debug.BuildInfo{Main: debug.Module{Path: "github.com/berthdev/berth", Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
		{Key: "vcs.time", Value: "2026-11-26T21:41:00Z"},
		{Key: "vcs.modified", Value: "true"},
	}}
	for _, tc := range []struct {
		name           string
		stamp          [3]string
		info           *debug.BuildInfo
		ver, rev, when string
		dirty          bool
	}{
		{"go install @version", [3]string{}, installed, "v1.4.0", "", "", false},
		{"checkout, modified", [3]string{}, checkout, "", "0123456789ab", "2026-11-26T21:41:00Z", true},
		{"no build info", [3]string{}, nil, "", "", "", false},
		{"release stamp over go install", [3]string{"v2.0.0", "aaaaaaaaaaaa", "2026-01-01T00:00:00Z"}, installed, "v2.0.0", "aaaaaaaaaaaa", "2026-01-01T00:00:00Z", false},
		// the release script refuses a dirty tree, so a stamped commit is never "modified"
		{"release stamp over checkout", [3]string{"v2.0.0", "aaaaaaaaaaaa", "2026-01-01T00:00:00Z"}, checkout, "v2.0.0", "aaaaaaaaaaaa", "2026-01-01T00:00:00Z", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			setStamp(t, tc.stamp[0], tc.stamp[1], tc.stamp[2])
			ver, rev, when, dirty := fromBuildInfo(tc.info)
			if ver != tc.ver || rev != tc.rev || when != tc.when || dirty != tc.dirty {
				t.Errorf("got %q, %q, %q, %v; want %q, %q, %q, %v", ver, rev, when, dirty, tc.ver, tc.rev, tc.when, tc.dirty)
			}
		})
	}
}
