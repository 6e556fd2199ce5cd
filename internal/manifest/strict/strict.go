// Package strict is the YAML layer under berth.yml: one document, no tags, mappings
// whose keys are known (an unknown one named with the closest known key), scalars of
// the type asked for, and every error a file:line: key: message (Error). It walks the
// YAML tree by hand rather than unmarshalling into tagged structs: that is what lets
// every error name the key, its line, and what it accepts. What the keys mean, their
// defaults and their validation are package manifest's.
//
// It must not import anything of berth's but lazyregexp.
package strict

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/berthdev/berth/internal/lazyregexp"
	"go.yaml.in/yaml/v3"
)

// Error is a problem with one key of the manifest.
type Error struct {
	File string
	Line int
	Key  string
	Msg  string
}

// Position is where the error is: the manifest and the line.
func (e *Error) Position() (string, int) { return e.File, e.Line }

func (e *Error) Error() string {
	if e.Key == "" {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	key := e.Key
	if strings.ContainsFunc(key, func(r rune) bool { return !unicode.IsPrint(r) }) {
		key = strconv.Quote(key) // a key the user wrote in quotes, with a line break, say
	}
	return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, key, e.Msg)
}

// Document is the root node of data, which must hold one YAML document: a second
// would be ignored, and what it says silently lost.
func Document(data []byte, file string) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err == io.EOF {
		return nil, &Error{File: file, Line: 1, Msg: "the manifest is empty (at least: name)"}
	} else if err != nil {
		return nil, syntaxError(file, err)
	}
	var next yaml.Node
	if err := dec.Decode(&next); err == nil {
		return nil, &Error{File: file, Line: next.Line, Msg: "a second YAML document starts here; the manifest is one document (remove the --- or merge what follows into the first)"}
	} else if err != io.EOF {
		return nil, syntaxError(file, err)
	}
	return doc.Content[0], nil
}

var yamlLine = lazyregexp.New(`^yaml: line (\d+): (.*)$`)

func syntaxError(file string, err error) error {
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{File: file, Line: line, Msg: "invalid YAML: " + m[2]}
	}
	return &Error{File: file, Line: 1, Msg: "invalid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
}

// Decoder decodes the mappings of one file, recording the line of every key it meets.
type Decoder struct {
	File  string
	Lines map[string]int // the line of each key decoded, by its path (a.b, a.list[0])
}

// A Field decodes the value node of one key; key is its dotted path.
type Field func(n *yaml.Node, key string) error

// Fields are the keys a mapping takes, each with its decoder.
type Fields map[string]Field

// Fail is an error about the key at n.
func (d *Decoder) Fail(n *yaml.Node, key, format string, args ...any) error {
	return &Error{File: d.File, Line: n.Line, Key: key, Msg: fmt.Sprintf(format, args...)}
}

// Mapping decodes a mapping whose keys are those of fs, each once: an unknown key is
// refused, naming the closest known one when it looks like a typo.
func (d *Decoder) Mapping(n *yaml.Node, prefix string, fs Fields) error {
	if n.Kind != yaml.MappingNode {
		what := "the manifest"
		if prefix != "" {
			what = prefix
		}
		return &Error{File: d.File, Line: n.Line, Key: prefix, Msg: fmt.Sprintf("%s must be a mapping of keys, got %s", what, Kind(n))}
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := Join(prefix, k.Value)
		f, ok := fs[k.Value]
		if !ok {
			return d.Fail(k, key, "unknown key%s (allowed: %s)", suggest(k.Value, fs), strings.Join(names(fs), ", "))
		}
		if seen[k.Value] {
			return d.Fail(k, key, "set twice")
		}
		seen[k.Value] = true
		d.Lines[key] = k.Line
		if err := f(v, key); err != nil {
			return err
		}
	}
	return nil
}

// Object is a key whose value is a mapping of fs.
func (d *Decoder) Object(fs Fields) Field {
	return func(n *yaml.Node, key string) error { return d.Mapping(n, key, fs) }
}

// RefuseTags stops at the first explicit YAML tag under n. berth defines none: a tag
// such as !Ref would otherwise be dropped and its value used as plain text. !!str, which
// only says "this is a string", is allowed on scalars.
func (d *Decoder) RefuseTags(n *yaml.Node, key string) error {
	if n.Style&yaml.TaggedStyle != 0 && (n.Kind != yaml.ScalarNode || n.Tag != "!!str") {
		return d.Fail(n, key, "the YAML tag %s is not supported: berth.yml holds plain values (quote text that starts with !)", n.Tag)
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := Join(key, n.Content[i].Value)
			if err := d.RefuseTags(n.Content[i], k); err != nil {
				return err
			}
			if err := d.RefuseTags(n.Content[i+1], k); err != nil {
				return err
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if err := d.RefuseTags(c, fmt.Sprintf("%s[%d]", key, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

// Str decodes a string that must have a value: a key that is present is validated like
// any other, and "" is never what a user means (leaving the key out gives the default).
func (d *Decoder) Str(dst *string) Field {
	return func(n *yaml.Node, key string) error {
		if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
			return d.Fail(n, key, "must be a string, got %s", Kind(n))
		}
		if n.Value == "" {
			return d.Fail(n, key, "must not be empty (leave the key out for the default)")
		}
		*dst = n.Value
		return nil
	}
}

// Int decodes a whole number.
func (d *Decoder) Int(dst *int) Field {
	return func(n *yaml.Node, key string) error {
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
			return d.Fail(n, key, "must be a whole number, got %s", Kind(n))
		}
		v, err := strconv.Atoi(n.Value)
		if err != nil {
			return d.Fail(n, key, "must be a whole number, got %q", n.Value)
		}
		*dst = v
		return nil
	}
}

// Bool decodes true or false.
func (d *Decoder) Bool(dst *bool) Field {
	return func(n *yaml.Node, key string) error {
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			return d.Fail(n, key, "must be true or false, got %s", Kind(n))
		}
		*dst = n.Value == "true" || n.Value == "True" || n.Value == "TRUE"
		return nil
	}
}

// Days accepts a number of days, true for def days, or false for none (0).
func (d *Decoder) Days(dst *int, def int) Field {
	return func(n *yaml.Node, key string) error {
		if n.Kind == yaml.ScalarNode && n.Tag == "!!bool" {
			var on bool
			d.Bool(&on)(n, key)
			*dst = 0
			if on {
				*dst = def
			}
			return nil
		}
		if err := d.Int(dst)(n, key); err != nil {
			return d.Fail(n, key, "must be the number of days to keep them, true (%d days) or false, got %s", def, Kind(n))
		}
		if *dst < 1 {
			return d.Fail(n, key, "%d is out of range (1-3653 days; false for none)", *dst)
		}
		return nil
	}
}

// Entries walks the NAME: value pairs of a mapping: each name must match valid (else
// the error says notValid) and come once; fn decodes the pair, sub being its key path.
func (d *Decoder) Entries(n *yaml.Node, key string, valid *lazyregexp.Regexp, notValid string, fn func(k, v *yaml.Node, sub string) error) error {
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		sub := Join(key, k.Value)
		if !valid.MatchString(k.Value) {
			return d.Fail(k, sub, "%s", notValid)
		}
		if seen[k.Value] {
			return d.Fail(k, sub, "set twice")
		}
		seen[k.Value] = true
		if err := fn(k, v, sub); err != nil {
			return err
		}
	}
	return nil
}

// Strings decodes a non-empty list of non-empty strings; KEY[i] records the line of
// each, for errors about one of them.
func (d *Decoder) Strings(dst *[]string, what string) Field {
	return func(n *yaml.Node, key string) error {
		if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
			return d.Fail(n, key, "must be a list of %s, got %s", what, Kind(n))
		}
		for i, it := range n.Content {
			if it.Kind != yaml.ScalarNode || it.Tag != "!!str" || it.Value == "" {
				return d.Fail(it, key, "must be a list of %s, got %s", what, Kind(it))
			}
			d.Lines[fmt.Sprintf("%s[%d]", key, i)] = it.Line
			*dst = append(*dst, it.Value)
		}
		return nil
	}
}

// Kind says what n is, for an error: a mapping, a list, the number 5, "text".
func Kind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	switch n.Tag {
	case "!!null":
		return "nothing"
	case "!!int", "!!float":
		return "the number " + n.Value
	case "!!bool":
		return "the boolean " + n.Value
	}
	return fmt.Sprintf("%q", n.Value)
}

// Join is the path of key under prefix: prefix.key.
func Join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

func names(fs Fields) []string {
	out := make([]string, 0, len(fs))
	for k := range fs {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// suggest names the closest known key when the unknown one looks like a typo.
func suggest(got string, fs Fields) string {
	best, dist := "", 3
	for _, k := range names(fs) {
		if d := levenshtein(got, k); d < dist {
			best, dist = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(", did you mean %q?", best)
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// OneOrList is what a key that takes a value or a list of them holds: the list's items,
// or the value alone.
func OneOrList(n *yaml.Node) []*yaml.Node {
	if n.Kind == yaml.SequenceNode {
		return n.Content
	}
	return []*yaml.Node{n}
}
