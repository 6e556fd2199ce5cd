package deploy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
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

// BucketName is the artifact bucket: one per account and region, like sam's managed
// bucket, shared by every environment (each under its own prefix).
func BucketName(account, region string) string {
	return fmt.Sprintf("berth-artifacts-%s-%s", account, region)
}

// ensureBucket creates the bucket if it is missing: versioned, encrypted, with public
// access blocked. It reports whether it created it.
func ensureBucket(ctx context.Context, api S3, bucket, region string) (bool, error) {
	if _, err := api.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)}); err == nil {
		return false, nil
	}
	in := &s3.CreateBucketInput{Bucket: aws.String(bucket)}
	if region != "us-east-1" {
		in.CreateBucketConfiguration = &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraint(region)}
	}
	if _, err := api.CreateBucket(ctx, in); err != nil {
		var owned *types.BucketAlreadyOwnedByYou
		if !errors.As(err, &owned) {
			return false, fmt.Errorf("create artifact bucket %s: %w", bucket, err)
		}
	}
	steps := []func() error{
		func() error {
			_, err := api.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: aws.String(bucket),
				PublicAccessBlockConfiguration: &types.PublicAccessBlockConfiguration{
					BlockPublicAcls: aws.Bool(true), IgnorePublicAcls: aws.Bool(true),
					BlockPublicPolicy: aws.Bool(true), RestrictPublicBuckets: aws.Bool(true)}})
			return err
		},
		func() error {
			_, err := api.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: aws.String(bucket),
				ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{Rules: []types.ServerSideEncryptionRule{{
					ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryptionAes256}}}}})
			return err
		},
		func() error {
			_, err := api.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(bucket),
				VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}})
			return err
		},
		func() error {
			_, err := api.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: aws.String(bucket),
				Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String(TagManaged), Value: aws.String("true")}}}})
			return err
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return true, fmt.Errorf("configure artifact bucket %s: %w", bucket, err)
		}
	}
	return true, nil
}

// upload puts a template under a content-addressed key and returns its TemplateURL.
// The URL is the virtual-hosted global form, which CloudFormation accepts for a bucket
// in the stack's region (and the only form moto reads).
func upload(ctx context.Context, api S3, bucket, env, stack string, body []byte) (string, error) {
	sum := sha256.Sum256(body)
	key := fmt.Sprintf("%s%s.yml", artifactPrefix(env, stack), hex.EncodeToString(sum[:8]))
	_, err := api.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)})
	if err != nil {
		return "", fmt.Errorf("upload %s template: %w", stack, err)
	}
	return fmt.Sprintf("https://%s.s3.amazonaws.com/%s", bucket, key), nil
}

// artifactPrefix is where the templates of one stack go: under the environment, so that
// deleting an environment empties one prefix, and under the stack, so that deleting one
// service leaves the others' templates.
func artifactPrefix(env, stack string) string { return env + "/" + stack + "/" }

// emptyPrefix deletes every version of every object under prefix, and the bucket too
// when nothing else is left in it. It reports how many objects it removed.
func emptyPrefix(ctx context.Context, api S3, bucket, prefix string) (int, bool, error) {
	removed := 0
	p := s3.NewListObjectVersionsPaginator(api, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			if isNoSuchBucket(err) {
				return 0, false, nil // nothing left to delete
			}
			return removed, false, fmt.Errorf("list artifacts: %w", err)
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
		if _, err := api.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)}}); err != nil {
			return removed, false, fmt.Errorf("delete artifacts: %w", err)
		}
		removed += len(ids)
	}
	rest, err := api.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), MaxKeys: aws.Int32(1)})
	if err != nil || len(rest.Versions)+len(rest.DeleteMarkers) > 0 {
		return removed, false, nil // other environments still use it
	}
	if _, err := api.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)}); err != nil {
		return removed, false, fmt.Errorf("delete artifact bucket: %w", err)
	}
	return removed, true, nil
}

// isNoSuchBucket: S3 models NoSuchBucket as a type for some operations only; the others
// answer with the bare error code.
func isNoSuchBucket(err error) bool {
	var nf *types.NoSuchBucket
	var api smithy.APIError
	return errors.As(err, &nf) || errors.As(err, &api) && api.ErrorCode() == "NoSuchBucket"
}
