package cfn

import (
	"bytes"
	"testing"

	"go.yaml.in/yaml/v3"
)

// Trees emit once wrote otherwise than yaml.v3, or panicked on (found by a review of
// the emitter): now it writes them as yaml.v3 does, or leaves them to it.
func TestEmitLeavesToYAMLv3WhatItWouldWriteOtherwise(t *testing.T) {
	root := func(v *yaml.Node) *yaml.Node {
		return &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{str("Key"), v}}
	}
	floatNode := func(x float64) *yaml.Node { n, _ := node(x); return n }
	cases := []struct {
		name string
		tree *yaml.Node
	}{
		// node(float64) as internal/cfn builds it: a whole number at or beyond 2^53 is
		// !!float "9007199254740992", which reads back as an int, so yaml.v3 keeps the tag
		{"float 2^53", root(floatNode(1 << 53))},
		{"float 1e16", root(floatNode(1e16))},
		{"float -1e16", root(floatNode(-1e16))},
		{"float 1e16 in !If", func() *yaml.Node { n, _ := If("C", 1e16, 0.5).yamlNode(); return root(n) }()},
		// hand-built scalars emit's resolvesTo accepts but yaml.v3 does not resolve to the tag
		{"!!int 0128", root(scalar("!!int", "0128"))},
		{"!!float 1", root(scalar("!!float", "1"))},
		// a literal-style scalar without a line break that starts with a space:
		// yaml.v3 writes a literal block with an indentation indicator
		{"literal leading space", root(&yaml.Node{Kind: yaml.ScalarNode, Tag: "!Sub", Style: yaml.LiteralStyle, Value: " a"})},
		// emit panics (index out of range) instead of leaving it to yaml.v3
		{"literal empty", root(&yaml.Node{Kind: yaml.ScalarNode, Tag: "!Sub", Style: yaml.LiteralStyle, Value: ""})},
		{"root with a key and no value", &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{str("Key")}}},
		// the root's own tag is dropped
		{"tagged root", &yaml.Node{Kind: yaml.MappingNode, Tag: "!If", Content: []*yaml.Node{str("Key"), str("v")}}},
		{"!!seq tag on root mapping", &yaml.Node{Kind: yaml.MappingNode, Tag: "!!seq", Content: []*yaml.Node{str("Key"), str("v")}}},
		// a mapping with a key and no value: yaml.v3 drops the key (and writes {})
		{"block mapping with odd content", root(&yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{str("a")}})},
		{"flow mapping with odd content", root(&yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle, Content: []*yaml.Node{str("a"), str("b"), str("c")}})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok, p := safeEmit(c.tree)
			want, err := safeV3(c.tree)
			switch {
			case p != nil:
				t.Errorf("emit panics: %v; yaml.v3 (err %v) writes:\n%s", p, err, want)
			case ok && !bytes.Equal(got, want):
				t.Errorf("emit (ok) writes:\n%s\nyaml.v3 (err %v) writes:\n%s", got, err, want)
			}
		})
	}
}

// A whole float at 2^53 or beyond keeps its tag, as yaml.v3 wrote it: untagged, it would
// read back as an int.
func TestMarshalKeepsTheTagOfAWholeFloat(t *testing.T) {
	tpl := &Template{Description: "d"}
	tpl.Resources.Set("A", Resource{Type: "AWS::CloudWatch::Alarm", Properties: map[string]any{"Threshold": 1e16}})
	got, err := tpl.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(got, []byte("Threshold: !!float 10000000000000000\n")) {
		t.Errorf("Marshal writes\n%s\nwant Threshold: !!float 10000000000000000, as yaml.v3 writes it", got)
	}
}
