package manifest

import (
	"strings"
	"testing"
)

// A character that changes how a line reads without showing itself (a bidirectional
// control, a zero-width space, a no-break space) is refused where it is typed as is,
// in a value, a key or a comment: the manifest a reviewer reads would not be the one
// berth deploys (Trojan Source, CVE-2021-42574). The error names the line, the column
// and the escape to write instead.
func TestRawHiddenCharactersAreRefused(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"override in a value", "name: a\nenv:\n  ROLE: \"user\u202e \u2066// admin\u2069\u202c\"\n",
			`berth.yml:3: U+202E (RIGHT-TO-LEFT OVERRIDE) at column 14 changes how the line reads without showing itself; write it as \u202E inside double quotes if you mean it`},
		{"isolate in a comment", "name: a # \u2067note\u2069\nport: 8080\n", `berth.yml:1: U+2067 (RIGHT-TO-LEFT ISOLATE) at column 11`},
		{"zero-width space in a key", "name: a\nenv:\n  TO\u200bKEN: x\n", `berth.yml:3: U+200B (ZERO WIDTH SPACE) at column 5`},
		{"no-break space", "name: a\nhealth:\n  path: /\u00a0\n", `berth.yml:3: U+00A0 (NO-BREAK SPACE) at column 10`},
		{"tag character", "name: a\nenv:\n  A: \"x\U000E0041\"\n", `berth.yml:3: U+E0041 (an invisible format character) at column 8 changes how the line reads without showing itself; write it as \U000E0041 inside double quotes`},
		{"byte order mark inside", "name: a\n\ufeffport: 80\n", `berth.yml:2: U+FEFF (ZERO WIDTH NO-BREAK SPACE) at column 1`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.src), "berth.yml")
			if err == nil || !strings.Contains(err.Error(), tc.want) || !IsManifestError(err) {
				t.Errorf("error %v\nwant %q", err, tc.want)
			}
		})
	}
}

// Written as escapes they are visible to a reviewer, and allowed; a byte order mark
// at the very start is how Windows editors save UTF-8, and allowed too.
func TestEscapedHiddenCharactersAreAllowed(t *testing.T) {
	m, err := Parse([]byte("\ufeffname: a\nenv:\n  ARABIC: \"\\u202bمرحبا\\u202c\"\n  NBSP: \"10\\u00a0%\"\n"), "berth.yml")
	if err != nil {
		t.Fatal(err)
	}
	if m.Env["ARABIC"] != "\u202bمرحبا\u202c" || m.Env["NBSP"] != "10\u00a0%" {
		t.Errorf("env %q", m.Env)
	}
}
