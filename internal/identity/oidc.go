package identity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// OIDC is the part of the IAM API berth ci role calls itself: the account's OpenID
// Connect providers, to reuse one (IAM takes one provider per URL: a second fails with
// EntityAlreadyExists), and the roles that trust one, before a provider berth made goes.
type OIDC interface {
	ListOpenIDConnectProviders(context.Context, *iam.ListOpenIDConnectProvidersInput, ...func(*iam.Options)) (*iam.ListOpenIDConnectProvidersOutput, error)
	GetOpenIDConnectProvider(context.Context, *iam.GetOpenIDConnectProviderInput, ...func(*iam.Options)) (*iam.GetOpenIDConnectProviderOutput, error)
	DeleteOpenIDConnectProvider(context.Context, *iam.DeleteOpenIDConnectProviderInput, ...func(*iam.Options)) (*iam.DeleteOpenIDConnectProviderOutput, error)
	ListRoles(context.Context, *iam.ListRolesInput, ...func(*iam.Options)) (*iam.ListRolesOutput, error)
}

// TagManagedProvider marks a provider berth's CI role stack made (the key of
// names.TagManaged): only such a provider is ever deleted by berth, and only once no
// role trusts it.
const TagManagedProvider = "berth:managed"

// Provider is an OpenID Connect provider of the account.
type Provider struct {
	ARN       string
	Audiences []string // its client ID list: a token's aud must be one of them
	Berth     bool     // berth's CI role stack made it
}

// FindProvider is the account's provider for host (token.actions.githubusercontent.com,
// gitlab.com), nil when it has none. Providers are the account's, in every region.
func FindProvider(ctx context.Context, api OIDC, host string) (*Provider, error) {
	out, err := api.ListOpenIDConnectProviders(ctx, &iam.ListOpenIDConnectProvidersInput{})
	if err != nil {
		return nil, fmt.Errorf("list the account's OpenID Connect providers: %w", err)
	}
	for _, p := range out.OpenIDConnectProviderList {
		arn := aws.ToString(p.Arn)
		if !strings.HasSuffix(arn, ":oidc-provider/"+host) {
			continue
		}
		got, err := api.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)})
		if err != nil {
			return nil, fmt.Errorf("read the OpenID Connect provider %s: %w", arn, err)
		}
		pr := &Provider{ARN: arn, Audiences: got.ClientIDList}
		for _, t := range got.Tags {
			if aws.ToString(t.Key) == TagManagedProvider {
				pr.Berth = true
			}
		}
		return pr, nil
	}
	return nil, nil
}

// Accepts reports whether tokens for audience pass the provider: IAM checks a token's
// aud against the provider's client IDs before any role's trust.
func (p *Provider) Accepts(audience string) bool { return slices.Contains(p.Audiences, audience) }

// TrustedBy lists the roles of the account whose trust policy names the provider.
// ListRoles answers with each role's trust policy (URL-encoded JSON, as the IAM API
// reference says of policy documents).
func TrustedBy(ctx context.Context, api OIDC, providerARN string) ([]string, error) {
	var roles []string
	p := iam.NewListRolesPaginator(api, &iam.ListRolesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list the account's roles: %w", err)
		}
		for _, r := range page.Roles {
			if trusts(aws.ToString(r.AssumeRolePolicyDocument), providerARN) {
				roles = append(roles, aws.ToString(r.Arn))
			}
		}
	}
	return roles, nil
}

// trusts reports whether a trust policy (URL-encoded or not) names the provider as a
// federated principal.
func trusts(doc, providerARN string) bool {
	if d, err := url.QueryUnescape(doc); err == nil {
		doc = d
	}
	var policy struct {
		Statement json.RawMessage
	}
	if json.Unmarshal([]byte(doc), &policy) != nil {
		return strings.Contains(doc, providerARN) // unreadable: err on the side of keeping it
	}
	var list []struct{ Principal json.RawMessage }
	if json.Unmarshal(policy.Statement, &list) != nil {
		var one struct{ Principal json.RawMessage }
		json.Unmarshal(policy.Statement, &one)
		list = append(list, one)
	}
	for _, s := range list {
		var p struct{ Federated any }
		json.Unmarshal(s.Principal, &p)
		switch f := p.Federated.(type) {
		case string:
			if f == providerARN {
				return true
			}
		case []any:
			for _, v := range f {
				if v == providerARN {
					return true
				}
			}
		}
	}
	return false
}

// DeleteProvider removes a provider; one already gone is no error.
func DeleteProvider(ctx context.Context, api OIDC, arn string) error {
	_, err := api.DeleteOpenIDConnectProvider(ctx, &iam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)})
	var gone *types.NoSuchEntityException
	if err != nil && !errors.As(err, &gone) {
		return fmt.Errorf("delete the OpenID Connect provider %s: %w", arn, err)
	}
	return nil
}
