package cfn

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// Ref is !Ref NAME.
type Ref string

func (r Ref) yamlNode() (*yaml.Node, error) { return tagged("!Ref", string(r)), nil }

// GetAtt is !GetAtt RESOURCE.ATTRIBUTE.
type GetAtt string

func (g GetAtt) yamlNode() (*yaml.Node, error) { return tagged("!GetAtt", string(g)), nil }

// Sub is !Sub 'string with ${Vars}'.
type Sub string

// yamlNode renders the short form; a multi-line string becomes a literal block.
func (s Sub) yamlNode() (*yaml.Node, error) {
	n := tagged("!Sub", string(s))
	if len(s) > 0 && s[len(s)-1] == '\n' {
		n.Style = yaml.LiteralStyle
	}
	return n, nil
}

// Fn is any other intrinsic in its short form, !NAME [args...].
type Fn struct {
	Name string
	Args []any
}

// yamlNode renders a tagged sequence (or a tagged scalar for a single string).
func (f Fn) yamlNode() (*yaml.Node, error) {
	if len(f.Args) == 1 {
		if s, ok := f.Args[0].(string); ok {
			return tagged("!"+f.Name, s), nil
		}
	}
	seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!" + f.Name, Style: yaml.FlowStyle}
	for _, a := range f.Args {
		n, err := node(a)
		if err != nil {
			return nil, err
		}
		seq.Content = append(seq.Content, n)
	}
	return seq, nil
}

// NoValue removes a property when used as its value.
const NoValue = Ref("AWS::NoValue")

// Select is !Select [index, list].
func Select(index int, list any) Fn { return Fn{"Select", []any{index, list}} }

// GetAZs is !GetAZs ” (the zones of the stack's region).
func GetAZs() Fn { return Fn{"GetAZs", []any{""}} }

// If is !If [condition, then, else].
func If(cond string, then, els any) Fn { return Fn{"If", []any{cond, then, els}} }

// Equals is !Equals [a, b].
func Equals(a, b any) Fn { return Fn{"Equals", []any{a, b}} }

// Or is !Or [conds...]; CloudFormation takes 2 to 10.
func Or(conds ...any) Fn { return Fn{"Or", conds} }

// FindInMap is !FindInMap [map, key, second key].
func FindInMap(mapName string, key, second any) Fn {
	return Fn{"FindInMap", []any{mapName, key, second}}
}

// Not is !Not [cond].
func Not(cond any) Fn { return Fn{"Not", []any{cond}} }

// Split is !Split [sep, text].
func Split(sep string, text any) Fn { return Fn{"Split", []any{sep, text}} }

// Join is !Join [sep, list].
func Join(sep string, list any) Fn { return Fn{"Join", []any{sep, list}} }

// Base64 is the long form Fn::Base64: the short tag cannot carry a tagged scalar such
// as !Sub, since a YAML node has one tag.
type Base64 struct{ Value any }

func (b Base64) yamlNode() (*yaml.Node, error) {
	v, err := node(b.Value)
	if err != nil {
		return nil, err
	}
	return &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{{Kind: yaml.ScalarNode, Value: "Fn::Base64"}, v}}, nil
}

func tagged(tag, value string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: value}
	if value == "" {
		n.Style = yaml.SingleQuotedStyle
	}
	return n
}

// Text is a string from the user that CloudFormation must pass on as written. Outside
// Fn::Sub, CloudFormation leaves "${Name}" alone, but cfn-lint takes it for a forgotten
// !Sub (E1029). So text holding "${" is split with Fn::Join into parts none of which
// holds it: CloudFormation joins them back into exactly the text.
type Text string

func (t Text) yamlNode() (*yaml.Node, error) {
	s := string(t)
	if !strings.Contains(s, "${") {
		return str(s), nil
	}
	split := strings.Split(s, "${")
	parts := make([]any, len(split))
	for i, p := range split {
		if i > 0 {
			p = "{" + p
		}
		if i < len(split)-1 {
			p += "$"
		}
		parts[i] = p
	}
	return Join("", parts).yamlNode()
}
