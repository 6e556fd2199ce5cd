package cfn

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// emit writes the YAML text of a template's tree the way yaml.v3's encoder (indent 2)
// writes it, byte for byte, without the encoder's cost: yaml.v3 queues every event of
// the document in a slice it never shortens, and analyses every scalar twice, which
// made it most of what berth synth spent. It knows only the trees berth builds: block
// mappings and sequences, flow sequences (the short-form intrinsics, !If [...]) and
// what they hold, scalars of printable ASCII. Anything else (another character, an
// anchor, a comment, a key that is not simple) and ok is false: the caller then asks
// yaml.v3, so that the text never depends on which of the two wrote it.
// TestEmitWritesWhatYAMLv3Writes (every golden), FuzzEmitWritesWhatYAMLv3Writes and
// TestEmitMatchesYAMLv3OnRandomTrees hold the two to one text.
func emit(root *yaml.Node) (out []byte, ok bool) {
	if tag, ok := collectionTag(root); !ok || tag != "" || root.Kind != yaml.MappingNode || !plainNode(root) ||
		root.Style&yaml.FlowStyle != 0 || len(root.Content) == 0 || len(root.Content)%2 != 0 {
		return nil, false
	}
	e := &emitter{b: make([]byte, 0, 16<<10), ok: true}
	e.blockMapping(root, 0, true)
	if !e.ok {
		return nil, false
	}
	if e.b[len(e.b)-1] != '\n' {
		e.b = append(e.b, '\n')
	}
	return e.b, true
}

type emitter struct {
	b  []byte
	ok bool
}

// plainNode reports a node without what emit does not write: anchors, comments, and
// a tag of YAML's own (!!str) that must be written even where the text says it.
func plainNode(n *yaml.Node) bool {
	return n.Anchor == "" && n.HeadComment == "" && n.LineComment == "" && n.FootComment == "" &&
		(n.Style&yaml.TaggedStyle == 0 || localTag(n.Tag))
}

// line starts a line indented by indent, unless the text is at its start.
func (e *emitter) line(indent int) {
	if len(e.b) > 0 && e.b[len(e.b)-1] != '\n' {
		e.b = append(e.b, '\n')
	}
	for range indent {
		e.b = append(e.b, ' ')
	}
}

// blockMapping writes n's pairs at indent; inline, the first pair goes where the text
// is (after a sequence item's "- ", or at the document's start).
func (e *emitter) blockMapping(n *yaml.Node, indent int, inline bool) {
	for i := 0; i+1 < len(n.Content) && e.ok; i += 2 {
		if i > 0 || !inline {
			e.line(indent)
		}
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || !plainNode(k) {
			e.ok = false
			return
		}
		e.scalar(k, indent, false, true)
		e.b = append(e.b, ':')
		e.blockValue(v, indent+2, false)
	}
}

// blockSequence writes n's items at indent, the first where the text is when inline.
func (e *emitter) blockSequence(n *yaml.Node, indent int, inline bool) {
	for i, item := range n.Content {
		if !e.ok {
			return
		}
		if i > 0 || !inline {
			e.line(indent)
		}
		e.b = append(e.b, '-')
		e.blockValue(item, indent+2, true)
	}
}

// blockValue writes v after a key's ':' or an item's '-': a scalar or a flow
// collection on the same line after a space, a block collection on the next lines at
// indent (a sequence item's mapping or sequence starts on the item's line).
func (e *emitter) blockValue(v *yaml.Node, indent int, item bool) {
	if !plainNode(v) {
		e.ok = false
		return
	}
	switch v.Kind {
	case yaml.ScalarNode:
		e.b = append(e.b, ' ')
		e.scalar(v, indent, false, false)
		return
	case yaml.MappingNode, yaml.SequenceNode:
	default:
		e.ok = false
		return
	}
	tag, ok := collectionTag(v)
	if !ok {
		e.ok = false
		return
	}
	if v.Kind == yaml.MappingNode && len(v.Content)%2 != 0 {
		e.ok = false // yaml.v3 drops a key without a value
		return
	}
	if v.Style&yaml.FlowStyle != 0 || len(v.Content) == 0 {
		e.b = append(e.b, ' ')
		if tag != "" {
			e.b = append(e.b, tag...)
			e.b = append(e.b, ' ')
		}
		e.flow(v)
		return
	}
	if tag != "" {
		e.ok = false
		return
	}
	if item {
		e.b = append(e.b, ' ')
	}
	if v.Kind == yaml.MappingNode {
		e.blockMapping(v, indent, item)
		return
	}
	// a sequence that is a mapping's value is indented under its key
	e.blockSequence(v, indent, item)
}

// flow writes a collection in flow style: [a, b] or {k: v}, its members in flow style.
func (e *emitter) flow(n *yaml.Node) {
	open, end := byte('['), byte(']')
	if n.Kind == yaml.MappingNode {
		open, end = '{', '}'
		if len(n.Content)%2 != 0 {
			e.ok = false // yaml.v3 drops a key without a value
			return
		}
	}
	e.b = append(e.b, open)
	for i, c := range n.Content {
		if !e.ok {
			return
		}
		if i > 0 {
			if n.Kind == yaml.MappingNode && i%2 == 1 {
				e.b = append(e.b, ':', ' ')
			} else {
				e.b = append(e.b, ',', ' ')
			}
		}
		if !plainNode(c) {
			e.ok = false
			return
		}
		switch c.Kind {
		case yaml.ScalarNode:
			e.scalar(c, 0, true, n.Kind == yaml.MappingNode && i%2 == 0)
		case yaml.MappingNode, yaml.SequenceNode:
			if n.Kind == yaml.MappingNode && i%2 == 0 {
				e.ok = false // a collection as a key
				return
			}
			tag, ok := collectionTag(c)
			if !ok {
				e.ok = false
				return
			}
			if tag != "" {
				e.b = append(e.b, tag...)
				e.b = append(e.b, ' ')
			}
			e.flow(c)
		default:
			e.ok = false
		}
	}
	e.b = append(e.b, end)
}

// collectionTag is the tag written before a mapping or a sequence: none for the
// implicit ones, !Name for an intrinsic.
func collectionTag(n *yaml.Node) (string, bool) {
	switch {
	case n.Tag == "", n.Kind == yaml.MappingNode && n.Tag == "!!map", n.Kind == yaml.SequenceNode && n.Tag == "!!seq":
		return "", true
	case localTag(n.Tag):
		return n.Tag, true
	}
	return "", false
}

// localTag reports !Name, the only explicit tags berth writes (the intrinsics' short
// forms).
func localTag(tag string) bool {
	if len(tag) < 2 || tag[0] != '!' {
		return false
	}
	for i := 1; i < len(tag); i++ {
		if c := tag[i]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// scalar writes n: its tag when the text alone would not say it, then its value in
// the style yaml.v3 would choose. indent is where a literal block's lines go; flow and
// key say where the scalar stands.
func (e *emitter) scalar(n *yaml.Node, indent int, flow, key bool) {
	v := n.Value
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < 0x20 || c > 0x7e) && c != '\n' {
			e.ok = false
			return
		}
	}
	tag := ""
	if key && len(n.Tag)+len(v) > 128 {
		e.ok = false // not a simple key: yaml.v3 writes it after "? "
		return
	}
	switch n.Tag {
	case "", "!!str":
		// a string that would read back as another type is quoted where it is made
		// (str); one that reaches here unquoted is not written as yaml.v3 would
		if n.Tag == "!!str" && n.Style == 0 && ambiguous(v) {
			e.ok = false
			return
		}
	case "!!int", "!!bool", "!!null", "!!float":
		if n.Style != 0 || !resolvesTo(n.Tag, v) {
			e.ok = false
			return
		}
	default:
		if !localTag(n.Tag) {
			e.ok = false
			return
		}
		tag = n.Tag
	}
	style := n.Style &^ yaml.TaggedStyle // a local tag is written either way
	multiline := strings.Contains(v, "\n")
	if style == 0 && multiline {
		style = yaml.LiteralStyle
	}
	if tag != "" {
		e.b = append(e.b, tag...)
		e.b = append(e.b, ' ')
	}
	switch {
	case style == yaml.DoubleQuotedStyle || key && multiline:
		e.doubleQuoted(v)
	case style == yaml.SingleQuotedStyle:
		e.singleQuoted(v)
	case style == yaml.LiteralStyle:
		switch {
		case flow || key || v == "" || v[len(v)-1] == ' ' || strings.Contains(v, " \n"):
			e.doubleQuoted(v) // yaml.v3 cannot write these as a block
		case literalAsIs(v):
			e.literal(v, indent)
		default:
			e.ok = false
		}
	case style != 0:
		e.ok = false // folded
	case v == "":
		if flow || key {
			e.b = append(e.b, '\'', '\'')
			return
		}
		e.ok = false
	case plainAllowed(v, flow):
		e.b = append(e.b, v...)
	default:
		e.singleQuoted(v)
	}
}

// resolvesTo reports a value in the forms strconv writes a number, a boolean or null
// in, which reads back untagged as that type: an int without leading zeros that fits
// 64 bits, a float with a fraction (a whole float, 1e16 say, would read back as an int
// and keeps its tag: yaml.v3 writes that).
func resolvesTo(tag, v string) bool {
	switch tag {
	case "!!bool":
		return v == "true" || v == "false"
	case "!!null":
		return v == "null"
	}
	whole, frac, dot := strings.Cut(strings.TrimPrefix(v, "-"), ".")
	if whole == "" || len(whole) > 18 || !allDigits(whole) || len(whole) > 1 && whole[0] == '0' {
		return false
	}
	if tag == "!!int" {
		return !dot
	}
	return dot && frac != "" && allDigits(frac)
}

// plainAllowed reports whether yaml.v3 writes v (printable ASCII, no line break) bare:
// not when it starts or ends with a space, starts like a YAML indicator or a document
// marker, or holds ": " or " #" (and, inside a flow collection, any of ,?[]{} or ':').
func plainAllowed(v string, flow bool) bool {
	if v[0] == ' ' || v[len(v)-1] == ' ' || strings.HasPrefix(v, "---") || strings.HasPrefix(v, "...") {
		return false
	}
	flowIndicator, blockIndicator := false, false
	for i := 0; i < len(v); i++ {
		c := v[i]
		followedBySpace := i+1 == len(v) || v[i+1] == ' '
		if i == 0 {
			switch c {
			case '#', ',', '[', ']', '{', '}', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
				return false
			case '?', ':':
				flowIndicator = true
				blockIndicator = blockIndicator || followedBySpace
			case '-':
				if followedBySpace {
					return false
				}
			}
			continue
		}
		switch c {
		case ',', '?', '[', ']', '{', '}':
			flowIndicator = true
		case ':':
			flowIndicator = true
			blockIndicator = blockIndicator || followedBySpace
		case '#':
			if v[i-1] == ' ' {
				return false
			}
		}
	}
	if flow {
		return !flowIndicator
	}
	return !blockIndicator
}

// literalAsIs reports a value (one yaml.v3 writes as a block) that emit writes as
// yaml.v3 does: not starting with a space or a line break (which take an indentation
// indicator) and with at most one line break at its end (more take the keep
// indicator, and yaml.v3 may then end the document with ...).
func literalAsIs(v string) bool {
	return v[0] != ' ' && v[0] != '\n' && !strings.HasSuffix(v, "\n\n")
}

// literal writes v as a literal block: | (or |- without a final line break), then
// its lines at indent; empty lines stay empty.
func (e *emitter) literal(v string, indent int) {
	e.b = append(e.b, '|')
	if v[len(v)-1] != '\n' {
		e.b = append(e.b, '-')
	}
	for line := range strings.Lines(v) {
		e.b = append(e.b, '\n')
		if line == "\n" {
			continue
		}
		for range indent {
			e.b = append(e.b, ' ')
		}
		e.b = append(e.b, strings.TrimSuffix(line, "\n")...)
	}
	e.b = append(e.b, '\n')
}

func (e *emitter) singleQuoted(v string) {
	e.b = append(e.b, '\'')
	for i := 0; i < len(v); i++ {
		if v[i] == '\n' {
			e.ok = false
			return
		}
		if v[i] == '\'' {
			e.b = append(e.b, '\'')
		}
		e.b = append(e.b, v[i])
	}
	e.b = append(e.b, '\'')
}

func (e *emitter) doubleQuoted(v string) {
	e.b = append(e.b, '"')
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '\n':
			e.ok = false
			return
		case '"', '\\':
			e.b = append(e.b, '\\', c)
		default:
			e.b = append(e.b, c)
		}
	}
	e.b = append(e.b, '"')
}
