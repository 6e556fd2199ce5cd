package cfn

import (
	"bytes"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// noder is implemented by the template's own types, which know their YAML form.
type noder interface{ yamlNode() (*yaml.Node, error) }

// node builds the YAML tree of v directly. yaml.Node.Encode would do it too, but it
// renders text and parses it back at every level of nesting: synthesis spent most of
// its time there.
func node(v any) (*yaml.Node, error) {
	if n, ok := v.(noder); ok {
		return n.yamlNode()
	}
	switch x := v.(type) {
	case *yaml.Node:
		return x, nil
	case string:
		return str(x), nil
	case int:
		return scalar("!!int", strconv.Itoa(x)), nil
	case float64:
		// the shortest form that reads back as the same number; a whole number is
		// written as one (5, not 5.0), which CloudFormation's Number properties take
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("cannot render %v in a template", x)
		}
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return scalar("!!int", strconv.FormatInt(int64(x), 10)), nil
		}
		return scalar("!!float", strconv.FormatFloat(x, 'f', -1, 64)), nil
	case bool:
		return scalar("!!bool", strconv.FormatBool(x)), nil
	case nil:
		return scalar("!!null", "null"), nil
	case map[string]string:
		m := make(map[string]any, len(x))
		for k, v := range x {
			m[k] = v
		}
		return node(m)
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		n := &yaml.Node{Kind: yaml.MappingNode}
		for _, k := range keys {
			c, err := node(x[k])
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			n.Content = append(n.Content, str(k), c)
		}
		return n, nil
	case []any:
		return sequence(len(x), func(i int) any { return x[i] })
	case []string:
		return sequence(len(x), func(i int) any { return x[i] })
	}
	return structNode(reflect.ValueOf(v))
}

func scalar(tag, value string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: value}
}

// str is every string the template holds, keys included. yaml.v3 quotes a string only
// when a YAML 1.2 reader would take it for something else, but CloudFormation reads
// YAML 1.1, where yes, no, on, off, y, n, 0777, 1:20 and 1_000 are booleans and numbers:
// unquoted, "yes" would reach a container as true. So a string that any YAML version
// could resolve to another type is double-quoted, and so is one holding characters that
// YAML 1.1 and 1.2 read differently (NEL, LS and PS are line breaks only in 1.1), or
// one starting with a line break, which yaml.v3's literal block style loses.
func str(s string) *yaml.Node {
	n := scalar("!!str", s)
	if ambiguous(s) || hasSpecialRunes(s) || strings.HasPrefix(s, "\n") {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

// ambiguous reports whether s, written as a plain scalar, could read back as anything
// but the string s under YAML 1.1 or 1.2: a special word, something that starts like a
// number, or a timestamp. Every string of every template passes here, so it is written
// out by hand; ambiguousPatterns in node_test.go say the same as regular expressions,
// and FuzzAmbiguousAgreesWithItsPatterns holds the two to one answer.
func ambiguous(s string) bool {
	return s == "" || specialWord(s) || numberLike(s) || timestampLike(s)
}

// specialWords are the words YAML 1.1 or 1.2 resolve to a boolean, a null, infinity or
// not-a-number. They are matched in any case, although the specifications list only
// some spellings, since quoting costs nothing and readers differ.
var specialWords = []string{"y", "n", "yes", "no", "true", "false", "on", "off", "~", "null",
	".inf", "-.inf", "+.inf", ".nan", "-.nan", "+.nan", "<<", "="}

func specialWord(s string) bool {
	// every string of a template passes here, most of them long or starting otherwise:
	// the longest word is five letters, of which only s has a longer rune folding to
	// it (ſ, two bytes), and each word starts with one of these, in any case (no rune
	// outside ASCII folds to them)
	if len(s) == 0 || len(s) > 6 || !strings.ContainsRune("yYnNtTfFoO~.-+<=", rune(s[0])) {
		return false
	}
	for _, w := range specialWords {
		if strings.EqualFold(s, w) {
			return true
		}
	}
	return false
}

// numberLike reports anything that starts like a number and is made only of what YAML
// 1.1 and 1.2 write numbers with: digits, signs, dots, underscores, sexagesimal colons,
// exponents and the 0x, 0o and 0b prefixes. A superset of both versions' int and float
// forms (the 1.1 float pattern even matches "." and "1.2.3").
func numberLike(s string) bool {
	if s != "" && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	if s == "" || !(isDigit(s[0]) || s[0] == '.' || s[0] == '_') {
		return false
	}
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case isDigit(c), 'a' <= c && c <= 'f', 'A' <= c && c <= 'F':
		case c == '_', c == '.', c == ':', c == '+', c == '-', c == 'x', c == 'X', c == 'o', c == 'O':
		default:
			return false
		}
	}
	return true
}

// timestampLike reports the start of a YAML 1.1 timestamp: 2001-12-14, 2001-1-1 and
// whatever follows them.
func timestampLike(s string) bool {
	if len(s) < 8 || !allDigits(s[:4]) || s[4] != '-' {
		return false
	}
	i := 5
	for i < 7 && i < len(s) && isDigit(s[i]) {
		i++
	}
	return i > 5 && i+1 < len(s) && s[i] == '-' && isDigit(s[i+1])
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func allDigits(s string) bool {
	for i := range len(s) {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// hasSpecialRunes reports characters the emitter could write raw but YAML 1.1 and 1.2
// read differently, or that no reader takes raw: in double quotes they are escaped.
func hasSpecialRunes(s string) bool {
	for _, r := range s {
		switch {
		case r == '\n':
		case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f, r == 0x2028, r == 0x2029, r == 0xfeff, r == utf8.RuneError:
			return true
		}
	}
	return false
}

func sequence(n int, at func(int) any) (*yaml.Node, error) {
	seq := &yaml.Node{Kind: yaml.SequenceNode}
	for i := range n {
		c, err := node(at(i))
		if err != nil {
			return nil, err
		}
		seq.Content = append(seq.Content, c)
	}
	return seq, nil
}

// structNode renders Resource, Parameter and Output by their yaml tags, in field order.
func structNode(v reflect.Value) (*yaml.Node, error) {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return scalar("!!null", "null"), nil
		}
		return node(v.Elem().Interface())
	}
	if v.Kind() != reflect.Struct {
		return nil, fmt.Errorf("cannot render %s in a template", v.Type())
	}
	n := &yaml.Node{Kind: yaml.MappingNode}
	for i := range v.NumField() {
		f := v.Type().Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" {
			name = f.Name
		}
		fv := v.Field(i)
		if opts == "omitempty" && fv.IsZero() {
			continue
		}
		c, err := node(fv.Interface())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		n.Content = append(n.Content, str(name), c)
	}
	return n, nil
}

// Hidden reports a character that changes how text reads without showing itself:
// the Unicode bidirectional controls (U+202A-U+202E, U+2066-U+2069, LRM, RLM, ALM),
// which reorder what follows them on screen, so that a reviewer reads another line
// than the one a program gets (Trojan Source, CVE-2021-42574); the other invisible
// format characters (category Cf: zero-width spaces and joiners, soft hyphen, word
// joiner, tag characters); variation selectors and the blank Hangul fillers, which
// show as nothing; and the spaces that are not U+0020, which show as one. Templates
// write them as escapes (see escapeHidden), and the manifest refuses them raw.
func Hidden(r rune) bool {
	switch {
	case r == ' ' || r < 0x80:
		return false
	case unicode.In(r, unicode.Cf, unicode.Variation_Selector, unicode.Zs):
		return true
	}
	return r == 0x115f || r == 0x1160 || r == 0x3164 || r == 0xffa0
}

// hasHidden reports whether s holds a Hidden character.
func hasHidden(s string) bool { return strings.IndexFunc(s, Hidden) >= 0 }

// quoteHidden double-quotes every scalar under n that holds a Hidden character, tagged
// ones (!Sub) and keys included, so that escapeHidden finds each of them inside double
// quotes, where YAML reads an escape.
func quoteHidden(n *yaml.Node) {
	if n.Kind == yaml.ScalarNode && hasHidden(n.Value) {
		n.Style = yaml.DoubleQuotedStyle
	}
	for _, c := range n.Content {
		quoteHidden(c)
	}
}

// escapeHidden replaces, in YAML written from a tree that quoteHidden went over, each
// Hidden character by its escape (\u202E, \U000E0041). The emitter writes them as
// they are, since YAML counts them printable; every one is inside a double-quoted
// scalar, where the escape reads back as the same character, so the value is unchanged.
func escapeHidden(data []byte) []byte {
	if !bytes.ContainsFunc(data, Hidden) {
		return data
	}
	var out bytes.Buffer
	out.Grow(len(data) + 64)
	for _, r := range string(data) {
		switch {
		case !Hidden(r):
			out.WriteRune(r)
		case r > 0xffff:
			fmt.Fprintf(&out, "\\U%08X", r)
		default:
			fmt.Fprintf(&out, "\\u%04X", r)
		}
	}
	return out.Bytes()
}
