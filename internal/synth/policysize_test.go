package synth

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/cfn"
	"github.com/berthdev/berth/internal/manifest"
)

func parse(t *testing.T, src string) *manifest.Manifest {
	t.Helper()
	m, err := manifest.Parse([]byte(src), filepath.Join(t.TempDir(), "berth.yml"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// renderError is Render's error, which must be a manifest error (exit 2, the line).
func renderError(t *testing.T, m *manifest.Manifest) string {
	t.Helper()
	_, err := Render(m)
	var me *manifest.Error
	if err == nil || !errors.As(err, &me) {
		t.Fatalf("Render: %v, want a manifest error", err)
	}
	return err.Error()
}

// statements is a manifest whose permissions are a managed policy and n statements
// of about 280 characters each, one a line pair from line 4.
func statements(n int) string {
	var b strings.Builder
	b.WriteString("name: a\npermissions:\n  - arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess\n")
	for i := range n {
		fmt.Fprintf(&b, "  - allow: [s3:GetObject]\n    resources: [arn:aws:s3:::bucket-%02d-%s/*]\n", i, strings.Repeat("x", 200))
	}
	return b.String()
}

var tooLarge = regexp.MustCompile(`^berth\.yml:(\d+): (\S+)\[(\d+)\]: the task role's policy is (\d+) characters with this statement; IAM takes 10240 in a role's inline policies, white space not counted: move statements to a managed policy`)

// IAM takes at most 10,240 characters in a role's inline policies, white space not
// counted (IAM and AWS STS quotas, reference_iam-quotas.html). The task role's policy
// is the permissions' statements: the error names the statement that takes it past,
// at its line, and without that statement the policy fits.
func TestTaskRolePolicyFitsIAM(t *testing.T) {
	err := renderError(t, parse(t, statements(60)))
	g := tooLarge.FindStringSubmatch(err)
	if g == nil {
		t.Fatalf("error %q", err)
	}
	line, _ := strconv.Atoi(g[1])
	index, _ := strconv.Atoi(g[3])
	size, _ := strconv.Atoi(g[4])
	if g[2] != "permissions" || index < 30 || line != 2+2*index || size <= 10240 || size > 10240+300 {
		t.Errorf("error %q: not the statement that takes the policy past 10,240 characters", err)
	}
	if _, err := Render(parse(t, statements(index-1))); err != nil {
		t.Errorf("without permissions[%d]: %v", index, err)
	}
	if err := renderError(t, parse(t, statements(index))); !strings.HasPrefix(err, g[0]) {
		t.Errorf("with permissions[%d] last: %q", index, err)
	}
}

// The execution role of a service with secrets reads each of them by ARN: enough
// parameters with long names take its policy past IAM's limit, and the error names the
// secret (in the manifest's order, not the names') that does.
func TestExecutionRolePolicyFitsIAM(t *testing.T) {
	var b strings.Builder
	b.WriteString("name: a\nsecrets:\n")
	for i := range 12 {
		fmt.Fprintf(&b, "  S%02d: ssm:/%s/%02d\n", 11-i, strings.Repeat("p", 900), i)
	}
	err := renderError(t, parse(t, b.String()))
	// each parameter adds about 960 characters: the 11th (S01, line 13) is past 10,240
	if want := "berth.yml:13: secrets.S01: the execution role's policy is 10"; !strings.HasPrefix(err, want) ||
		!strings.Contains(err, "characters with this secret; IAM takes 10240") {
		t.Errorf("error %q\nwant %q...", err, want)
	}
}

// A managed policy berth might write is held to IAM's 6,144 characters.
func TestManagedPolicyFitsIAM(t *testing.T) {
	tpl := &cfn.Template{}
	tpl.Resources.Set("Big", cfn.Resource{Type: "AWS::IAM::ManagedPolicy", Properties: map[string]any{
		"PolicyDocument": map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
			"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::" + strings.Repeat("b", 6100)}}},
	}})
	err := checkPolicies(parse(t, "name: a\n"), Templates{Service: tpl})
	if err == nil || !strings.Contains(err.Error(), "service.yml: Big: the managed policy is 6") || !strings.Contains(err.Error(), "IAM takes 6144") {
		t.Errorf("error %v", err)
	}
}
