package identity

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/berthdev/berth/internal/manifest"
	"github.com/berthdev/berth/internal/session"
)

// What the pre-check says about parameters and secrets that exist but will not work as
// the user may think is tested on recorded answers; that a missing parameter stops a
// deploy before anything changes runs against the emulator (cmd/berth,
// TestSecretsAreCheckedAndReadByARN).

type fakeSSM struct {
	SSM
	params map[string]ssmtypes.ParameterMetadata
	asked  [][]string
}

func (f *fakeSSM) DescribeParameters(_ context.Context, in *ssm.DescribeParametersInput, _ ...func(*ssm.Options)) (*ssm.DescribeParametersOutput, error) {
	out := &ssm.DescribeParametersOutput{}
	f.asked = append(f.asked, in.ParameterFilters[0].Values)
	for _, n := range in.ParameterFilters[0].Values {
		if p, ok := f.params[n]; ok {
			out.Parameters = append(out.Parameters, p)
		}
	}
	return out, nil
}

type fakeSM struct {
	secrets map[string]secretsmanager.DescribeSecretOutput
}

func (f *fakeSM) DescribeSecret(_ context.Context, in *secretsmanager.DescribeSecretInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
	if s, ok := f.secrets[*in.SecretId]; ok {
		return &s, nil
	}
	return nil, &smtypes.ResourceNotFoundException{Message: aws.String("Secrets Manager can't find the specified secret.")}
}

func parse(t *testing.T, src string) *manifest.Manifest {
	t.Helper()
	m, err := manifest.Parse([]byte(src), "berth.yml")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSecretsPreCheck(t *testing.T) {
	id := session.Identity{Account: "123456789012", Region: "us-east-1"}
	c := &Secrets{Region: "us-east-1",
		SSM: &fakeSSM{params: map[string]ssmtypes.ParameterMetadata{
			"/orders/db-password": {Name: aws.String("/orders/db-password"), Type: ssmtypes.ParameterTypeSecureString, KeyId: aws.String("alias/aws/ssm")},
			"/orders/plain":       {Name: aws.String("/orders/plain"), Type: ssmtypes.ParameterTypeString},
			"/orders/own-key":     {Name: aws.String("/orders/own-key"), Type: ssmtypes.ParameterTypeSecureString, KeyId: aws.String("alias/orders")},
			"flat":                {Name: aws.String("flat"), Type: ssmtypes.ParameterTypeSecureString},
		}},
		SM: &fakeSM{secrets: map[string]secretsmanager.DescribeSecretOutput{
			"orders/api-key": {ARN: aws.String("arn:aws:secretsmanager:us-east-1:123456789012:secret:orders/api-key-AbCdEf")},
			"orders/old":     {DeletedDate: aws.Time(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))},
		}},
	}
	ok := parse(t, `name: orders
secrets:
  A: ssm:/orders/db-password
  B: ssm:/orders/plain
  C: ssm:/orders/own-key
  D: secretsmanager:orders/api-key
  E: secretsmanager:orders/api-key#user
  F: ssm:arn:aws:ssm:eu-west-1:123456789012:parameter/shared
  G: ssm:arn:aws:ssm:us-east-1:123456789012:parameter/flat
`)
	notes, err := c.Check(context.Background(), id, ok)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"warning: secrets.B: /orders/plain is a String parameter, stored unencrypted",
		"warning: secrets.C: /orders/own-key is encrypted with the KMS key alias/orders; the tasks can decrypt it only when secrets_kms_key names that key",
		"secrets.F: arn:aws:ssm:eu-west-1:123456789012:parameter/shared is in eu-west-1, account 123456789012: berth checks only this account and region",
	}
	if len(notes) != len(want) {
		t.Fatalf("notes:\n%s", strings.Join(notes, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(notes[i], want[i]) {
			t.Errorf("note %q\nwant %q", notes[i], want[i])
		}
	}
	// the ARN of a parameter without a hierarchy is looked up under both of its names
	if asked := c.SSM.(*fakeSSM).asked; strings.Join(asked[len(asked)-1], " ") != "/flat flat" {
		t.Errorf("looked up %v", asked[len(asked)-1])
	}

	for _, tc := range []struct{ src, err, hint string }{
		{"name: orders\nport: 80\nsecrets:\n  DB_PASSWORD: ssm:/orders/nope\n",
			"berth.yml:4: secrets.DB_PASSWORD: the SSM parameter /orders/nope does not exist in us-east-1 (account 123456789012); nothing was changed",
			`create it: aws ssm put-parameter --region us-east-1 --type SecureString --name /orders/nope --value "$DB_PASSWORD"`},
		{"name: orders\nsecrets:\n  A: secretsmanager:orders/nope#user\n  B: ssm:/x\n  C: ssm:/orders/db-password\n",
			"berth.yml:3: secrets.A: the Secrets Manager secret orders/nope does not exist in us-east-1 (account 123456789012); nothing was changed; 1 more do not exist either: B",
			`create it: aws secretsmanager create-secret --region us-east-1 --name orders/nope --secret-string '{"user": "..."}'`},
		{"name: orders\nsecrets:\n  K: secretsmanager:orders/nope\n",
			"the Secrets Manager secret orders/nope does not exist",
			`create it: aws secretsmanager create-secret --region us-east-1 --name orders/nope --secret-string "$K"`},
		{"name: orders\nsecrets:\n  K: secretsmanager:orders/old\n",
			"berth.yml:3: secrets.K: the Secrets Manager secret orders/old is scheduled for deletion on 2026-12-01", ""},
	} {
		_, err := c.Check(context.Background(), id, parse(t, tc.src))
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("error %v\nwant %s", err, tc.err)
			continue
		}
		var h interface{ Hint() string }
		if tc.hint != "" && (!errors.As(err, &h) || h.Hint() != tc.hint) {
			t.Errorf("hint of %q: %v", err, h)
		}
	}
}
