package cfn

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"go.yaml.in/yaml/v3"
)

// yamlv3 is the text yaml.v3's encoder writes for n, which emit must write too.
func yamlv3(t testing.TB, n *yaml.Node) []byte {
	t.Helper()
	out, err := safeV3(n)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Every template berth writes, every variant of internal/synth's goldens, is written
// by emit (not by the fallback to yaml.v3), to the byte as yaml.v3 writes it.
func TestEmitWritesWhatYAMLv3Writes(t *testing.T) {
	goldens, _ := filepath.Glob("../synth/testdata/*/*.yml")
	if len(goldens) < 20 {
		t.Fatalf("%d golden templates found, want internal/synth's", len(goldens))
	}
	for _, g := range goldens {
		if filepath.Base(g) == "berth.yml" {
			continue
		}
		text, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(text, &doc); err != nil {
			t.Fatalf("%s: %v", g, err)
		}
		root := doc.Content[0]
		got, ok := emit(root)
		if !ok {
			t.Errorf("%s: emit left it to yaml.v3", g)
			continue
		}
		if want := yamlv3(t, root); !bytes.Equal(got, want) {
			t.Errorf("%s: emit and yaml.v3 differ:\n%s", g, firstDifference(got, want))
		}
		if !bytes.Equal(got, text) {
			t.Errorf("%s: emit does not write the golden back:\n%s", g, firstDifference(got, text))
		}
	}
}

func firstDifference(a, b []byte) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	from := max(0, i-80)
	return "emit:   ..." + string(a[from:min(len(a), i+40)]) + "\nyaml.v3: ..." + string(b[from:min(len(b), i+40)])
}

// fuzzTrees put s and k where the template's strings go, one place a tree (a tree
// that emit leaves to yaml.v3 checks nothing): a key and a value (as str makes them,
// and untagged), list items, a literal block, a tagged scalar, the short form of an
// intrinsic with a flow mapping in it, and Fn::Base64.
func fuzzTrees(s, k string) []*yaml.Node {
	bare := func(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: v} }
	doc := func(pairs ...*yaml.Node) *yaml.Node {
		return &yaml.Node{Kind: yaml.MappingNode, Content: append(pairs, str("Last"), str("x"))}
	}
	var m Map
	m.Set(k, s)
	inner, _ := m.yamlNode()
	flowMap := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{str(k), str(s), bare(k), bare(s)}}
	fn, _ := Fn{"If", []any{k, s, []any{s, Ref(s)}}}.yamlNode()
	fn.Content = append(fn.Content, flowMap, tagged("!Ref", s))
	sub, _ := Sub(s).yamlNode()
	b64, _ := Base64{Sub(s)}.yamlNode()
	list := func(items ...*yaml.Node) *yaml.Node { return &yaml.Node{Kind: yaml.SequenceNode, Content: items} }
	return []*yaml.Node{
		doc(str(k), str(s)),
		doc(bare(k), bare(s)),
		doc(str("Inner"), inner),
		doc(str("List"), list(str(s), bare(s), inner, list(str(k), str(s)), sub)),
		doc(str("Sub"), sub),
		doc(str("Fn"), fn),
		doc(str("B64"), b64),
		doc(str("Empty"), &yaml.Node{Kind: yaml.MappingNode}, str("Tagged"), tagged("!GetAtt", s)),
		{Kind: yaml.MappingNode, Content: []*yaml.Node{str(k), str(s)}}, // the document ends with s
	}
}

// Whatever strings a manifest brings, emit writes what yaml.v3 writes, or leaves it
// to yaml.v3.
func FuzzEmitWritesWhatYAMLv3Writes(f *testing.F) {
	for _, s := range trickyStrings {
		f.Add(s, "Key")
	}
	for _, s := range []string{"a: b", "a:b", "a #b", "a#b", "-a", "- a", "?x", "? x", ":x", "x:", "--- x", "... x",
		"a\nb", "a\nb\n", "a\n\nb\n", "a \nb", "a\n b", " a\nb", "a\nb\n\n", "it's", `say "hi"`, `back\slash`,
		"[x]", "x,y", "{x}", "!x", "&x", "*x", "|x", ">x", "%x", "@x", "`x", "#x", "x #", "a  b"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, s, k string) {
		for i, n := range fuzzTrees(s, k) {
			got, ok := emit(n)
			if !ok {
				continue
			}
			if want := yamlv3(t, n); !bytes.Equal(got, want) {
				t.Errorf("tree %d, s=%q k=%q: emit and yaml.v3 differ:\n%s", i, s, k, firstDifference(got, want))
			}
		}
	})
}
