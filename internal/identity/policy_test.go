package identity

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/berthdev/berth/internal/cfn"
	"github.com/berthdev/berth/internal/manifest"
	"github.com/berthdev/berth/internal/names"
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

// arnMatch is IAM's matching of a resource ARN against a policy's: * any run of
// characters (slashes too), ? one character.
func arnMatch(pattern, arn string) bool {
	re := "^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(pattern)) + "$"
	return regexp.MustCompile(re).MatchString(arn)
}

// envPolicy is every statement of an environment's policies, in one document.
func envPolicy(o PolicyOptions) ([]byte, error) {
	docs, err := Policies(o)
	if err != nil {
		return nil, err
	}
	all := policyDoc{Version: "2012-10-17"}
	for _, d := range docs {
		var p policyDoc
		if err := json.Unmarshal(d.Document, &p); err != nil {
			return nil, err
		}
		all.Statement = append(all.Statement, p.Statement...)
	}
	return json.Marshal(all)
}

func statements(t *testing.T, doc []byte) map[string]statement {
	t.Helper()
	var d struct{ Statement []statement }
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	out := map[string]statement{}
	for _, s := range d.Statement {
		out[s.Sid] = s
	}
	return out
}

func allows(s statement, arn string) bool {
	list, _ := s.Resource.([]any)
	if s.Resource == "*" {
		return true
	}
	for _, r := range list {
		if arnMatch(r.(string), arn) {
			return true
		}
	}
	return false
}

// The policy of a CI job's role (berth ci role) is berth's, narrowed to one
// environment: its stacks by their exact names, its templates, repositories, log groups
// and roles; never another environment's whose name starts alike, never the CI role
// stack or the CI roles themselves (a job must not widen its own rights), and nothing
// of what only berth ci role does (OIDC providers).
func TestAnEnvironmentsPolicyStaysInIt(t *testing.T) {
	doc, err := envPolicy(PolicyOptions{Partition: "aws", Env: "prod", Bucket: "berth-artifacts-123456789012-eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	st := statements(t, doc)
	for _, tc := range []struct {
		sid, arn string
		want     bool
	}{
		{"Stacks", "arn:aws:cloudformation:eu-west-1:123456789012:stack/berth-prod-network/1", true},
		{"Stacks", "arn:aws:cloudformation:eu-west-1:123456789012:stack/berth-prod-cluster/1", true},
		{"Stacks", "arn:aws:cloudformation:eu-west-1:123456789012:stack/berth-prod-svc-orders/1", true},
		{"Stacks", "arn:aws:cloudformation:eu-west-1:123456789012:stack/berth-prod-ingress/1", true},
		{"Stacks", "arn:aws:cloudformation:eu-west-1:123456789012:stack/berth-prod-eu-ingress/1", false},
		{"Stacks", "arn:aws:cloudformation:eu-west-1:123456789012:stack/berth-prod-eu-network/1", false},
		{"Stacks", "arn:aws:cloudformation:eu-west-1:123456789012:stack/berth-staging-svc-orders/1", false},
		{"Stacks", "arn:aws:cloudformation:eu-west-1:123456789012:stack/berth-prod-ci-github-1a2b3c4d/1", false},
		{"Roles", "arn:aws:iam::123456789012:role/berth-prod-cluster-InstanceRole-ABC", true},
		{"Roles", "arn:aws:iam::123456789012:role/berth-staging-cluster-InstanceRole-ABC", false},
		{"Roles", "arn:aws:iam::123456789012:role/berth-prod-svc-orders-TaskRole-ABC", true},
		{"Roles", "arn:aws:iam::123456789012:role/berth-prod-eu-cluster-InstanceRole-ABC", false},
		{"Roles", "arn:aws:iam::123456789012:instance-profile/berth-prod-cluster-InstanceProfile-ABC", true},
		{"Roles", "arn:aws:iam::123456789012:role/berth-ci/berth-prod-ci-github-1a2b3c4d-DeployRole-ABC", false},
		{"PassRoles", "arn:aws:iam::123456789012:role/berth-ci/berth-prod-ci-github-1a2b3c4d-DeployRole-ABC", false},
		{"Buckets", "arn:aws:s3:::berth-artifacts-123456789012-eu-west-1/prod/berth-prod-network/t.yml", true},
		{"Buckets", "arn:aws:s3:::berth-artifacts-123456789012-eu-west-1/staging/berth-staging-network/t.yml", false},
		{"Buckets", "arn:aws:s3:::berth-prod-svc-orders-accesslogsbucket-abc/AWSLogs/x", true},
		{"Buckets", "arn:aws:s3:::berth-prod-eu-svc-orders-accesslogsbucket-abc/AWSLogs/x", false},
		{"Buckets", "arn:aws:s3:::berth-prod-ingress-accesslogbucket-abc", true},
		{"Buckets", "arn:aws:s3:::berth-prod-eu-ingress-accesslogbucket-abc", false},
		{"Buckets", "arn:aws:s3:::berth-prod-ingress-svc-orders-accesslogsbucket-abc", false}, // environment prod-ingress's
		{"Repos", "arn:aws:ecr:eu-west-1:123456789012:repository/berth/prod/orders", true},
		{"Repos", "arn:aws:ecr:eu-west-1:123456789012:repository/berth/staging/orders", false},
		{"LogGroups", "arn:aws:logs:eu-west-1:123456789012:log-group:/berth/prod/orders:*", true},
		{"LogGroups", "arn:aws:logs:eu-west-1:123456789012:log-group:/berth/staging/orders:*", false},
	} {
		s, ok := st[tc.sid]
		if !ok {
			t.Fatalf("no statement %s in\n%s", tc.sid, doc)
		}
		if got := allows(s, tc.arn); got != tc.want {
			t.Errorf("%s allows %s: %v, want %v", tc.sid, tc.arn, got, tc.want)
		}
	}
	if strings.Contains(string(doc), "ecs:ExecuteCommand") {
		t.Errorf("a CI job's policy can open a shell in a task:\n%s", doc)
	}
	if _, ok := st["OIDCProviders"]; ok || strings.Contains(string(doc), "ListRoles") {
		t.Errorf("a CI job's policy can touch identity providers:\n%s", doc)
	}
	// each fits a managed policy, and a role takes 10 of them by default
	docs, _ := Policies(PolicyOptions{Partition: "aws-us-gov", Env: strings.Repeat("e", manifest.MaxEnvLength), Bucket: "berth-artifacts-123456789012-us-gov-west-1"})
	for _, d := range docs {
		if n := len(strings.Join(strings.Fields(string(d.Document)), "")); n > MaxPolicySize || len(docs) > 9 {
			t.Errorf("%s: %d characters (of %d policies)", d.Name, n, len(docs))
		}
	}
}

// The plan role's policy reads and makes change sets: it can neither execute one nor
// change a stack, an image, a role or a provider.
func TestThePlanPolicyChangesNothing(t *testing.T) {
	doc, err := PlanPolicy(PolicyOptions{Partition: "aws", Env: "prod", Bucket: "berth-artifacts-123456789012-eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"cloudformation:ExecuteChangeSet", "cloudformation:DeleteStack", "ecr:PutImage", "ecr:InitiateLayerUpload",
		"iam:", "autoscaling:UpdateAutoScalingGroup", "s3:Delete", "route53:ChangeResourceRecordSets"} {
		if strings.Contains(string(doc), `"`+a) {
			t.Errorf("the plan policy grants %s:\n%s", a, doc)
		}
	}
	if !allows(statements(t, doc)["Stacks"], "arn:aws:cloudformation:eu-west-1:123456789012:stack/berth-prod-svc-orders/1") {
		t.Errorf("the plan policy cannot plan the service:\n%s", doc)
	}
	for _, a := range planActions {
		if !Granted(a) {
			t.Errorf("the plan role may call %s, which berth iam-policy does not grant", a)
		}
	}
}

// The providers' statement grants a wildcard on the two provider ARNs: it must cover
// every action berth ci role needs of them, and nothing else.
func TestTheOIDCWildcardCoversItsActions(t *testing.T) {
	provider, _ := HandlerActions("AWS::IAM::OIDCProvider")
	for _, a := range append(provider, ciAPIActions...) {
		matched := false
		for _, s := range scopes {
			if s.match(a) {
				matched = true
				if s.wildcard != "" && !arnMatch(strings.ToLower(s.wildcard), strings.ToLower(a)) {
					t.Errorf("%s: %s does not cover %s", s.sid, s.wildcard, a)
				}
				break
			}
		}
		if !matched && a != "iam:ListRoles" && a != "iam:ListOpenIDConnectProviders" {
			t.Errorf("%s has no scope", a)
		}
	}
}

// Every stack berth deploys for a manifest of the synthesis test data, by the name it
// gives it (names.Stack), is within the Stacks statement of an environment's deploy
// and plan policies: a stack left out fails the CI job's deploy or diff with
// AccessDenied on its first change set (the environment's shared load balancer,
// berth-<env>-ingress, was; helper review, 2026-12-04).
func TestTheCIPoliciesReachEveryStackBerthDeploys(t *testing.T) {
	deploy, plan := ciPolicies(t)
	files, _ := filepath.Glob("../synth/testdata/*/berth.yml")
	seen := map[synth.Stack]bool{}
	for _, f := range files {
		m, err := manifest.Load(f)
		if err != nil {
			t.Fatal(err)
		}
		ts := synth.Build(m)
		for _, s := range synth.StacksOf(m) {
			seen[s] = true
			stack := names.Stack("prod", m.Name, s)
			arn := "arn:aws:cloudformation:us-east-1:123456789012:stack/" + stack + "/1"
			for role, doc := range map[string][]byte{"deploy": deploy, "plan": plan} {
				if !allows(statements(t, doc)["Stacks"], arn) {
					t.Errorf("%s: the %s role cannot change %s", f, role, arn)
				}
			}
			// a bucket of the stack, by the name CloudFormation gives it
			// (STACK-LOGICALID-SUFFIX, lower case)
			for _, id := range ts[s].Resources.Keys() {
				if r, _ := ts[s].Resources.Get(id); r.(cfn.Resource).Type == "AWS::S3::Bucket" {
					bucket := "arn:aws:s3:::" + strings.ToLower(stack+"-"+id) + "-1a2b3c4d5e6f"
					if !allows(statements(t, deploy)["Buckets"], bucket) {
						t.Errorf("%s: the deploy role cannot make %s", f, bucket)
					}
				}
			}
		}
	}
	for _, s := range []synth.Stack{synth.Network, synth.Cluster, synth.Ingress, synth.Service, synth.Edge} {
		if !seen[s] {
			t.Errorf("no manifest of the synthesis test data deploys the %s stack", s)
		}
	}
}

// The plan role, which a pull request's job may assume, writes templates under the
// plan's prefix (names.PlanArtifactPrefix, where berth diff uploads) and nowhere a
// deploy's template goes (names.ArtifactPrefix): a template it could overwrite there
// would be run by CloudFormation with the deploy role's rights (helper review,
// 2026-12-04). The deploy role reaches both.
func TestThePlanRoleWritesOnlyPlanTemplates(t *testing.T) {
	deploy, plan := ciPolicies(t)
	object := func(key string) string { return "arn:aws:s3:::berth-artifacts-123456789012-eu-west-1/" + key }
	for _, tc := range []struct {
		key          string
		plan, deploy bool
	}{
		{names.PlanArtifactPrefix("prod", "berth-prod-svc-orders") + "0123456789abcdef.yml", true, true},
		{names.ArtifactPrefix("prod", "berth-prod-svc-orders") + "0123456789abcdef.yml", false, true},
		{names.ArtifactPrefix("prod", "berth-prod-network") + "0123456789abcdef.yml", false, true},
		{names.PlanArtifactPrefix("staging", "berth-staging-svc-orders") + "0123456789abcdef.yml", false, false},
	} {
		if got := allows(statements(t, plan)["Buckets"], object(tc.key)); got != tc.plan {
			t.Errorf("the plan role reaches %s: %v, want %v", tc.key, got, tc.plan)
		}
		if got := allows(statements(t, deploy)["Buckets"], object(tc.key)); got != tc.deploy {
			t.Errorf("the deploy role reaches %s: %v, want %v", tc.key, got, tc.deploy)
		}
	}
}

// ciPolicies are the deploy and plan roles' policies of berth ci role for environment
// prod.
func ciPolicies(t *testing.T) (deploy, plan []byte) {
	t.Helper()
	o := PolicyOptions{Partition: "aws", Env: "prod", Bucket: "berth-artifacts-123456789012-eu-west-1"}
	deploy, err := envPolicy(o)
	if err != nil {
		t.Fatal(err)
	}
	if plan, err = PlanPolicy(o); err != nil {
		t.Fatal(err)
	}
	return deploy, plan
}
