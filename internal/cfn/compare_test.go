package cfn

import (
	"fmt"
	"strings"
	"testing"
)

func mustParse(t *testing.T, text string) *Doc {
	t.Helper()
	d, err := Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

const stackBefore = `
Parameters:
  Port: {Type: Number, Default: 80}
  DesiredCount: {Type: String, Default: "2"}
  Cidr: {Type: String, Default: 10.0.0.0/16}
Conditions:
  HasDesiredCount: !Not [!Equals [!Ref DesiredCount, ""]]
Resources:
  VPC:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: !Ref Cidr}
  Subnet:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref VPC, CidrBlock: 10.0.0.0/18}
  TargetGroup:
    Type: AWS::ElasticLoadBalancingV2::TargetGroup
    Properties: {Port: !Ref Port, VpcId: !Ref VPC, HealthCheckPath: /}
  Listener:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Properties:
      DefaultActions: [{Type: forward, TargetGroupArn: !Ref TargetGroup}]
  Service:
    Type: AWS::ECS::Service
    Properties:
      DesiredCount: !If [HasDesiredCount, !Ref DesiredCount, !Ref 'AWS::NoValue']
      ServiceName: api
  Old:
    Type: AWS::Logs::LogGroup
`

func summary(cs []ResourceChange) string {
	var parts []string
	for _, c := range cs {
		s := c.Action + " " + c.Resource
		if c.Replaced {
			s += " (replaced)"
		}
		for _, p := range c.Properties {
			s += fmt.Sprintf(" [%s: %v -> %v]", p.Path, p.Old, p.New)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

func TestCompareResolvesParametersAndConditions(t *testing.T) {
	old := mustParse(t, stackBefore)
	// the count: 2 -> 3, a parameter change that only the resolved value shows
	got := summary(Compare(old, old, map[string]string{"DesiredCount": "2"}, map[string]string{"DesiredCount": "3"}))
	if got != "Modify Service [DesiredCount: 2 -> 3]" {
		t.Errorf("count change: %s", got)
	}
	// an empty count leaves the property out (auto scaling keeps the live one)
	got = summary(Compare(old, old, map[string]string{"DesiredCount": "2"}, map[string]string{"DesiredCount": ""}))
	if got != "Modify Service [DesiredCount: 2 -> <nil>]" {
		t.Errorf("count left out: %s", got)
	}
	if got := Compare(old, old, nil, nil); len(got) != 0 {
		t.Errorf("no change: %s", summary(got))
	}
}

// What replaces is known from the templates, even where a change set does not say.
func TestCompareKnowsReplacements(t *testing.T) {
	old := mustParse(t, stackBefore)
	got := summary(Compare(old, old, nil, map[string]string{"Port": "8080"}))
	if got != "Modify TargetGroup (replaced) [Port: 80 -> 8080]; Modify Listener" {
		t.Errorf("port change: %s", got)
	}
	// a new VPC replaces what must live in it
	got = summary(Compare(old, old, nil, map[string]string{"Cidr": "10.20.0.0/16"}))
	for _, want := range []string{"Modify VPC (replaced) [CidrBlock: 10.0.0.0/16 -> 10.20.0.0/16]", "Modify Subnet (replaced)", "Modify TargetGroup (replaced)", "Modify Listener"} {
		if !strings.Contains(got, want) {
			t.Errorf("cidr change lacks %q: %s", want, got)
		}
	}
	newer := mustParse(t, strings.Replace(strings.Replace(stackBefore, "  Old:\n    Type: AWS::Logs::LogGroup\n", "", 1), "ServiceName: api", "ServiceName: api2", 1)+
		"  New:\n    Type: AWS::Logs::LogGroup\n")
	got = summary(Compare(old, newer, nil, nil))
	if got != "Modify Service (replaced) [ServiceName: api -> api2]; Add New; Remove Old" {
		t.Errorf("add, rename, remove: %s", got)
	}
}

// A resource under a condition the parameters make false is not made: not added, and
// removed when the condition turns false (the environment's HTTPS listener, made once
// a service brings the first domain).
func TestConditionalResourcesFollowTheirCondition(t *testing.T) {
	body := []byte(`Parameters:
  Domain: {Type: String, Default: ""}
Conditions:
  HasHTTPS: !Not [!Equals [!Ref Domain, ""]]
Resources:
  Listener: {Type: AWS::ElasticLoadBalancingV2::Listener, Properties: {Port: 80}}
  HTTPSListener: {Type: AWS::ElasticLoadBalancingV2::Listener, Condition: HasHTTPS, Properties: {Port: 443}}
`)
	doc, err := Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	empty := &Doc{Resources: map[string]ParsedResource{}}
	names := func(cs []ResourceChange) string {
		var out []string
		for _, c := range cs {
			out = append(out, c.Action+" "+c.Resource)
		}
		return strings.Join(out, ", ")
	}
	if got := names(Compare(empty, doc, nil, nil)); got != "Add Listener" {
		t.Errorf("new, no domain: %s", got)
	}
	if got := names(Compare(doc, doc, nil, map[string]string{"Domain": "api.example.com"})); got != "Add HTTPSListener" {
		t.Errorf("a domain: %s", got)
	}
	if got := names(Compare(doc, doc, map[string]string{"Domain": "api.example.com"}, map[string]string{"Domain": ""})); got != "Remove HTTPSListener" {
		t.Errorf("no domain any more: %s", got)
	}
}
