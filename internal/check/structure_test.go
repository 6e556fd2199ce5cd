package check

import (
	"encoding/json"
	"strings"
	"testing"
)

// berth check refuses, as a failing result of BERTH011 at the line, what CloudFormation
// refuses or leaves undefined in a template's form: a key twice in one mapping (at any
// level: template-formats.html calls duplicate sections undefined behaviour, and
// resources-section-structure.html wants logical IDs unique), YAML aliases, hash
// merges and the binary, omap, pairs, set and timestamp tags (template-formats.html:
// not supported), a key that is not text, a Resources section or a resource that is
// not a mapping, a resource without a Type or with a logical ID that is not
// alphanumeric (resources-section-structure.html).
func TestTheFormCloudFormationRefuses(t *testing.T) {
	const topic = "    Type: AWS::SNS::Topic\n"
	for _, tc := range []struct {
		name, src string
		line      int
		resource  string
		reason    string
	}{
		{"resource twice", "Resources:\n  A:\n" + topic + "  A:\n    Type: AWS::SQS::Queue\n", 4, "A", "A is set twice in this mapping (first at line 2)"},
		{"property twice", "Resources:\n  A:\n" + topic + "    Properties:\n      TopicName: a\n      TopicName: b\n", 6, "A", "TopicName is set twice in this mapping (first at line 5)"},
		{"deep key twice", "Resources:\n  A:\n" + topic + "    Properties:\n      Tags:\n        - {Key: k, Key: v}\n", 6, "A", "Key is set twice in this mapping (first at line 6)"},
		{"section twice", "Resources:\n  A:\n" + topic + "Outputs: {}\nResources:\n  B:\n" + topic, 5, "Resources", "Resources is set twice in this mapping (first at line 1)"},
		{"json key twice", `{"Resources": {"A": {"Type": "AWS::SNS::Topic", "Type": "AWS::SQS::Queue"}}}`, 1, "A", "Type is set twice in this mapping"},
		{"alias", "Resources:\n  A:\n" + topic + "    Properties:\n      Tags: &t [{Key: k, Value: v}]\n  B:\n" + topic + "    Properties:\n      Tags: *t\n", 9, "B",
			"the YAML alias *t: CloudFormation does not accept aliases"},
		{"alias as a key", "Metadata:\n  x: &k Name\nResources:\n  A:\n" + topic + "    Properties:\n      *k : a\n", 7, "A", "the YAML alias *k as a key"},
		{"hash merge", "Resources:\n  A:\n" + topic + "    Properties: &p\n      TopicName: a\n  B:\n" + topic + "    Properties:\n      <<: *p\n", 9, "B", "a hash merge (<<): CloudFormation does not accept hash merges"},
		{"set tag", "Resources:\n  A:\n" + topic + "    Properties:\n      TopicName: !!binary aGVsbG8=\n", 5, "A", "the YAML tag !!binary: CloudFormation does not accept the binary, omap, pairs, set and timestamp tags"},
		{"key not text", "Resources:\n  A:\n" + topic + "    Properties:\n      ? [a, b]\n      : c\n", 5, "A", "a key that is a list: CloudFormation keys are text"},
		{"resources a list", "Resources:\n  - A\n  - B\n", 2, "Resources", "Resources is a list, not a mapping of logical IDs to resources"},
		{"resource text", "Resources:\n  A:\n" + topic + "  B: AWS::SQS::Queue\n", 4, "B", `the resource B is the text "AWS::SQS::Queue", not a mapping with a Type`},
		{"no type", "Resources:\n  A:\n    Properties: {}\n", 2, "A", "the resource A has no Type"},
		{"logical id", "Resources:\n  my-topic:\n" + topic, 2, "my-topic", `the logical ID "my-topic" is not alphanumeric (A-Za-z0-9)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs, err := Template("t.yml", []byte(tc.src))
			if err != nil {
				t.Fatal(err)
			}
			var found bool
			for _, r := range rs {
				if r.Rule == "BERTH011" && r.Status == Fail && strings.Contains(r.Reason, tc.reason) {
					found = true
					if r.Line != tc.line || r.Resource != tc.resource {
						t.Errorf("at %s line %d, want %s line %d: %s", r.Resource, r.Line, tc.resource, tc.line, r.Reason)
					}
					if b, _ := json.Marshal(r); !strings.Contains(string(b), `"rule":"BERTH011"`) || !strings.Contains(string(b), `"status":"fail"`) {
						t.Errorf("json %s", b)
					}
				}
			}
			if !found {
				t.Errorf("no BERTH011 failure %q in %+v", tc.reason, rs)
			}
			if Failed(rs) == 0 {
				t.Error("nothing fails: berth check would exit 0")
			}
		})
	}
}

// A template of the right form passes BERTH011 on each resource.
func TestTheFormPasses(t *testing.T) {
	rs, err := Template("t.yml", []byte("Resources:\n  A:\n    Type: AWS::SNS::Topic\n  B:\n    Type: AWS::SQS::Queue\n    Properties: {QueueName: q}\n"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range rs {
		if r.Rule == "BERTH011" {
			n++
			if r.Status != Pass || r.Line == 0 {
				t.Errorf("%+v", r)
			}
		}
	}
	if n != 2 {
		t.Errorf("%d BERTH011 results, want one a resource", n)
	}
}
