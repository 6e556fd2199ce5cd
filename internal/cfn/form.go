package cfn

import (
	"fmt"
	"strings"

	"github.com/berthdev/berth/internal/lazyregexp"
	"go.yaml.in/yaml/v3"
)

// Problem is something in a template's form that CloudFormation refuses, or whose
// handling it leaves undefined, found before any rule looks at the content.
type Problem struct {
	Line int
	// Resource is the logical ID of the resource the problem is in; outside the
	// Resources section, the top-level section (Outputs, Resources, ...).
	Resource string
	Msg      string
}

var logicalID = lazyregexp.New(`^[A-Za-z0-9]+$`)

// unsupportedTags are the YAML tags CloudFormation does not accept (template-formats.html).
var unsupportedTags = map[string]bool{"!!binary": true, "!!omap": true, "!!pairs": true, "!!set": true, "!!timestamp": true}

// form walks the template's YAML tree once, without expanding aliases (so that its
// cost is the size of the text), and lists the problems of its form:
//   - a key twice in one mapping, at any level: CloudFormation keeps one of them
//     without a word, its documentation calls duplicate sections undefined behaviour
//     and wants logical IDs unique (template-formats.html,
//     resources-section-structure.html); aws cloudformation deploy refuses them;
//   - YAML aliases, hash merges (<<) and the binary, omap, pairs, set and timestamp
//     tags, which CloudFormation does not support (template-formats.html; an alias
//     fails with "YAML aliases are not allowed in CloudFormation templates");
//   - a key that is not text (a list or a mapping);
//   - a Resources section or a resource that is not a mapping, a resource without a
//     Type, a logical ID that is not alphanumeric (resources-section-structure.html).
func form(top *yaml.Node) []Problem {
	f := &former{}
	f.mapping(top, "", true)
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i], top.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Value != "Resources" {
			f.walk(v, k.Value)
			continue
		}
		if v.Kind != yaml.MappingNode {
			if v.Kind != yaml.AliasNode {
				f.add(v.Line, "Resources", "Resources is %s, not a mapping of logical IDs to resources", what(v))
			}
			f.walk(v, "Resources")
			continue
		}
		f.mapping(v, "Resources", true)
		for j := 0; j+1 < len(v.Content); j += 2 {
			name, body := v.Content[j], v.Content[j+1]
			if name.Kind == yaml.ScalarNode && !logicalID.MatchString(name.Value) && name.Tag != "!!merge" {
				f.add(name.Line, name.Value, "the logical ID %q is not alphanumeric (A-Za-z0-9)", name.Value)
			}
			switch {
			case body.Kind == yaml.AliasNode:
			case body.Kind != yaml.MappingNode:
				f.add(name.Line, name.Value, "the resource %s is %s, not a mapping with a Type", name.Value, what(body))
			case !hasKey(body, "Type"):
				f.add(name.Line, name.Value, "the resource %s has no Type", name.Value)
			}
			f.walk(body, name.Value)
		}
	}
	return f.problems
}

type former struct{ problems []Problem }

func (f *former) add(line int, resource, format string, args ...any) {
	f.problems = append(f.problems, Problem{Line: line, Resource: resource, Msg: fmt.Sprintf(format, args...)})
}

// walk lists the problems of n and what is under it, in resource.
func (f *former) walk(n *yaml.Node, resource string) {
	switch {
	case n.Kind == yaml.AliasNode:
		f.add(n.Line, resource, "the YAML alias *%s: CloudFormation does not accept aliases (template-formats.html); write the value out", n.Value)
		return
	case n.Style&yaml.TaggedStyle != 0 && unsupportedTags[n.Tag]:
		f.add(n.Line, resource, "the YAML tag %s: CloudFormation does not accept the binary, omap, pairs, set and timestamp tags (template-formats.html)", n.Tag)
	}
	if n.Kind == yaml.MappingNode {
		f.mapping(n, resource, false)
		for i := 1; i < len(n.Content); i += 2 {
			f.walk(n.Content[i], resource)
		}
		return
	}
	for _, c := range n.Content {
		f.walk(c, resource)
	}
}

// mapping lists the problems of a mapping's keys: twice, not text, an alias, a merge.
// They are in resource, or, when named is true (the top level, the Resources section),
// in what the key names.
func (f *former) mapping(n *yaml.Node, resource string, named bool) {
	first := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		label := resource
		if named && k.Kind == yaml.ScalarNode {
			label = k.Value
		}
		switch {
		case k.Kind == yaml.AliasNode:
			f.add(k.Line, label, "the YAML alias *%s as a key: CloudFormation does not accept aliases (template-formats.html)", k.Value)
			continue
		case k.Kind != yaml.ScalarNode:
			f.add(k.Line, label, "a key that is %s: CloudFormation keys are text", what(k))
			continue
		case k.Tag == "!!merge":
			f.add(k.Line, label, "a hash merge (<<): CloudFormation does not accept hash merges (template-formats.html); write the keys out")
			continue
		}
		if line, dup := first[k.Value]; dup {
			f.add(k.Line, label, "%s is set twice in this mapping (first at line %d): CloudFormation keeps one of them, its handling is undefined (template-formats.html), and aws cloudformation deploy refuses the template", k.Value, line)
			continue
		}
		first[k.Value] = k.Line
	}
}

func hasKey(n *yaml.Node, key string) bool {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Kind == yaml.ScalarNode && n.Content[i].Value == key {
			return true
		}
	}
	return false
}

// what names the kind of a node, for messages.
func what(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	if n.Tag == "!!null" {
		return "empty"
	}
	v := n.Value
	if len(v) > 40 {
		v = v[:40] + "..."
	}
	return fmt.Sprintf("the text %q", strings.TrimSpace(v))
}
