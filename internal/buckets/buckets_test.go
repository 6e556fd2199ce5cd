package buckets

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// ownerCheckS3 answers like a fresh account's S3 and records every call's input.
type ownerCheckS3 struct {
	inputs  []any
	missing bool // HeadBucket answers 404
	objects int
}

func (f *ownerCheckS3) rec(in any) { f.inputs = append(f.inputs, in) }

func (f *ownerCheckS3) HeadBucket(_ context.Context, in *s3.HeadBucketInput, _ ...func(*s3.Options)) (*s3.HeadBucketOutput, error) {
	f.rec(in)
	if f.missing {
		return nil, &types.NotFound{}
	}
	return &s3.HeadBucketOutput{}, nil
}
func (f *ownerCheckS3) CreateBucket(_ context.Context, in *s3.CreateBucketInput, _ ...func(*s3.Options)) (*s3.CreateBucketOutput, error) {
	return &s3.CreateBucketOutput{}, nil // no ExpectedBucketOwner in CreateBucket: it makes the bucket
}
func (f *ownerCheckS3) PutBucketVersioning(_ context.Context, in *s3.PutBucketVersioningInput, _ ...func(*s3.Options)) (*s3.PutBucketVersioningOutput, error) {
	f.rec(in)
	return &s3.PutBucketVersioningOutput{}, nil
}
func (f *ownerCheckS3) PutBucketEncryption(_ context.Context, in *s3.PutBucketEncryptionInput, _ ...func(*s3.Options)) (*s3.PutBucketEncryptionOutput, error) {
	f.rec(in)
	return &s3.PutBucketEncryptionOutput{}, nil
}
func (f *ownerCheckS3) PutPublicAccessBlock(_ context.Context, in *s3.PutPublicAccessBlockInput, _ ...func(*s3.Options)) (*s3.PutPublicAccessBlockOutput, error) {
	f.rec(in)
	return &s3.PutPublicAccessBlockOutput{}, nil
}
func (f *ownerCheckS3) PutBucketTagging(_ context.Context, in *s3.PutBucketTaggingInput, _ ...func(*s3.Options)) (*s3.PutBucketTaggingOutput, error) {
	f.rec(in)
	return &s3.PutBucketTaggingOutput{}, nil
}
func (f *ownerCheckS3) PutObject(_ context.Context, in *s3.PutObjectInput, _ ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	f.rec(in)
	f.objects++
	return &s3.PutObjectOutput{}, nil
}
func (f *ownerCheckS3) ListObjectVersions(_ context.Context, in *s3.ListObjectVersionsInput, _ ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error) {
	f.rec(in)
	out := &s3.ListObjectVersionsOutput{}
	for range f.objects {
		out.Versions = append(out.Versions, types.ObjectVersion{Key: aws.String("k"), VersionId: aws.String("v")})
	}
	return out, nil
}
func (f *ownerCheckS3) DeleteObjects(_ context.Context, in *s3.DeleteObjectsInput, _ ...func(*s3.Options)) (*s3.DeleteObjectsOutput, error) {
	f.rec(in)
	f.objects = 0
	return &s3.DeleteObjectsOutput{}, nil
}
func (f *ownerCheckS3) DeleteBucket(_ context.Context, in *s3.DeleteBucketInput, _ ...func(*s3.Options)) (*s3.DeleteBucketOutput, error) {
	f.rec(in)
	return &s3.DeleteBucketOutput{}, nil
}

// The artifact bucket's name is predictable: a bucket of that name made by another
// account must never receive berth's templates, so every call names the owner.
func TestEveryArtifactCallNamesTheOwner(t *testing.T) {
	f := &ownerCheckS3{missing: true}
	a := &Artifacts{api: f, Bucket: "berth-artifacts-111122223333-eu-west-1", Owner: "111122223333", region: "eu-west-1", endpointForURL: regionalEndpoint}
	ctx := context.Background()
	if _, err := a.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Upload(ctx, "dev/berth-dev-network/", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.EmptyPrefix(ctx, "dev/"); err != nil {
		t.Fatal(err)
	}
	if len(f.inputs) < 9 {
		t.Fatalf("only %d calls recorded", len(f.inputs))
	}
	for _, in := range f.inputs {
		v := reflect.ValueOf(in).Elem().FieldByName("ExpectedBucketOwner")
		if !v.IsValid() || v.IsNil() || v.Elem().String() != "111122223333" {
			t.Errorf("%T does not name the expected owner", in)
		}
	}
}

func TestASquattedBucketIsRefused(t *testing.T) {
	a := &Artifacts{api: forbiddenS3{}, Bucket: "berth-artifacts-1-us-east-1", Owner: "1", region: "us-east-1"}
	_, err := a.Ensure(context.Background())
	if err == nil || !strings.Contains(err.Error(), "is not this account's to use") {
		t.Errorf("err %v", err)
	}
}

type forbiddenS3 struct{ S3 }

func (forbiddenS3) HeadBucket(context.Context, *s3.HeadBucketInput, ...func(*s3.Options)) (*s3.HeadBucketOutput, error) {
	return nil, &smithy.GenericAPIError{Code: "Forbidden", Message: "Forbidden"}
}

// The global s3.amazonaws.com form fails in opt-in regions and outside the aws
// partition; only an emulator gets it, since that is the one form moto reads.
func TestTemplateURLIsRegionalAndPartitionAware(t *testing.T) {
	for region, want := range map[string]string{
		"us-east-1":     "https://b-us-east-1.s3.us-east-1.amazonaws.com/dev/s/k.yml",
		"ap-east-1":     "https://b-ap-east-1.s3.ap-east-1.amazonaws.com/dev/s/k.yml",
		"cn-north-1":    "https://b-cn-north-1.s3.cn-north-1.amazonaws.com.cn/dev/s/k.yml",
		"us-gov-west-1": "https://b-us-gov-west-1.s3.us-gov-west-1.amazonaws.com/dev/s/k.yml",
	} {
		a := &Artifacts{Bucket: "b-" + region, region: region, endpointForURL: regionalEndpoint}
		if got, err := a.templateURL("dev/s/k.yml"); err != nil || got != want {
			t.Errorf("%s: %s %v, want %s", region, got, err, want)
		}
	}
	a := &Artifacts{Bucket: "b", region: "eu-west-1", emulated: true}
	if got, _ := a.templateURL("k"); got != "https://b.s3.amazonaws.com/k" {
		t.Errorf("emulator form %s", got)
	}
}
