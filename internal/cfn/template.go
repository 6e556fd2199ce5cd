// Package cfn is a small model of a CloudFormation template: typed sections, resources
// and intrinsic functions that marshal to readable YAML with short-form tags (!Ref,
// !Sub, ...), and a parser that reads any template back into plain values.
//
// It imports nothing of berth's: every other package may use it.
package cfn

import (
	"bytes"
	"fmt"

	"go.yaml.in/yaml/v3"
)

// Template is one CloudFormation template. Sections keep the order in which entries are
// added, so the YAML reads in the order the synthesizer builds the system.
type Template struct {
	Transform   string // e.g. AWS::Serverless-2016-10-31
	Description string
	Metadata    Map
	Parameters  Map
	Mappings    Map
	Conditions  Map
	Resources   Map
	Outputs     Map
}

// Resource is one entry of the Resources section.
type Resource struct {
	Type                string         `yaml:"Type"`
	Condition           string         `yaml:"Condition,omitempty"`
	DependsOn           []string       `yaml:"DependsOn,omitempty"`
	DeletionPolicy      string         `yaml:"DeletionPolicy,omitempty"`
	UpdateReplacePolicy string         `yaml:"UpdateReplacePolicy,omitempty"`
	UpdatePolicy        map[string]any `yaml:"UpdatePolicy,omitempty"`
	Properties          map[string]any `yaml:"Properties,omitempty"`
}

// Parameter is one entry of the Parameters section.
type Parameter struct {
	Type                  string   `yaml:"Type"`
	Description           string   `yaml:"Description,omitempty"`
	Default               any      `yaml:"Default,omitempty"`
	AllowedValues         []string `yaml:"AllowedValues,omitempty"`
	AllowedPattern        string   `yaml:"AllowedPattern,omitempty"`
	MaxLength             *int     `yaml:"MaxLength,omitempty"`
	ConstraintDescription string   `yaml:"ConstraintDescription,omitempty"`
	MinValue              *int     `yaml:"MinValue,omitempty"`
	MaxValue              *int     `yaml:"MaxValue,omitempty"`
}

// Output is one entry of the Outputs section.
type Output struct {
	Description string `yaml:"Description,omitempty"`
	Condition   string `yaml:"Condition,omitempty"`
	Value       any    `yaml:"Value"`
}

// Int returns a pointer for the optional integer fields of Parameter.
func Int(v int) *int { return &v }

// Tags renders key/value pairs as a resource's Tags list.
func Tags(kv ...any) []any {
	var out []any
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, map[string]any{"Key": kv[i], "Value": kv[i+1]})
	}
	return out
}

// AWSManagedPolicy is the ARN of the AWS managed policy name (such as
// service-role/AmazonECSTaskExecutionRolePolicy) in the stack's partition.
func AWSManagedPolicy(name string) Sub {
	return Sub("arn:${AWS::Partition}:iam::aws:policy/" + name)
}

// Map is an ordered mapping.
type Map struct {
	keys []string
	vals map[string]any
}

// Set adds or replaces key; a new key goes last.
func (m *Map) Set(key string, v any) {
	if m.vals == nil {
		m.vals = map[string]any{}
	}
	if _, ok := m.vals[key]; !ok {
		m.keys = append(m.keys, key)
	}
	m.vals[key] = v
}

// Get returns the value of key.
func (m *Map) Get(key string) (any, bool) {
	v, ok := m.vals[key]
	return v, ok
}

// Keys returns the keys in order.
func (m *Map) Keys() []string { return append([]string(nil), m.keys...) }

// Len is the number of entries.
func (m *Map) Len() int { return len(m.keys) }

// yamlNode keeps the insertion order.
func (m Map) yamlNode() (*yaml.Node, error) {
	n := &yaml.Node{Kind: yaml.MappingNode}
	for _, k := range m.keys {
		v, err := node(m.vals[k])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		n.Content = append(n.Content, str(k), v)
	}
	return n, nil
}

// Marshal renders the template as YAML, indented by two spaces.
func (t *Template) Marshal() ([]byte, error) {
	doc := Map{}
	doc.Set("AWSTemplateFormatVersion", "2010-09-09")
	if t.Transform != "" {
		doc.Set("Transform", t.Transform)
	}
	doc.Set("Description", t.Description)
	for _, s := range []struct {
		name string
		m    Map
	}{{"Metadata", t.Metadata}, {"Parameters", t.Parameters}, {"Mappings", t.Mappings}, {"Conditions", t.Conditions}, {"Resources", t.Resources}, {"Outputs", t.Outputs}} {
		if s.m.Len() > 0 {
			doc.Set(s.name, s.m)
		}
	}
	root, err := doc.yamlNode()
	if err != nil {
		return nil, err
	}
	// every template berth writes goes through here: characters that would make it read
	// differently than it is are written as escapes
	quoteHidden(root)
	out, ok := emit(root)
	if !ok {
		if out, err = encodeYAMLv3(root); err != nil {
			return nil, err
		}
	}
	return escapeHidden(out), nil
}

// encodeYAMLv3 is the text yaml.v3's encoder writes for n, indented by two spaces: what
// emit stands in for, and what writes the trees it leaves.
func encodeYAMLv3(n *yaml.Node) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
