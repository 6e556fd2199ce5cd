package identity

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/berthdev/berth/internal/hint"
	"github.com/berthdev/berth/internal/lazyregexp"
	"github.com/berthdev/berth/internal/manifest"
	"github.com/berthdev/berth/internal/session"
)

// SSM is the part of the Systems Manager API the secrets check uses: a parameter's
// name, type and key, never its value.
type SSM interface {
	DescribeParameters(context.Context, *ssm.DescribeParametersInput, ...func(*ssm.Options)) (*ssm.DescribeParametersOutput, error)
}

// Secrets checks the manifest's secrets in one account and region.
type Secrets struct {
	SSM    SSM
	SM     SecretsManager
	Region string
}

// SecretsManager is the part of the Secrets Manager API berth uses: whether a secret
// exists, never its value.
type SecretsManager interface {
	DescribeSecret(context.Context, *secretsmanager.DescribeSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
}

// Check makes sure, before anything changes, that every parameter and secret
// the manifest names exists, without reading a value: DescribeParameters and
// DescribeSecret return what a secret is, not what it holds. A missing one would
// otherwise show only when the first task fails to start, after the whole deploy. It
// returns notes for the plan: what could not be checked, and what will not work as
// the user may think.
func (c *Secrets) Check(ctx context.Context, id session.Identity, m *manifest.Manifest) ([]string, error) {
	var notes, missing []string
	var first error
	checked := map[string]error{}
	for _, name := range m.SecretNames() {
		s := m.Secrets[name]
		key := "secrets." + name
		if region, account := arnPlace(s.ARN); s.ARN != "" && (region != c.Region || account != id.Account) {
			notes = append(notes, fmt.Sprintf("%s: %s is in %s, account %s: berth checks only this account and region, so a missing one shows when the first task fails to start", key, s.ARN, region, account))
			continue
		}
		ref := s.Source + ":" + s.ARN + s.Name
		err, done := checked[ref]
		if !done {
			var note string
			if s.Source == manifest.SSM {
				note, err = c.checkParameter(ctx, m, s)
			} else {
				note, err = c.checkSecret(ctx, m, s)
			}
			checked[ref] = err
			if note != "" {
				notes = append(notes, "warning: "+key+": "+note)
			}
		}
		var gone *missingError
		switch {
		case errors.As(err, &gone):
			missing = append(missing, name)
			if first == nil {
				first = hint.Wrap(fmt.Errorf("%s:%d: %s: %s does not exist in %s (account %s); nothing was changed", m.File, m.Line(key), key, gone.what, c.Region, id.Account), gone.create(c.Region, name))
			}
		case err != nil:
			return nil, fmt.Errorf("%s:%d: %s: %w", m.File, m.Line(key), key, err)
		}
	}
	if len(missing) > 1 {
		var h interface{ Hint() string }
		errors.As(first, &h)
		return nil, hint.Wrap(fmt.Errorf("%w; %d more do not exist either: %s", first, len(missing)-1, strings.Join(missing[1:], ", ")), h.Hint())
	}
	if first != nil {
		return nil, first
	}
	return notes, nil
}

// missingError is a parameter or secret that does not exist.
type missingError struct {
	what   string // for messages: the SSM parameter /a/b
	create func(region, variable string) string
}

func (e *missingError) Error() string { return e.what + " does not exist" }

var arnParts = lazyregexp.New(`^arn:[^:]+:[^:]+:([^:]*):([^:]*):`)

// arnPlace is the region and account of an ARN.
func arnPlace(arn string) (region, account string) {
	if m := arnParts.FindStringSubmatch(arn); m != nil {
		return m[1], m[2]
	}
	return "", ""
}

// checkParameter looks the parameter up by name with DescribeParameters, which needs
// ssm:DescribeParameters and returns no value.
func (c *Secrets) checkParameter(ctx context.Context, m *manifest.Manifest, s manifest.Secret) (string, error) {
	names := []string{s.Name}
	if s.ARN != "" {
		// the ARN of /a/b is ...:parameter/a/b, and of a name without a slash too
		rest := s.ARN[strings.Index(s.ARN, ":parameter/")+len(":parameter/"):]
		names = []string{"/" + rest}
		if !strings.Contains(rest, "/") {
			names = append(names, rest)
		}
	}
	out, err := c.SSM.DescribeParameters(ctx, &ssm.DescribeParametersInput{ParameterFilters: []ssmtypes.ParameterStringFilter{
		{Key: aws.String("Name"), Option: aws.String("Equals"), Values: names},
	}})
	if err != nil {
		return "", fmt.Errorf("look up the SSM parameter %s: %w", names[0], err)
	}
	if len(out.Parameters) == 0 {
		return "", &missingError{what: "the SSM parameter " + names[0], create: func(region, variable string) string {
			return fmt.Sprintf("create it: aws ssm put-parameter --region %s --type SecureString --name %s --value \"$%s\"", region, names[0], variable)
		}}
	}
	p := out.Parameters[0]
	switch key := aws.ToString(p.KeyId); {
	case p.Type != ssmtypes.ParameterTypeSecureString:
		return fmt.Sprintf("%s is a %s parameter, stored unencrypted (a SecureString keeps it encrypted: aws ssm put-parameter --type SecureString --overwrite --name %s ...)", aws.ToString(p.Name), p.Type, aws.ToString(p.Name)), nil
	case customKey(key, "alias/aws/ssm") && len(m.SecretsKMSKeys) == 0:
		return fmt.Sprintf("%s is encrypted with the KMS key %s; the tasks can decrypt it only when secrets_kms_key names that key", aws.ToString(p.Name), key), nil
	}
	return "", nil
}

// checkSecret describes the secret, which needs secretsmanager:DescribeSecret and
// returns no value.
func (c *Secrets) checkSecret(ctx context.Context, m *manifest.Manifest, s manifest.Secret) (string, error) {
	id := s.Name
	if s.ARN != "" {
		id = s.ARN
	}
	out, err := c.SM.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(id)})
	var notFound *smtypes.ResourceNotFoundException
	if errors.As(err, &notFound) {
		return "", &missingError{what: "the Secrets Manager secret " + id, create: func(region, variable string) string {
			if s.ARN != "" {
				return "check the ARN: aws secretsmanager list-secrets --region " + region
			}
			value := fmt.Sprintf("\"$%s\"", variable)
			if s.JSONKey != "" {
				value = fmt.Sprintf("'{\"%s\": \"...\"}'", s.JSONKey)
			}
			return fmt.Sprintf("create it: aws secretsmanager create-secret --region %s --name %s --secret-string %s", region, s.Name, value)
		}}
	}
	if err != nil {
		return "", fmt.Errorf("describe the Secrets Manager secret %s: %w", id, err)
	}
	if out.DeletedDate != nil {
		return "", fmt.Errorf("the Secrets Manager secret %s is scheduled for deletion on %s, and tasks cannot read it (restore it: aws secretsmanager restore-secret --secret-id %s)",
			id, out.DeletedDate.Format("2006-01-02"), id)
	}
	if key := aws.ToString(out.KmsKeyId); customKey(key, "alias/aws/secretsmanager") && len(m.SecretsKMSKeys) == 0 {
		return fmt.Sprintf("%s is encrypted with the KMS key %s; the tasks can decrypt it only when secrets_kms_key names that key", id, key), nil
	}
	return "", nil
}

// customKey reports whether a KMS key id, as SSM and Secrets Manager report it, is a
// customer managed key rather than the service's AWS managed one (which they report
// as its alias, or not at all).
func customKey(key, managed string) bool {
	return key != "" && key != managed && !strings.HasSuffix(key, ":"+managed)
}
