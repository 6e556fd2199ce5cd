package cfn

import (
	"bytes"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// Random trees (every kind, tag and style, strings made of YAML's indicators, line
// breaks, document markers, numbers and long runs), the ones berth's own constructors
// make among them, written by emit and compared with yaml.v3 wherever emit says ok.

var randomTokens = []string{"a", "b", " ", " ", "\n", ":", "#", "-", "?", ",", "[", "]", "{", "}", "'", "\"",
	"\\", "!", "&", "*", "|", ">", "%", "@", "`", ".", "0", "1", "9", "x", "e", "E", "+", "_", "~", "y", "n",
	"true", "null", "---", "...", "${", "::", ": ", " #", "- ", "? ", "2001-12-14", "0x", "0o", "0b", "<<", "=",
	"inf", "nan", strings.Repeat("a", 60), "\t", "\r", "\x7f", "é", "\u2028", "\ufeff"}

func randomString(r *rand.Rand) string {
	var b strings.Builder
	for range r.Intn(7) {
		b.WriteString(randomTokens[r.Intn(len(randomTokens))])
	}
	return b.String()
}

var randomScalarTags = []string{"", "", "", "!!str", "!!str", "!!int", "!!float", "!!bool", "!!null", "!Ref", "!Sub", "!!map",
	"!!seq", "!!binary", "!!timestamp", "tag:yaml.org,2002:str", "!", "!a-b", "!R"}
var randomStyles = []yaml.Style{0, 0, 0, yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle, yaml.LiteralStyle,
	yaml.FoldedStyle, yaml.FlowStyle, yaml.TaggedStyle, yaml.TaggedStyle | yaml.DoubleQuotedStyle,
	yaml.TaggedStyle | yaml.LiteralStyle, yaml.DoubleQuotedStyle | yaml.SingleQuotedStyle}
var randomNumbers = []string{"0", "1", "-1", "5", "0.5", "-0.5", "1.0", "1.", ".5", "1e3", "0777", "0128", "007",
	"9007199254740992", "10000000000000000", "-10000000000000000", "18446744073709551616", "true", "false",
	"null", "~", "x", "", "1_0", "0x10", "+1"}

func randomScalar(r *rand.Rand) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: randomScalarTags[r.Intn(len(randomScalarTags))],
		Style: randomStyles[r.Intn(len(randomStyles))]}
	switch n.Tag {
	case "!!int", "!!float", "!!bool", "!!null":
		n.Value = randomNumbers[r.Intn(len(randomNumbers))]
	default:
		if r.Intn(4) == 0 {
			n.Value = randomNumbers[r.Intn(len(randomNumbers))]
		} else {
			n.Value = randomString(r)
		}
	}
	switch r.Intn(8) { // as berth makes them
	case 0:
		return str(n.Value)
	case 1:
		return tagged("!GetAtt", n.Value)
	case 2:
		s, _ := Sub(n.Value).yamlNode()
		return s
	case 3:
		t, _ := Text(n.Value).yamlNode()
		return t
	}
	if r.Intn(10) == 0 {
		n.Style = 0
	}
	return n
}

var randomCollTags = []string{"", "", "", "!!map", "!!seq", "!If", "!Join", "!!str", "!a_b"}
var randomCollStyles = []yaml.Style{0, 0, 0, yaml.FlowStyle, yaml.FlowStyle, yaml.TaggedStyle, yaml.FlowStyle | yaml.TaggedStyle, yaml.LiteralStyle}

func randomNode(r *rand.Rand, depth int) *yaml.Node {
	if depth <= 0 || r.Intn(3) == 0 {
		return randomScalar(r)
	}
	kind := yaml.MappingNode
	if r.Intn(2) == 0 {
		kind = yaml.SequenceNode
	}
	n := &yaml.Node{Kind: kind, Tag: randomCollTags[r.Intn(len(randomCollTags))], Style: randomCollStyles[r.Intn(len(randomCollStyles))]}
	if r.Intn(6) == 0 {
		n.Tag = ""
		n.Style = 0
	}
	count := r.Intn(4)
	for i := range count {
		if kind == yaml.MappingNode {
			k := randomScalar(r)
			if r.Intn(10) == 0 {
				k = randomNode(r, depth-1)
			}
			_ = i
			n.Content = append(n.Content, k, randomNode(r, depth-1))
		} else {
			n.Content = append(n.Content, randomNode(r, depth-1))
		}
	}
	if kind == yaml.MappingNode && r.Intn(30) == 0 {
		n.Content = append(n.Content, randomScalar(r)) // a key without a value
	}
	return n
}

// safeEmit is emit, its panic returned.
func safeEmit(n *yaml.Node) (out []byte, ok bool, panicked any) {
	defer func() {
		if p := recover(); p != nil {
			panicked = p
		}
	}()
	out, ok = emit(n)
	return
}

// safeV3 is what yaml.v3 writes for n, its panic an error.
func safeV3(n *yaml.Node) (out []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return encodeYAMLv3(n)
}

func TestEmitMatchesYAMLv3OnRandomTrees(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	okCount, fails := 0, 0
	seen := map[string]bool{}
	for i := 0; i < 60000 && fails < 10; i++ {
		root := randomNode(r, 4)
		if root.Kind != yaml.MappingNode {
			root = &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{str("Root"), root}}
		}
		if r.Intn(2) == 0 {
			root.Style, root.Tag = 0, ""
		}
		got, ok, p := safeEmit(root)
		if p != nil {
			key := fmt.Sprint(p)
			if !seen[key] {
				seen[key] = true
				fails++
				v3, err := safeV3(root)
				t.Errorf("emit panics: %v\ntree: %s\nyaml.v3 (err %v):\n%s", p, dumpNode(root), err, v3)
			}
			continue
		}
		if !ok {
			continue
		}
		okCount++
		want, err := safeV3(root)
		if err != nil || !bytes.Equal(got, want) {
			fails++
			t.Errorf("tree: %s\nemit:\n%s\nyaml.v3 (err %v):\n%s", dumpNode(root), got, err, want)
		}
	}
	t.Logf("%d trees emit wrote", okCount)
}

func dumpNode(n *yaml.Node) string {
	var b strings.Builder
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		switch n.Kind {
		case yaml.ScalarNode:
			fmt.Fprintf(&b, "S(%q,%q,%d)", n.Tag, n.Value, n.Style)
		default:
			fmt.Fprintf(&b, "K%d(%q,%d)[", n.Kind, n.Tag, n.Style)
			for i, c := range n.Content {
				if i > 0 {
					b.WriteString(" ")
				}
				walk(c)
			}
			b.WriteString("]")
		}
	}
	walk(n)
	return b.String()
}
