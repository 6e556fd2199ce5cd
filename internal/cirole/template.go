package cirole

import (
	"encoding/json"
	"fmt"

	"github.com/berthdev/berth/internal/cfn"
	"github.com/berthdev/berth/internal/identity"
)

// Spec is what the stack is made from.
type Spec struct {
	Trust     Trust
	Env       string
	Partition string // of the stack's region
	Bucket    string // the artifact bucket (names.Bucket)
	// ProviderARN is the account's provider to reuse; empty, the stack makes it.
	ProviderARN string
}

// Logical IDs and outputs of the stack.
const (
	ResProvider       = "OIDCProvider"
	OutDeployRole     = "DeployRoleArn"
	OutPlanRole       = "PlanRoleArn"
	OutProvider       = "OIDCProviderArn"
	Path              = "/berth-ci/" // the roles' IAM path: an environment's policy reaches no role under it
	planPolicyName    = "berth-plan"
	sessionTokenLimit = 3600
)

// Template is the stack of the CI roles: the provider (unless the account has one),
// the deploy role and the plan role.
//
// The provider is kept when the stack goes (DeletionPolicy and UpdateReplacePolicy
// Retain): IAM takes one provider per URL, so the roles of other repositories, other
// environments and other regions reuse it, and berth deletes it itself once no role
// of the account trusts it. Thumbprints are left out: AWS verifies GitHub's and GitLab's
// certificates through its library of trusted root CAs (IAM API reference,
// UpdateOpenIDConnectProviderThumbprint), and ThumbprintList is optional in the
// resource's schema.
func Template(s Spec) (*cfn.Template, error) {
	if err := s.Trust.Validate(); err != nil {
		return nil, err
	}
	t := s.Trust
	deploy, err := identity.Policies(identity.PolicyOptions{Partition: s.Partition, Env: s.Env, Bucket: s.Bucket})
	if err != nil {
		return nil, err
	}
	plan, err := policy(identity.PlanPolicy, s)
	if err != nil {
		return nil, err
	}
	tpl := &cfn.Template{Description: fmt.Sprintf("berth CI roles: %s jobs of %s deploy to environment %s", t.Provider.Name, t.Repo, s.Env)}
	var provider any = s.ProviderARN
	if s.ProviderARN == "" {
		provider = cfn.GetAtt(ResProvider + ".Arn")
		tpl.Resources.Set(ResProvider, cfn.Resource{
			Type: "AWS::IAM::OIDCProvider", DeletionPolicy: "Retain", UpdateReplacePolicy: "Retain",
			Properties: map[string]any{
				"Url":          t.Provider.Issuer,
				"ClientIdList": []any{t.Provider.Audience},
				"Tags":         []any{map[string]any{"Key": identity.TagManagedProvider, "Value": "true"}},
			},
		})
	}
	// the deploy role's rights are berth iam-policy's, narrowed to the environment: more
	// than a role's inline policies take (10,240 characters), so managed policies of
	// the stack's own, attached to it alone
	deployRole := role(fmt.Sprintf("berth: %s deploys to %s", t.Tag(), s.Env), provider, t, t.DeploySubject(), "", nil)
	var attached []any
	for i, d := range deploy {
		var doc any
		if err := json.Unmarshal(d.Document, &doc); err != nil {
			return nil, err
		}
		name := fmt.Sprintf("DeployPolicy%d", i+1)
		tpl.Resources.Set(name, cfn.Resource{Type: "AWS::IAM::ManagedPolicy", Properties: map[string]any{
			"Description":    fmt.Sprintf("berth: what %s's deploy to %s may do (%d of %d)", t.Repo, s.Env, i+1, len(deploy)),
			"Path":           Path,
			"PolicyDocument": doc,
		}})
		attached = append(attached, cfn.Ref(name))
	}
	deployRole.Properties["ManagedPolicyArns"] = attached
	tpl.Resources.Set("DeployRole", deployRole)
	tpl.Resources.Set("PlanRole", role(fmt.Sprintf("berth: %s plans for %s (berth diff)", t.Tag(), s.Env), provider, t, t.PlanSubject(), planPolicyName, plan))
	tpl.Outputs.Set(OutDeployRole, cfn.Output{Description: "The role the deploy job assumes", Value: cfn.GetAtt("DeployRole.Arn")})
	tpl.Outputs.Set(OutPlanRole, cfn.Output{Description: "The role the plan job of a pull request assumes", Value: cfn.GetAtt("PlanRole.Arn")})
	tpl.Outputs.Set(OutProvider, cfn.Output{Description: "The OpenID Connect provider both trust", Value: provider})
	return tpl, nil
}

// Render is the template as YAML.
func Render(s Spec) ([]byte, error) {
	t, err := Template(s)
	if err != nil {
		return nil, err
	}
	return t.Marshal()
}

// policy is a policy document of identity for the spec's environment, as a value.
func policy(of func(identity.PolicyOptions) ([]byte, error), s Spec) (any, error) {
	doc, err := of(identity.PolicyOptions{Partition: s.Partition, Env: s.Env, Bucket: s.Bucket})
	if err != nil {
		return nil, err
	}
	var v any
	return v, json.Unmarshal(doc, &v)
}

// role may be assumed with a web identity token of the provider whose aud and sub are
// exactly these, and nothing else; "Configuring OpenID Connect in Amazon Web Services"
// (GitHub) shows the same two StringEquals conditions.
func role(desc string, provider any, t Trust, subject, policyName string, doc any) cfn.Resource {
	cond := map[string]any{}
	for _, c := range t.Conditions(subject) {
		m, _ := cond[c.Op].(map[string]any)
		if m == nil {
			m = map[string]any{}
			cond[c.Op] = m
		}
		m[c.Key] = c.Value
	}
	r := cfn.Resource{Type: "AWS::IAM::Role", Properties: map[string]any{
		"Description":        desc,
		"Path":               Path,
		"MaxSessionDuration": sessionTokenLimit,
		"AssumeRolePolicyDocument": map[string]any{
			"Version": "2012-10-17",
			"Statement": []any{map[string]any{
				"Effect":    "Allow",
				"Principal": map[string]any{"Federated": provider},
				"Action":    "sts:AssumeRoleWithWebIdentity",
				"Condition": cond,
			}},
		},
	}}
	if doc != nil {
		r.Properties["Policies"] = []any{map[string]any{"PolicyName": policyName, "PolicyDocument": doc}}
	}
	return r
}
