package cfn

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
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
	// Problems are what CloudFormation refuses in the template's form (form): a key
	// twice, a YAML alias, a resource that is not a mapping, ... A template with
	// problems still parses as far as it can, so that they can be reported as findings.
	Problems []Problem
}

// ParsedResource is one resource of a parsed template.
type ParsedResource struct {
	Type       string
	Properties map[string]any
	// Condition names the condition the resource is made under, if any.
	Condition string
}

// MaxTemplateSize is the largest template Parse reads: CloudFormation takes at most
// 1 MB from S3 (51,200 bytes inline), so nothing larger is a template.
const MaxTemplateSize = 1 << 20

// MaxAliasValues bounds the values YAML aliases may add to a template. Each alias is
// expanded where it is used, so without a bound a few hundred bytes of nested aliases
// ("billion laughs") expand to billions of values; real templates reuse a handful.
const MaxAliasValues = 250_000

// Parse reads a template in YAML or JSON. Time and memory are bounded by
// MaxTemplateSize and MaxAliasValues, whatever the input.
func Parse(data []byte) (*Doc, error) {
	if len(data) > MaxTemplateSize {
		return nil, fmt.Errorf("the template is larger than %d KiB (CloudFormation's limit is 1 MB)", MaxTemplateSize>>10)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, err
	}
	if len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("not a CloudFormation template: the document is not a mapping")
	}
	top := root.Content[0]
	doc := &Doc{Resources: map[string]ParsedResource{}, Lines: map[string]int{}, Problems: form(top)}
	r := &reader{}
	for i := 0; i+1 < len(top.Content); i += 2 {
		if sect := top.Content[i].Value; sect == "Metadata" || sect == "Conditions" || sect == "Parameters" {
			v, err := r.plain(top.Content[i+1])
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
			continue // a problem of the form
		}
		for j := 0; j+1 < len(res.Content); j += 2 {
			name := res.Content[j].Value
			v, err := r.plain(res.Content[j+1])
			if err != nil {
				return nil, err
			}
			body, _ := v.(map[string]any)
			pr := ParsedResource{}
			pr.Type, _ = body["Type"].(string)
			pr.Condition, _ = body["Condition"].(string)
			pr.Properties, _ = body["Properties"].(map[string]any)
			if pr.Properties == nil {
				pr.Properties = map[string]any{}
			}
			// a resource twice (a problem of the form) is read as its last occurrence
			if _, twice := doc.Resources[name]; !twice {
				doc.Order = append(doc.Order, name)
			}
			doc.Resources[name] = pr
			doc.Lines[name] = res.Content[j].Line
		}
	}
	if len(doc.Order) == 0 && len(doc.Problems) == 0 {
		return nil, fmt.Errorf("not a CloudFormation template: no Resources")
	}
	return doc, nil
}

// reader turns YAML nodes into plain values, counting what aliases add.
type reader struct {
	inAlias   int                // aliases being expanded around the current node
	aliased   int                // values made while expanding aliases
	expanding map[*yaml.Node]int // anchored nodes being expanded, to refuse cycles
}

func (r *reader) plain(n *yaml.Node) (any, error) {
	if r.inAlias > 0 {
		if r.aliased++; r.aliased > MaxAliasValues {
			return nil, fmt.Errorf("line %d: YAML aliases expand the template past %d values; a template cannot need that many (a \"billion laughs\" expansion?)", n.Line, MaxAliasValues)
		}
	}
	v, err := r.plainUntagged(n)
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

func (r *reader) plainUntagged(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.AliasNode:
		if r.expanding == nil {
			r.expanding = map[*yaml.Node]int{}
		}
		if r.expanding[n.Alias] > 0 {
			return nil, fmt.Errorf("line %d: the alias *%s refers to a value that contains it", n.Line, n.Value)
		}
		r.inAlias++
		r.expanding[n.Alias]++
		defer func() { r.inAlias--; r.expanding[n.Alias]-- }()
		return r.plain(n.Alias)
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			v, err := r.plain(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[n.Content[i].Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		list := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := r.plain(c)
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
