package cfn

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Doc is a template read back as plain values: maps, lists, strings, numbers and bools,
// with every short-form intrinsic turned into its long form ({"Ref": "X"},
// {"Fn::GetAtt": ["A", "B"]}, ...). JSON templates parse too, since JSON is YAML.
type Doc struct {
	Resources map[string]ParsedResource
	Lines     map[string]int // resource name -> line of its key
	Order     []string       // resource names as they appear
	Metadata  map[string]any // the template's Metadata section
	// Conditions and Parameters are those sections as plain values.
	Conditions, Parameters map[string]any
}

// ParsedResource is one resource of a parsed template.
type ParsedResource struct {
	Type       string
	Properties map[string]any
}

// Parse reads a template in YAML or JSON.
func Parse(data []byte) (*Doc, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, err
	}
	if len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("not a CloudFormation template: the document is not a mapping")
	}
	doc := &Doc{Resources: map[string]ParsedResource{}, Lines: map[string]int{}}
	top := root.Content[0]
	for i := 0; i+1 < len(top.Content); i += 2 {
		if sect := top.Content[i].Value; sect == "Metadata" || sect == "Conditions" || sect == "Parameters" {
			v, err := plain(top.Content[i+1])
			if err != nil {
				return nil, err
			}
			m, _ := v.(map[string]any)
			switch sect {
			case "Metadata":
				doc.Metadata = m
			case "Conditions":
				doc.Conditions = m
			default:
				doc.Parameters = m
			}
			continue
		}
		if top.Content[i].Value != "Resources" {
			continue
		}
		res := top.Content[i+1]
		if res.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("line %d: Resources is not a mapping", res.Line)
		}
		for j := 0; j+1 < len(res.Content); j += 2 {
			name := res.Content[j].Value
			v, err := plain(res.Content[j+1])
			if err != nil {
				return nil, err
			}
			body, _ := v.(map[string]any)
			r := ParsedResource{}
			r.Type, _ = body["Type"].(string)
			r.Properties, _ = body["Properties"].(map[string]any)
			if r.Properties == nil {
				r.Properties = map[string]any{}
			}
			doc.Resources[name] = r
			doc.Lines[name] = res.Content[j].Line
			doc.Order = append(doc.Order, name)
		}
	}
	if len(doc.Order) == 0 {
		return nil, fmt.Errorf("not a CloudFormation template: no Resources")
	}
	return doc, nil
}

func plain(n *yaml.Node) (any, error) {
	v, err := plainUntagged(n)
	if err != nil || !strings.HasPrefix(n.Tag, "!") || strings.HasPrefix(n.Tag, "!!") {
		return v, err
	}
	name := n.Tag[1:]
	switch name {
	case "Ref", "Condition":
		return map[string]any{name: v}, nil
	case "GetAtt":
		if s, ok := v.(string); ok {
			parts := strings.SplitN(s, ".", 2)
			list := make([]any, len(parts))
			for i, p := range parts {
				list[i] = p
			}
			return map[string]any{"Fn::GetAtt": list}, nil
		}
	}
	return map[string]any{"Fn::" + name: v}, nil
}

func plainUntagged(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.AliasNode:
		return plain(n.Alias)
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			v, err := plain(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[n.Content[i].Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		list := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := plain(c)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		return list, nil
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!int":
			if i, err := strconv.ParseInt(n.Value, 0, 64); err == nil {
				return int(i), nil
			}
		case "!!bool":
			return strings.EqualFold(n.Value, "true"), nil
		case "!!null":
			return nil, nil
		case "!!float":
			if f, err := strconv.ParseFloat(n.Value, 64); err == nil {
				return f, nil
			}
		}
		return n.Value, nil
	}
	return nil, fmt.Errorf("line %d: unexpected YAML node", n.Line)
}
