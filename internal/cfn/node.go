package cfn

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
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
		return scalar("!!str", x), nil
	case int:
		return scalar("!!int", strconv.Itoa(x)), nil
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
			n.Content = append(n.Content, scalar("!!str", k), c)
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
		n.Content = append(n.Content, scalar("!!str", name), c)
	}
	return n, nil
}
