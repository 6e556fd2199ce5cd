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
// data, has the permissions its resource handlers declare (the published resource
// schemas) in the policy, but those excluded with a reason: CloudFormation calls them
// with the caller's rights.
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
				typ := doc.Resources[name].Type
				acts, ok := HandlerActions(typ)
				if !ok || notDeployed[typ] {
					t.Errorf("%s: %s (%s) has no handler permissions in the IAM policy (scripts/handler-permissions)", f, name, typ)
				}
				for _, a := range acts {
					if !Granted(a) && excludedWhy(a) == "" {
						t.Errorf("%s: %s (%s): its handlers call %s, which the policy neither grants nor excludes with a reason", f, name, typ, a)
					}
				}
			}
		}
	}
}

// A customer managed policy holds at most 6,144 characters, white space not counted
// ("IAM and AWS STS quotas"); a role or user takes 10 managed policies by default.
func TestPolicyFitsManagedPolicies(t *testing.T) {
	for _, p := range []string{"aws", "aws-cn", "aws-us-gov"} {
		docs, err := Policies(PolicyOptions{Partition: p})
		if err != nil {
			t.Fatal(err)
		}
		if len(docs) > 10 {
			t.Errorf("%s: %d managed policies, more than a role takes by default", p, len(docs))
		}
		all := ""
		for _, d := range docs {
			var v map[string]any
			if err := json.Unmarshal(d.Document, &v); err != nil {
				t.Fatal(err)
			}
			n := len(strings.Map(func(r rune) rune {
				if unicode.IsSpace(r) {
					return -1
				}
				return r
			}, string(d.Document)))
			t.Logf("%s: %s: %d characters", p, d.Name, n)
			if n > MaxPolicySize {
				t.Errorf("%s: %s has %d characters, more than a managed policy takes", p, d.Name, n)
			}
			all += string(d.Document)
		}
		if !strings.Contains(all, "arn:"+p+":s3:::berth-*") {
			t.Errorf("%s: the bucket is not scoped to the partition", p)
		}
	}
}

// The permissions left out are named with a reason, and none of them is an action
// berth itself calls.
func TestExcludedHandlerActionsAreNotBerthsOwn(t *testing.T) {
	for _, a := range apiActions {
		if why := excludedWhy(a); why != "" {
			t.Errorf("berth calls %s, which the policy excludes (%s)", a, why)
		}
	}
	if !Granted("ec2:RunInstances") || !Granted("ssm:GetParameters") || !Granted("iam:PassRole") || !Granted("ecs:TagResource") {
		t.Error("what the handlers need beyond the obvious (RunInstances for a launch template, GetParameters, PassRole, tags) is missing")
	}
	if Granted("sts:AssumeRole") || Granted("ssm:GetParameter*") && !strings.Contains(string(mustPolicies(t)), "parameter/aws/service/*") {
		t.Error("the policy grants what it excludes")
	}
}

func mustPolicies(t *testing.T) []byte {
	docs, err := Policies(PolicyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(docs)
	return b
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
