package cfn

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/cfn/cfntest"
)

// Strings that YAML 1.1 or 1.2 read as something else when written bare, and strings
// whose characters the two versions read differently.
var trickyStrings = []string{
	"y", "Y", "n", "N", "yes", "Yes", "YES", "yEs", "no", "No", "NO", "on", "On", "ON", "oN",
	"off", "Off", "OFF", "true", "True", "TRUE", "tRUE", "false", "False", "FALSE",
	"null", "Null", "NULL", "nULL", "~", "", "<<", "=",
	"0", "1", "-1", "+1", "007", "0777", "-0777", "0o17", "0x1F", "0X1f", "0b101", "1_000", "+1_0",
	"1:20", "-1:20", "190:20:30.15", "1.5", ".5", "-.5", "1.", "1e5", "1E+5", "1.0e+5", "1.2.3", ".", "..",
	".inf", "-.Inf", "+.INF", ".NaN", ".nan", "2001-12-14", "2001-1-4", "2001-12-14t21:59:43.10-05:00",
	"2001-12-14 21:59:43.10 -5", "2002-12-14 extra",
	"a: b", "- x", "-", "#x", "a #b", " lead", "trail ", "multi\nline", "multi\nline\n", "\nlead break",
	"tab\there", "x\u2028y", "x\u0085y", "x\u2029", "\ufeffbom", "nul\x00", "del\x7f", "bell\a", "cr\rlf",
	"\u00a0nbsp", "emoji 😀", "'", "\"", "\\", "!Ref x", "&a", "*a", "%x", "@x", "`x", "{x}", "[x]",
	"x, y", "?", ":", "|", ">", "0.0.0.0/0", "25m", "c5.xlarge", "${Env}", "a${!B}c",
}

func TestEveryStringReadsBackAsItself(t *testing.T) {
	props := map[string]any{}
	var keys Map
	for i, s := range trickyStrings {
		props[fmt.Sprintf("P%03d", i)] = s
		keys.Set(s, i)
	}
	tpl := &Template{Description: "tricky"}
	tpl.Resources.Set("R", Resource{Type: "AWS::SNS::Topic", Properties: props})
	tpl.Metadata.Set("Keys", keys)
	data, err := tpl.Marshal()
	if err != nil {
		t.Fatal(err)
	}

	got, err := cfntest.Load(data)
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	check := func(reader string, doc map[string]any) {
		t.Helper()
		res := doc["Resources"].(map[string]any)["R"].(map[string]any)["Properties"].(map[string]any)
		for i, s := range trickyStrings {
			if v := res[fmt.Sprintf("P%03d", i)]; v != s {
				t.Errorf("%s reads %q back as %#v", reader, s, v)
			}
		}
		meta := doc["Metadata"].(map[string]any)["Keys"].(map[string]any)
		for _, s := range trickyStrings {
			if _, ok := meta[s]; !ok {
				t.Errorf("%s: key %q does not read back", reader, s)
			}
		}
	}
	check("YAML 1.1 (Go)", got)

	file := filepath.Join(t.TempDir(), "t.yml")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	docs, ok, err := cfntest.PyYAML(file)
	switch {
	case !ok:
		t.Log("python3 with PyYAML is absent: checked with the Go reader only")
	case err != nil:
		t.Fatal(err)
	default:
		check("PyYAML", docs[0].(map[string]any))
	}
}

// The quoting stays out of the way of strings that need none: templates stay readable.
func TestOrdinaryStringsStayBare(t *testing.T) {
	bare := []string{"web", "c5.xlarge", "0.0.0.0/0", "25m", "AWS::ECS::Service", "/healthz", "non-blocking", "10.0.0.0/16"}
	props := map[string]any{}
	for i, s := range bare {
		props[fmt.Sprintf("P%d", i)] = s
	}
	tpl := &Template{Description: "bare"}
	tpl.Resources.Set("R", Resource{Type: "AWS::SNS::Topic", Properties: props})
	data, err := tpl.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range bare {
		if line := fmt.Sprintf("P%d: %s\n", i, s); !strings.Contains(string(data), line) {
			t.Errorf("no line %q in\n%s", line, data)
		}
	}
}

// Text that looks like a substitution reaches the resource as written, and no string in
// the template holds "${" outside Fn::Sub (cfn-lint E1029).
func TestTextIsNeverSubstituted(t *testing.T) {
	texts := []string{"plain", "a${B}c", "${Env}", "${AWS::Region}", "${!Literal}", "$${x}", "${", "x${", "${}", "yes${x}no", "${a}${b}", "0${x}", "\n${x}\n"}
	props := map[string]any{}
	for i, s := range texts {
		props[fmt.Sprintf("P%02d", i)] = Text(s)
	}
	tpl := &Template{Description: "text"}
	tpl.Resources.Set("R", Resource{Type: "AWS::SNS::Topic", Properties: props})
	data, err := tpl.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := cfntest.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	res := doc["Resources"].(map[string]any)["R"].(map[string]any)["Properties"].(map[string]any)
	for i, s := range texts {
		v := res[fmt.Sprintf("P%02d", i)]
		if got, ok := cfntest.Text(v); !ok || got != s {
			t.Errorf("%q reads back as %#v", s, v)
		}
		if strings.Contains(fmt.Sprint(v), "${") {
			t.Errorf("%q is written with ${ in a string: %#v", s, v)
		}
	}
}

// hiddenStrings hold characters that change how text reads without showing
// themselves: bidirectional controls that reorder what follows (Trojan Source,
// CVE-2021-42574), zero-width and other invisible format characters, a variation
// selector, a Hangul filler and spaces that are not U+0020.
var hiddenStrings = []string{
	"admin\u202e// only\u202c", "\u202aLRE", "\u202bRLE", "\u202dLRO", "\u2066LRI\u2069", "\u2067RLI", "\u2068FSI",
	"l\u200em", "r\u200fm", "a\u061cm", "zero\u200bwidth", "zw\u200cnj", "zw\u200dj", "soft\u00adhyphen",
	"word\u2060joiner", "tag\U000E0041\U000E007F", "vs\ufe0f", "filler\u3164", "nb\u00a0sp", "thin\u2009sp",
	"ideo\u3000sp", "mixed \u202e${Env}\u202c", "\u202e\n",
}

// Every template berth writes shows these characters as escapes (\u202E), wherever
// they are: keys, plain values, intrinsics' arguments, text split around ${. YAML
// stays valid, and every reader gets the same string back.
func TestHiddenCharactersAreEscaped(t *testing.T) {
	props := map[string]any{}
	var keys Map
	for i, s := range hiddenStrings {
		props[fmt.Sprintf("P%03d", i)] = s
		props[fmt.Sprintf("S%03d", i)] = Sub(s)
		props[fmt.Sprintf("T%03d", i)] = Text(s)
		props[fmt.Sprintf("F%03d", i)] = Fn{"Base64", []any{s}}
		keys.Set(s, i)
	}
	tpl := &Template{Description: "hidden \u202e"}
	tpl.Resources.Set("R", Resource{Type: "AWS::SNS::Topic", Properties: props})
	tpl.Metadata.Set("Keys", keys)
	data, err := tpl.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range string(data) {
		if Hidden(r) {
			line := strings.Count(string(data[:i]), "\n") + 1
			t.Errorf("line %d holds U+%04X as is: %q", line, r, strings.Split(string(data), "\n")[line-1])
		}
	}
	if !strings.Contains(string(data), `\u202E`) {
		t.Errorf("no escape in:\n%s", data)
	}

	check := func(reader string, doc map[string]any) {
		t.Helper()
		if d := doc["Description"]; d != "hidden \u202e" {
			t.Errorf("%s: description %q", reader, d)
		}
		res := doc["Resources"].(map[string]any)["R"].(map[string]any)["Properties"].(map[string]any)
		for i, s := range hiddenStrings {
			if v := res[fmt.Sprintf("P%03d", i)]; v != s {
				t.Errorf("%s reads %q back as %#v", reader, s, v)
			}
			if v, _ := res[fmt.Sprintf("S%03d", i)].(map[string]any); v["Fn::Sub"] != s {
				t.Errorf("%s reads !Sub %q back as %#v", reader, s, v)
			}
			if v, ok := cfntest.Text(res[fmt.Sprintf("T%03d", i)]); !ok || v != s {
				t.Errorf("%s reads text %q back as %#v", reader, s, v)
			}
			if v, _ := res[fmt.Sprintf("F%03d", i)].(map[string]any); v["Fn::Base64"] != s {
				t.Errorf("%s reads !Base64 %q back as %#v", reader, s, v)
			}
		}
		meta := doc["Metadata"].(map[string]any)["Keys"].(map[string]any)
		for _, s := range hiddenStrings {
			if _, ok := meta[s]; !ok {
				t.Errorf("%s: key %q does not read back", reader, s)
			}
		}
	}
	got, err := cfntest.Load(data)
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	check("YAML 1.1 (Go)", got)
	file := filepath.Join(t.TempDir(), "t.yml")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	docs, ok, err := cfntest.PyYAML(file)
	switch {
	case !ok:
		t.Log("python3 with PyYAML is absent: checked with the Go reader only")
	case err != nil:
		t.Fatal(err)
	default:
		check("PyYAML", docs[0].(map[string]any))
	}
}

// ambiguousPatterns are what ambiguous recognises, said as regular expressions: the
// special words in any case, anything that starts like a number and holds only what
// numbers are written with, and a YAML 1.1 timestamp's start.
var ambiguousPatterns = []*regexp.Regexp{
	regexp.MustCompile(`(?i)^(?:y|n|yes|no|true|false|on|off|~|null|[-+]?\.inf|[-+]?\.nan|<<|=)$`),
	regexp.MustCompile(`^[-+]?[0-9._][0-9a-fA-F_.:+\-xXoO]*$`),
	regexp.MustCompile(`^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}`),
	regexp.MustCompile(`^$`),
}

func matchesAmbiguousPatterns(s string) bool {
	for _, p := range ambiguousPatterns {
		if p.MatchString(s) {
			return true
		}
	}
	return false
}

func TestAmbiguousAgreesWithItsPatterns(t *testing.T) {
	for _, s := range append(trickyStrings, "yeſ", "falſe", "FALſE", "\u212aey", "2001-123-1", "2001-12-", "2001-1-x",
		"1a", "0xZZ", "+", "-", "+.", "_", "abc", "Yes please", "2001-12-1") {
		if got, want := ambiguous(s), matchesAmbiguousPatterns(s); got != want {
			t.Errorf("ambiguous(%q) = %v, its patterns say %v", s, got, want)
		}
	}
}

func FuzzAmbiguousAgreesWithItsPatterns(f *testing.F) {
	for _, s := range trickyStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := ambiguous(s), matchesAmbiguousPatterns(s); got != want {
			t.Errorf("ambiguous(%q) = %v, its patterns say %v", s, got, want)
		}
	})
}
