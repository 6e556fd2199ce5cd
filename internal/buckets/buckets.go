// Package buckets holds the S3 buckets berth owns: the artifact bucket its templates
// are uploaded to, and emptying a bucket (every version of every object) before its
// stack deletes it.
//
// It must not import any package of the AWS path above it (stacks, deploy, ...).
package buckets

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/berthdev/berth/internal/hint"
	"github.com/berthdev/berth/internal/names"
)

// S3 is the part of the S3 API berth uses for its artifact bucket.
type S3 interface {
	HeadBucket(context.Context, *s3.HeadBucketInput, ...func(*s3.Options)) (*s3.HeadBucketOutput, error)
	CreateBucket(context.Context, *s3.CreateBucketInput, ...func(*s3.Options)) (*s3.CreateBucketOutput, error)
	PutBucketVersioning(context.Context, *s3.PutBucketVersioningInput, ...func(*s3.Options)) (*s3.PutBucketVersioningOutput, error)
	PutBucketEncryption(context.Context, *s3.PutBucketEncryptionInput, ...func(*s3.Options)) (*s3.PutBucketEncryptionOutput, error)
	PutPublicAccessBlock(context.Context, *s3.PutPublicAccessBlockInput, ...func(*s3.Options)) (*s3.PutPublicAccessBlockOutput, error)
	PutBucketTagging(context.Context, *s3.PutBucketTaggingInput, ...func(*s3.Options)) (*s3.PutBucketTaggingOutput, error)
	PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	ListObjectVersions(context.Context, *s3.ListObjectVersionsInput, ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error)
	DeleteObjects(context.Context, *s3.DeleteObjectsInput, ...func(*s3.Options)) (*s3.DeleteObjectsOutput, error)
	DeleteBucket(context.Context, *s3.DeleteBucketInput, ...func(*s3.Options)) (*s3.DeleteBucketOutput, error)
}

// Artifacts is the artifact bucket of one account and region. Its name is predictable,
// so another account could create it first: every call names the owner berth expects
// (ExpectedBucketOwner), and S3 refuses the call rather than let berth write templates
// into, or read them from, somebody else's bucket.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-owner-condition.html
type Artifacts struct {
	api            S3
	Bucket, Owner  string
	region         string
	emulated       bool // an endpoint override: template URLs take the form emulators read
	endpointForURL func(bucket, region string) (string, error)
}

// NewArtifacts is the artifact bucket of account in region; emulated says the
// endpoint is not AWS's (see templateURL).
func NewArtifacts(api S3, account, region string, emulated bool) *Artifacts {
	return &Artifacts{api: api, Bucket: names.Bucket(account, region), Owner: account, region: region,
		emulated: emulated, endpointForURL: regionalEndpoint}
}

// Ensure creates the bucket if it is missing: versioned, encrypted, with public access
// blocked. It reports whether it created it.
func (a *Artifacts) Ensure(ctx context.Context) (bool, error) {
	_, err := a.api.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(a.Bucket), ExpectedBucketOwner: aws.String(a.Owner)})
	if err == nil {
		return false, nil
	}
	if isForbidden(err) {
		return false, a.squatted(err)
	}
	in := &s3.CreateBucketInput{Bucket: aws.String(a.Bucket)}
	if a.region != "us-east-1" {
		in.CreateBucketConfiguration = &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraint(a.region)}
	}
	if _, err := a.api.CreateBucket(ctx, in); err != nil {
		var owned *types.BucketAlreadyOwnedByYou
		var taken *types.BucketAlreadyExists
		switch {
		case errors.As(err, &taken):
			return false, a.squatted(err)
		case !errors.As(err, &owned):
			return false, fmt.Errorf("create artifact bucket %s: %w", a.Bucket, err)
		}
	}
	owner := aws.String(a.Owner)
	steps := []func() error{
		func() error {
			_, err := a.api.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: aws.String(a.Bucket), ExpectedBucketOwner: owner,
				PublicAccessBlockConfiguration: &types.PublicAccessBlockConfiguration{
					BlockPublicAcls: aws.Bool(true), IgnorePublicAcls: aws.Bool(true),
					BlockPublicPolicy: aws.Bool(true), RestrictPublicBuckets: aws.Bool(true)}})
			return err
		},
		func() error {
			_, err := a.api.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: aws.String(a.Bucket), ExpectedBucketOwner: owner,
				ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{Rules: []types.ServerSideEncryptionRule{{
					ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryptionAes256}}}}})
			return err
		},
		func() error {
			_, err := a.api.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(a.Bucket), ExpectedBucketOwner: owner,
				VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}})
			return err
		},
		func() error {
			_, err := a.api.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: aws.String(a.Bucket), ExpectedBucketOwner: owner,
				Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String(names.TagManaged), Value: aws.String("true")}}}})
			return err
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return true, fmt.Errorf("configure artifact bucket %s: %w", a.Bucket, err)
		}
	}
	return true, nil
}

func (a *Artifacts) squatted(err error) error {
	return hint.Wrap(fmt.Errorf("the artifact bucket %s is not this account's to use: another account owns it, or the credentials may not read it (%w)", a.Bucket, err),
		"berth writes nothing to a bucket that account "+a.Owner+" does not own; if this account owns it, grant s3:ListBucket on it")
}

// Upload puts a template under prefix (names.ArtifactPrefix, or PlanArtifactPrefix for
// a plan) at a content-addressed key and returns its TemplateURL.
func (a *Artifacts) Upload(ctx context.Context, prefix string, body []byte) (string, error) {
	sum := sha256.Sum256(body)
	key := fmt.Sprintf("%s%s.yml", prefix, hex.EncodeToString(sum[:8]))
	_, err := a.api.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(a.Bucket), Key: aws.String(key), Body: bytes.NewReader(body),
		ExpectedBucketOwner: aws.String(a.Owner)})
	if err != nil {
		return "", fmt.Errorf("upload the template to s3://%s/%s: %w", a.Bucket, key, err)
	}
	return a.templateURL(key)
}

// templateURL is the virtual-hosted URL of the regional endpoint, in the partition's
// domain (amazonaws.com.cn in China), as the SDK's endpoint rules resolve it. The global
// s3.amazonaws.com form fails in opt-in regions and outside the aws partition, and can
// be redirected right after a bucket is created; emulators read only that form.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html
func (a *Artifacts) templateURL(key string) (string, error) {
	if a.emulated {
		return fmt.Sprintf("https://%s.s3.amazonaws.com/%s", a.Bucket, key), nil
	}
	base, err := a.endpointForURL(a.Bucket, a.region)
	if err != nil {
		return "", fmt.Errorf("the S3 endpoint of %s in %s: %w", a.Bucket, a.region, err)
	}
	return strings.TrimSuffix(base, "/") + "/" + key, nil
}

func regionalEndpoint(bucket, region string) (string, error) {
	e, err := s3.NewDefaultEndpointResolverV2().ResolveEndpoint(context.Background(), s3.EndpointParameters{Bucket: aws.String(bucket), Region: aws.String(region)})
	if err != nil {
		return "", err
	}
	return e.URI.String(), nil
}

// EmptyPrefix deletes every version of every object under prefix, and the bucket too
// when nothing else is left in it. It reports how many objects it removed.
func (a *Artifacts) EmptyPrefix(ctx context.Context, prefix string) (int, bool, error) {
	owner := aws.String(a.Owner)
	removed, err := deleteVersions(ctx, a.api, a.Bucket, prefix, a.Owner)
	switch {
	case IsNoSuchBucket(err):
		return 0, false, nil // nothing left to delete
	case isForbidden(err):
		return 0, false, a.squatted(err)
	case err != nil:
		return removed, false, fmt.Errorf("delete artifacts: %w", err)
	}
	rest, err := a.api.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(a.Bucket), MaxKeys: aws.Int32(1), ExpectedBucketOwner: owner})
	if err != nil || len(rest.Versions)+len(rest.DeleteMarkers) > 0 {
		return removed, false, nil // other environments still use it
	}
	if _, err := a.api.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(a.Bucket), ExpectedBucketOwner: owner}); err != nil {
		return removed, false, fmt.Errorf("delete artifact Bucket: %w", err)
	}
	return removed, true, nil
}

// deleteVersions deletes every version and delete marker under prefix ("" for the
// whole bucket), a page at a time, and reports how many it deleted.
func deleteVersions(ctx context.Context, api S3, bucket, prefix, owner string) (int, error) {
	var expected *string
	if owner != "" {
		expected = aws.String(owner)
	}
	n := 0
	pages := s3.NewListObjectVersionsPaginator(api, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), Prefix: aws.String(prefix), ExpectedBucketOwner: expected})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return n, err
		}
		var ids []types.ObjectIdentifier
		for _, v := range page.Versions {
			ids = append(ids, types.ObjectIdentifier{Key: v.Key, VersionId: v.VersionId})
		}
		for _, m := range page.DeleteMarkers {
			ids = append(ids, types.ObjectIdentifier{Key: m.Key, VersionId: m.VersionId})
		}
		if len(ids) == 0 {
			continue
		}
		if _, err := api.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket), ExpectedBucketOwner: expected,
			Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)}}); err != nil {
			return n, err
		}
		n += len(ids)
	}
	return n, nil
}

// IsNoSuchBucket: S3 models NoSuchBucket as a type for some operations only; the others
// answer with the bare error code.
func IsNoSuchBucket(err error) bool {
	var nf *types.NoSuchBucket
	var api smithy.APIError
	return errors.As(err, &nf) || errors.As(err, &api) && api.ErrorCode() == "NoSuchBucket"
}

// isForbidden is S3's answer to a call whose ExpectedBucketOwner is not the bucket's
// owner (403 Access Denied).
func isForbidden(err error) bool {
	var api smithy.APIError
	if !errors.As(err, &api) {
		return false
	}
	switch api.ErrorCode() {
	case "AccessDenied", "Forbidden", "403":
		return true
	}
	return false
}

// Count is how many object versions lie under prefix ("" for the whole bucket); 0 when
// the bucket does not exist.
func (a *Artifacts) Count(ctx context.Context, prefix string) (int, error) {
	n := 0
	p := s3.NewListObjectVersionsPaginator(a.api, &s3.ListObjectVersionsInput{Bucket: aws.String(a.Bucket), Prefix: aws.String(prefix), ExpectedBucketOwner: aws.String(a.Owner)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			if IsNoSuchBucket(err) {
				return 0, nil
			}
			return 0, fmt.Errorf("list artifacts: %w", err)
		}
		n += len(page.Versions) + len(page.DeleteMarkers)
	}
	return n, nil
}

// Exists reports whether the bucket exists and is the account's.
func (a *Artifacts) Exists(ctx context.Context) (bool, error) {
	_, err := a.api.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(a.Bucket), ExpectedBucketOwner: aws.String(a.Owner)})
	return err == nil, nil
}

// EmptyBucket deletes every version of every object in a bucket of the account.
func EmptyBucket(ctx context.Context, api S3, bucket, owner string) (int, error) {
	n, err := deleteVersions(ctx, api, bucket, "", owner)
	if IsNoSuchBucket(err) {
		return n, nil
	}
	return n, err
}
