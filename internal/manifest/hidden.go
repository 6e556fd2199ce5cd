package manifest

import (
	"fmt"
	"unicode"

	"github.com/berthdev/berth/internal/cfn"
)

// refuseHidden stops at the first character of data that changes how a line reads
// without showing itself (cfn.Hidden: bidirectional controls, zero-width and other
// invisible characters, spaces that are not U+0020), wherever it is typed as is: in a
// value, a key or a comment. A bidirectional override in a comment can reorder the
// rest of its line on screen, so that the manifest a reviewer approves is not the one
// berth deploys (Trojan Source, CVE-2021-42574); an invisible character makes two
// names or values look the same. Refused, not warned: a warning scrolls by in CI, and
// a manifest needs none of them raw. Written as an escape inside double quotes
// ("\u202E") the character is visible in review, and allowed; templates carry it as
// the same escape. A byte order mark at the very start is how some editors save UTF-8,
// and allowed.
func refuseHidden(data []byte, file string) error {
	line, col := 1, 0
	for i, r := range string(data) {
		col++
		switch {
		case r == '\n':
			line, col = line+1, 0
		case i == 0 && r == '\ufeff':
		case cfn.Hidden(r):
			escape := fmt.Sprintf(`\u%04X`, r)
			if r > 0xffff {
				escape = fmt.Sprintf(`\U%08X`, r)
			}
			return &Error{File: file, Line: line, Msg: fmt.Sprintf("U+%04X (%s) at column %d changes how the line reads without showing itself; write it as %s inside double quotes if you mean it", r, hiddenName(r), col, escape)}
		}
	}
	return nil
}

// hiddenNames are the Unicode names of the hidden characters one meets in text.
var hiddenNames = map[rune]string{
	0x00a0: "NO-BREAK SPACE", 0x00ad: "SOFT HYPHEN", 0x061c: "ARABIC LETTER MARK",
	0x200b: "ZERO WIDTH SPACE", 0x200c: "ZERO WIDTH NON-JOINER", 0x200d: "ZERO WIDTH JOINER",
	0x200e: "LEFT-TO-RIGHT MARK", 0x200f: "RIGHT-TO-LEFT MARK",
	0x202a: "LEFT-TO-RIGHT EMBEDDING", 0x202b: "RIGHT-TO-LEFT EMBEDDING", 0x202c: "POP DIRECTIONAL FORMATTING",
	0x202d: "LEFT-TO-RIGHT OVERRIDE", 0x202e: "RIGHT-TO-LEFT OVERRIDE", 0x202f: "NARROW NO-BREAK SPACE",
	0x2060: "WORD JOINER", 0x2066: "LEFT-TO-RIGHT ISOLATE", 0x2067: "RIGHT-TO-LEFT ISOLATE",
	0x2068: "FIRST STRONG ISOLATE", 0x2069: "POP DIRECTIONAL ISOLATE", 0x3164: "HANGUL FILLER",
	0xfeff: "ZERO WIDTH NO-BREAK SPACE",
}

func hiddenName(r rune) string {
	switch {
	case hiddenNames[r] != "":
		return hiddenNames[r]
	case unicode.Is(unicode.Zs, r):
		return "a space that is not U+0020"
	case unicode.Is(unicode.Variation_Selector, r):
		return "a variation selector"
	case unicode.Is(unicode.Cf, r):
		return "an invisible format character"
	}
	return "a blank filler character"
}
