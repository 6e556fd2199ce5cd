package cfn

import (
	"fmt"
	"strings"
	"testing"
)

// billionLaughs is a template of a few hundred bytes whose aliases, expanded where they
// are used, hold 9^levels strings.
func billionLaughs(levels int) string {
	var b strings.Builder
	b.WriteString("Resources:\n  R:\n    Type: AWS::SNS::Topic\n    Properties:\n      l0: &l0 [x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < levels; i++ {
		p := fmt.Sprintf("*l%d", i-1)
		fmt.Fprintf(&b, "      l%d: &l%d [%s]\n", i, i, strings.Repeat(p+", ", 8)+p)
	}
	return b.String()
}

// Issue 10, case 2: a 538-byte template took 3 GB and 11 s; aliases now add at most
// MaxAliasValues values.
func TestParseBoundsAliasExpansion(t *testing.T) {
	_, err := Parse([]byte(billionLaughs(9)))
	if err == nil || !strings.Contains(err.Error(), "YAML aliases expand the template past 250000 values") {
		t.Errorf("err %v", err)
	}
}

func TestParseRefusesCyclicAliases(t *testing.T) {
	_, err := Parse([]byte("Resources:\n  R:\n    Type: T\n    Properties: &a\n      X: [*a]\n"))
	if err == nil || !strings.Contains(err.Error(), "line 5: the alias *a refers to a value that contains it") {
		t.Errorf("err %v", err)
	}
}

func TestParseRefusesOversizedTemplates(t *testing.T) {
	data := "Resources:\n  R:\n    Type: T\n#" + strings.Repeat("x", MaxTemplateSize) + "\n"
	if _, err := Parse([]byte(data)); err == nil || !strings.Contains(err.Error(), "larger than 1024 KiB") {
		t.Errorf("err %v", err)
	}
}

// Aliases within the budget still read as the values they name.
func TestParseExpandsOrdinaryAliases(t *testing.T) {
	doc, err := Parse([]byte("Resources:\n  A:\n    Type: T\n    Properties:\n      Tags: &tags [{Key: k, Value: v}]\n  B:\n    Type: T\n    Properties:\n      Tags: *tags\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(doc.Resources["B"].Properties["Tags"]); got != "[map[Key:k Value:v]]" {
		t.Errorf("B's tags %s", got)
	}
	if _, err := Parse([]byte(billionLaughs(5))); err != nil { // 9^5 = 59049 values
		t.Errorf("a template within the budget: %v", err)
	}
}
