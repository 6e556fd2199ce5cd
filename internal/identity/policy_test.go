package identity

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/berthdev/berth/internal/cfn"
	"github.com/berthdev/berth/internal/manifest"
	"github.com/berthdev/berth/internal/session"
	"github.com/berthdev/berth/internal/synth"
)

// Every resource type berth's templates hold, for every manifest in the synthesis test
// data, has its actions in the policy: CloudFormation makes them with the caller's rights.
func TestPolicyCoversEveryResourceOfTheTemplates(t *testing.T) {
	files, _ := filepath.Glob("../synth/testdata/*/berth.yml")
	if len(files) < 3 {
		t.Fatalf("found %d manifests", len(files))
	}
	for _, f := range files {
		m, err := manifest.Load(f)
		if err != nil {
			t.Fatal(err)
		}
		rendered, err := synth.Render(m)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range synth.StacksOf(m) {
			doc, err := cfn.Parse(rendered[s.File()])
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range doc.Order {
				if _, ok := ResourceActions[doc.Resources[name].Type]; !ok {
					t.Errorf("%s: %s (%s) has no actions in the IAM policy", f, name, doc.Resources[name].Type)
				}
			}
		}
	}
}

// A customer managed policy holds at most 6,144 characters, white space not counted.
func TestPolicyFitsAManagedPolicy(t *testing.T) {
	for _, p := range []string{"aws", "aws-cn", "aws-us-gov"} {
		doc, err := Policy(PolicyOptions{Partition: p})
		if err != nil {
			t.Fatal(err)
		}
		var v map[string]any
		if err := json.Unmarshal(doc, &v); err != nil {
			t.Fatal(err)
		}
		n := len(strings.Map(func(r rune) rune {
			if unicode.IsSpace(r) {
				return -1
			}
			return r
		}, string(doc)))
		t.Logf("%s: %d characters", p, n)
		if n > 6144 {
			t.Errorf("%s: the policy has %d characters, more than a managed policy takes", p, n)
		}
		if !strings.Contains(string(doc), "arn:"+p+":s3:::berth-*") {
			t.Errorf("%s: the bucket is not scoped to the partition", p)
		}
	}
}

func TestIAMActionNamesFollowIAM(t *testing.T) {
	for in, want := range map[[2]string]string{
		{"S3", "HeadBucket"}:                                  "s3:ListBucket",
		{"S3", "ListObjectVersions"}:                          "s3:ListBucketVersions",
		{"Elastic Load Balancing v2", "DescribeTargetHealth"}: "elasticloadbalancing:DescribeTargetHealth",
		{"CloudWatch Logs", "FilterLogEvents"}:                "logs:FilterLogEvents",
		{"Auto Scaling", "StartInstanceRefresh"}:              "autoscaling:StartInstanceRefresh",
	} {
		if got := session.IAMAction(in[0], in[1]); got != want || !Granted(got) {
			t.Errorf("%v: %s (granted %v), want %s", in, got, Granted(got), want)
		}
	}
	if Granted("ec2:TerminateInstances") || Granted("iam:CreateUser") {
		t.Error("the policy grants what berth never needs")
	}
}
