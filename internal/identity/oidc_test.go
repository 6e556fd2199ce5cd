package identity

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// fakeOIDC answers as IAM does: providers by ARN, roles with URL-encoded trust policies.
type fakeOIDC struct {
	providers map[string]*iam.GetOpenIDConnectProviderOutput
	roles     map[string]string // ARN → trust policy
	deleted   []string
}

func (f *fakeOIDC) ListOpenIDConnectProviders(context.Context, *iam.ListOpenIDConnectProvidersInput, ...func(*iam.Options)) (*iam.ListOpenIDConnectProvidersOutput, error) {
	out := &iam.ListOpenIDConnectProvidersOutput{}
	for arn := range f.providers {
		out.OpenIDConnectProviderList = append(out.OpenIDConnectProviderList, types.OpenIDConnectProviderListEntry{Arn: aws.String(arn)})
	}
	return out, nil
}

func (f *fakeOIDC) GetOpenIDConnectProvider(_ context.Context, in *iam.GetOpenIDConnectProviderInput, _ ...func(*iam.Options)) (*iam.GetOpenIDConnectProviderOutput, error) {
	return f.providers[*in.OpenIDConnectProviderArn], nil
}

func (f *fakeOIDC) DeleteOpenIDConnectProvider(_ context.Context, in *iam.DeleteOpenIDConnectProviderInput, _ ...func(*iam.Options)) (*iam.DeleteOpenIDConnectProviderOutput, error) {
	if f.providers[*in.OpenIDConnectProviderArn] == nil {
		return nil, &types.NoSuchEntityException{Message: aws.String("not found")}
	}
	delete(f.providers, *in.OpenIDConnectProviderArn)
	f.deleted = append(f.deleted, *in.OpenIDConnectProviderArn)
	return &iam.DeleteOpenIDConnectProviderOutput{}, nil
}

func (f *fakeOIDC) ListRoles(context.Context, *iam.ListRolesInput, ...func(*iam.Options)) (*iam.ListRolesOutput, error) {
	out := &iam.ListRolesOutput{}
	for arn, doc := range f.roles {
		out.Roles = append(out.Roles, types.Role{Arn: aws.String(arn), AssumeRolePolicyDocument: aws.String(url.QueryEscape(doc))})
	}
	return out, nil
}

const github = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"

func TestAProviderIsFoundByItsURLWithWhatItAccepts(t *testing.T) {
	f := &fakeOIDC{providers: map[string]*iam.GetOpenIDConnectProviderOutput{
		"arn:aws:iam::123456789012:oidc-provider/gitlab.com": {ClientIDList: []string{"https://gitlab.com"}},
		github: {ClientIDList: []string{"sts.amazonaws.com"}, Tags: []types.Tag{{Key: aws.String(TagManagedProvider), Value: aws.String("true")}}},
	}}
	p, err := FindProvider(context.Background(), f, "token.actions.githubusercontent.com")
	if err != nil || p == nil || p.ARN != github || !p.Berth || !p.Accepts("sts.amazonaws.com") || p.Accepts("https://gitlab.com") {
		t.Errorf("%+v %v", p, err)
	}
	gl, _ := FindProvider(context.Background(), f, "gitlab.com")
	if gl == nil || gl.Berth || !gl.Accepts("https://gitlab.com") {
		t.Errorf("gitlab.com: %+v", gl)
	}
	if p, err := FindProvider(context.Background(), f, "gitlab.example.com"); p != nil || err != nil {
		t.Errorf("a host the account has no provider for: %+v %v", p, err)
	}
}

// Before a provider berth made goes, the account's roles are read: one that trusts it
// (any role, berth's of another environment or region, or someone else's) keeps it.
func TestTheRolesThatTrustAProvider(t *testing.T) {
	f := &fakeOIDC{roles: map[string]string{
		"arn:aws:iam::123456789012:role/berth-ci/a": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + github + `"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`,
		"arn:aws:iam::123456789012:role/other":      `{"Statement":{"Effect":"Allow","Principal":{"Federated":["x","` + github + `"]},"Action":"sts:AssumeRoleWithWebIdentity"}}`,
		"arn:aws:iam::123456789012:role/tasks":      `{"Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
		"arn:aws:iam::123456789012:role/mentions":   `{"Statement":[{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"x":"` + github + `"}}}]}`,
	}}
	roles, err := TrustedBy(context.Background(), f, github)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(slices.Sorted(slices.Values(roles)), " "); got != "arn:aws:iam::123456789012:role/berth-ci/a arn:aws:iam::123456789012:role/other" {
		t.Errorf("trusted by %s", got)
	}
}

func TestDeletingAProviderThatIsGoneSucceeds(t *testing.T) {
	f := &fakeOIDC{providers: map[string]*iam.GetOpenIDConnectProviderOutput{github: {}}}
	for range 2 {
		if err := DeleteProvider(context.Background(), f, github); err != nil {
			t.Fatal(err)
		}
	}
	if len(f.deleted) != 1 {
		t.Errorf("deleted %v", f.deleted)
	}
}
