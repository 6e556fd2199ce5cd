package session

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/berthdev/berth/internal/hint"
)

// ReplicaCredentials are the AWS credentials "berth up --aws-profile" gives local
// replicas, standing in for the task role they have on AWS. They are the profile's as
// the SDK resolves them (SSO, an assumed role, a credential process, access keys), and
// always short-lived: long-term access keys are exchanged for a session
// (sts:GetSessionToken), so that no container ever holds the keys themselves, nor the
// ~/.aws directory.
type ReplicaCredentials struct {
	Profile string
	Region  string
	// Exchanged is set when the profile holds long-term keys, which berth exchanged
	// for a session.
	Exchanged bool
	provider  aws.CredentialsProvider
}

// SessionLength is how long a session made from long-term keys lasts; replicas started
// later get a new one.
const SessionLength = time.Hour

// NewReplicaCredentials resolves profile's credentials once, so that a profile that
// does not work stops berth up before anything starts.
func NewReplicaCredentials(ctx context.Context, profile string) (*ReplicaCredentials, error) {
	cfg, err := config.LoadDefaultConfig(ctx, config.WithSharedConfigProfile(profile), config.WithHTTPClient(HTTPClient()))
	var noProfile config.SharedConfigProfileNotExistError
	if errors.As(err, &noProfile) {
		return nil, hint.Wrap(fmt.Errorf("--aws-profile: AWS profile %q is not in your AWS config or credentials files", noProfile.Profile),
			"list the profiles with \"aws configure list-profiles\"")
	}
	if err != nil {
		return nil, fmt.Errorf("--aws-profile %s: load AWS configuration: %w", profile, err)
	}
	r := &ReplicaCredentials{Profile: profile, Region: cfg.Region, provider: cfg.Credentials}
	creds, err := r.provider.Retrieve(ctx)
	if err != nil {
		return nil, hint.Wrap(fmt.Errorf("--aws-profile %s: no credentials: %w", profile, RootCause(err)),
			"refresh them (aws sso login --profile "+profile+", aws configure --profile "+profile+")")
	}
	if creds.SessionToken == "" {
		r.Exchanged = true
		r.provider = aws.NewCredentialsCache(sessionProvider{sts.NewFromConfig(cfg)})
		if _, err := r.provider.Retrieve(ctx); err != nil {
			return nil, fmt.Errorf("--aws-profile %s: exchange the access keys for a session (sts:GetSessionToken): %w", profile, RootCause(err))
		}
	}
	return r, nil
}

// Env is the environment of one replica: the credentials, fresh, and the region. It
// returns when they expire.
func (r *ReplicaCredentials) Env(ctx context.Context) ([]string, time.Time, error) {
	creds, err := r.provider.Retrieve(ctx)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("--aws-profile %s: %w", r.Profile, RootCause(err))
	}
	env := []string{"AWS_ACCESS_KEY_ID=" + creds.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + creds.SecretAccessKey, "AWS_SESSION_TOKEN=" + creds.SessionToken}
	if r.Region != "" {
		env = append(env, "AWS_REGION="+r.Region, "AWS_DEFAULT_REGION="+r.Region)
	}
	var expires time.Time
	if creds.CanExpire {
		expires = creds.Expires
	}
	return env, expires, nil
}

// sessionProvider exchanges long-term access keys for a session.
type sessionProvider struct{ sts *sts.Client }

func (p sessionProvider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	out, err := p.sts.GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(int32(SessionLength.Seconds()))})
	if err != nil {
		return aws.Credentials{}, err
	}
	c := out.Credentials
	return aws.Credentials{
		AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretAccessKey), SessionToken: aws.ToString(c.SessionToken),
		Source: "berth: sts:GetSessionToken", CanExpire: true, Expires: aws.ToTime(c.Expiration),
	}, nil
}
