// Package cfntest reads templates back as CloudFormation does, for tests of what berth
// writes. CloudFormation parses YAML 1.1, where a plain yes is a boolean and 0777 a
// number; yaml.v3 resolves by YAML 1.2 and cannot see the difference.
package cfntest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The implicit types of a plain scalar in YAML 1.1: PyYAML's resolver (the reader of
// cfn-lint and moto), plus the y/Y/n/N booleans of the 1.1 type repository
// (yaml.org/type/bool.html), which PyYAML leaves out and other readers do not.
var resolvers = []struct {
	tag string
	re  *regexp.Regexp
}{
	{"bool", regexp.MustCompile(`^(?:y|Y|n|N|yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$`)},
	{"float", regexp.MustCompile(`^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$`)},
	{"int", regexp.MustCompile(`^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$`)},
	{"merge", regexp.MustCompile(`^<<$`)},
	{"null", regexp.MustCompile(`^(?:~|null|Null|NULL|)$`)},
	{"timestamp", regexp.MustCompile(`^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)$`)},
	{"value", regexp.MustCompile(`^=$`)},
}

// Resolve11 is the type a YAML 1.1 reader gives a plain (unquoted, untagged) scalar:
// "str", or bool, float, int, merge, null, timestamp or value.
func Resolve11(plain string) string {
	// as PyYAML does, only scalars starting like some implicit type are matched
	if plain != "" && !strings.ContainsRune("yYnNtTfFoO-+0123456789.<~=", rune(plain[0])) {
		return "str"
	}
	for _, r := range resolvers {
		if r.re.MatchString(plain) {
			return r.tag
		}
	}
	return "str"
}

// NotString is a scalar a YAML 1.1 reader does not read as a string.
type NotString struct {
	Tag  string // bool, int, float, null, ...
	Text string
}

// Load reads a template as a YAML 1.1 reader would: plain scalars typed by Resolve11
// (a non-string becomes a NotString, numbers included), quoted and block scalars as
// strings, short-form intrinsics in their long form ({"Fn::Join": [...]}). It fails on
// a scalar that YAML 1.1 and 1.2 read differently: a plain scalar whose type differs
// (yes, 0o17), or NEL, LS or PS outside double quotes (line breaks in 1.1 only).
func Load(data []byte) (map[string]any, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, err
	}
	if len(root.Content) != 1 {
		return nil, fmt.Errorf("%d documents, want 1", len(root.Content))
	}
	v, err := value(root.Content[0])
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("the template is %T, not a mapping", v)
	}
	return m, nil
}

func value(n *yaml.Node) (any, error) {
	v, err := untagged(n)
	if err != nil || n.Style&yaml.TaggedStyle == 0 || strings.HasPrefix(n.Tag, "!!") {
		return v, err
	}
	switch name := strings.TrimPrefix(n.Tag, "!"); name {
	case "Ref", "Condition":
		return map[string]any{name: v}, nil
	case "GetAtt":
		if s, ok := v.(string); ok {
			a, b, _ := strings.Cut(s, ".")
			return map[string]any{"Fn::GetAtt": []any{a, b}}, nil
		}
		return map[string]any{"Fn::GetAtt": v}, nil
	default:
		return map[string]any{"Fn::" + name: v}, nil
	}
}

func untagged(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, err := value(n.Content[i])
			if err != nil {
				return nil, err
			}
			key, ok := k.(string)
			if !ok {
				return nil, fmt.Errorf("line %d: key %q reads as %v, not a string", n.Content[i].Line, n.Content[i].Value, k)
			}
			if _, dup := m[key]; dup {
				return nil, fmt.Errorf("line %d: key %q twice", n.Content[i].Line, key)
			}
			if m[key], err = value(n.Content[i+1]); err != nil {
				return nil, err
			}
		}
		return m, nil
	case yaml.SequenceNode:
		list := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := value(c)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		return list, nil
	case yaml.ScalarNode:
		if n.Style&yaml.DoubleQuotedStyle == 0 && strings.ContainsAny(n.Value, "\u0085\u2028\u2029") {
			return nil, fmt.Errorf("line %d: %q holds a character YAML 1.1 reads as a line break and YAML 1.2 does not", n.Line, n.Value)
		}
		quoted := n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0
		if quoted || n.Style&yaml.TaggedStyle != 0 {
			if n.Tag != "" && strings.HasPrefix(n.Tag, "!!") && n.Tag != "!!str" {
				return NotString{strings.TrimPrefix(n.Tag, "!!"), n.Value}, nil
			}
			return n.Value, nil
		}
		// yaml.v3 has resolved the plain scalar by YAML 1.2; both must agree
		tag := Resolve11(n.Value)
		if v12 := strings.TrimPrefix(n.Tag, "!!"); v12 != tag {
			return nil, fmt.Errorf("line %d: %q is a %s in YAML 1.1 and a %s in YAML 1.2", n.Line, n.Value, tag, v12)
		}
		if tag != "str" {
			return NotString{tag, n.Value}, nil
		}
		return n.Value, nil
	}
	return nil, fmt.Errorf("line %d: unexpected YAML node (alias or anchor)", n.Line)
}

// Text is the string a value read by Load passes to a resource: a string as is, and the
// Fn::Join of strings that berth writes for text CloudFormation must not substitute.
// ok is false for anything else.
func Text(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case map[string]any:
		args, _ := x["Fn::Join"].([]any)
		if len(x) != 1 || len(args) != 2 {
			return "", false
		}
		sep, ok := args[0].(string)
		parts, _ := args[1].([]any)
		if !ok || parts == nil {
			return "", false
		}
		out := make([]string, len(parts))
		for i, p := range parts {
			if out[i], ok = p.(string); !ok {
				return "", false
			}
		}
		return strings.Join(out, sep), true
	}
	return "", false
}

// pyYAML loads YAML documents with PyYAML's SafeLoader, short-form intrinsics read as
// their long form, and prints each as JSON (non-JSON values such as dates as strings).
const pyYAML = `
import json, sys, yaml

class Loader(yaml.SafeLoader):
    pass

def intrinsic(loader, suffix, node):
    name = suffix if suffix in ("Ref", "Condition") else "Fn::" + suffix
    if isinstance(node, yaml.ScalarNode):
        v = loader.construct_scalar(node)
        if suffix == "GetAtt":
            v = v.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        v = loader.construct_sequence(node, deep=True)
    else:
        v = loader.construct_mapping(node, deep=True)
    return {name: v}

Loader.add_multi_constructor("!", intrinsic)
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        print(json.dumps(yaml.load(f, Loader=Loader), default=str))
`

// PyYAML reads each file with PyYAML, the YAML 1.1 reader of cfn-lint and moto, and
// returns the documents as JSON values; ok is false when python3 with PyYAML is absent.
func PyYAML(files ...string) (docs []any, ok bool, err error) {
	if _, err := exec.LookPath("python3"); err != nil {
		return nil, false, nil
	}
	if exec.Command("python3", "-c", "import yaml").Run() != nil {
		return nil, false, nil
	}
	var stderr bytes.Buffer
	cmd := exec.Command("python3", append([]string{"-c", pyYAML}, files...)...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, true, fmt.Errorf("PyYAML: %v: %s", err, stderr.Bytes())
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	for range files {
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, true, fmt.Errorf("PyYAML output: %w", err)
		}
		docs = append(docs, v)
	}
	return docs, true, nil
}
