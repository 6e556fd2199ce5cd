// Package registry puts the images berth builds into the service's ECR repository:
// the repository made (immutable tags, scan on push) or found, the image pushed by
// content, the repository removed with its service. A ko-like "publish" step: it does
// not build (that is package image) and knows no stack.
//
// It must not import any package of the AWS path above it (stacks, deploy, ...).
package registry

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/berthdev/berth/internal/hint"
	"github.com/berthdev/berth/internal/manifest"
	"github.com/berthdev/berth/internal/names"
	"github.com/berthdev/berth/internal/session"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// ECR is the part of the ECR API berth uses.
type ECR interface {
	DescribeRepositories(context.Context, *ecr.DescribeRepositoriesInput, ...func(*ecr.Options)) (*ecr.DescribeRepositoriesOutput, error)
	CreateRepository(context.Context, *ecr.CreateRepositoryInput, ...func(*ecr.Options)) (*ecr.CreateRepositoryOutput, error)
	GetAuthorizationToken(context.Context, *ecr.GetAuthorizationTokenInput, ...func(*ecr.Options)) (*ecr.GetAuthorizationTokenOutput, error)
	DeleteRepository(context.Context, *ecr.DeleteRepositoryInput, ...func(*ecr.Options)) (*ecr.DeleteRepositoryOutput, error)
	ListTagsForResource(context.Context, *ecr.ListTagsForResourceInput, ...func(*ecr.Options)) (*ecr.ListTagsForResourceOutput, error)
	ListImages(context.Context, *ecr.ListImagesInput, ...func(*ecr.Options)) (*ecr.ListImagesOutput, error)
}

// RegistryEnv overrides the host images are pushed to, keeping the repository path:
// for emulators whose ECR API is not a registry (moto, LocalStack), as AWS_ENDPOINT_URL
// does for the APIs. The templates still name the ECR repository.
const RegistryEnv = "BERTH_ECR_REGISTRY"

// Ensure finds or creates the repository (immutable tags, scan on push,
// encrypted, tagged as berth's) and returns its URI and ARN.
func Ensure(ctx context.Context, api ECR, repo, env string) (uri, arn string, err error) {
	out, err := api.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{repo}})
	if err == nil && len(out.Repositories) > 0 {
		r := out.Repositories[0]
		return aws.ToString(r.RepositoryUri), aws.ToString(r.RepositoryArn), nil
	}
	var nf *types.RepositoryNotFoundException
	if err != nil && !errors.As(err, &nf) {
		return "", "", fmt.Errorf("describe repository %s: %w", repo, err)
	}
	created, err := api.CreateRepository(ctx, &ecr.CreateRepositoryInput{
		RepositoryName:             aws.String(repo),
		ImageTagMutability:         types.ImageTagMutabilityImmutable,
		ImageScanningConfiguration: &types.ImageScanningConfiguration{ScanOnPush: true},
		EncryptionConfiguration:    &types.EncryptionConfiguration{EncryptionType: types.EncryptionTypeAes256},
		Tags:                       []types.Tag{{Key: aws.String(names.TagManaged), Value: aws.String("true")}, {Key: aws.String(names.TagEnv), Value: aws.String(env)}},
	})
	if err != nil {
		return "", "", fmt.Errorf("create repository %s: %w", repo, err)
	}
	return aws.ToString(created.Repository.RepositoryUri), aws.ToString(created.Repository.RepositoryArn), nil
}

// Push writes img to the repository under tag and returns the reference the service
// runs: the repository by digest, so that a task never runs a moved tag.
func Push(ctx context.Context, api ECR, img v1.Image, uri, tag string) (string, error) {
	digest, err := img.Digest()
	if err != nil {
		return "", err
	}
	target := uri
	if host := os.Getenv(RegistryEnv); host != "" {
		_, path, _ := strings.Cut(uri, "/")
		target = host + "/" + path
	}
	ref, err := name.NewTag(target+":"+tag, name.WeakValidation)
	if err != nil {
		return "", fmt.Errorf("image reference %s: %w", target, err)
	}
	auth, err := ecrAuth(ctx, api)
	if err != nil {
		return "", err
	}
	if err := remote.Write(ref, img, remote.WithAuth(auth), remote.WithContext(ctx), remote.WithTransport(registryTransport())); err != nil {
		return "", fmt.Errorf("push %s: %w", ref, err)
	}
	return uri + "@" + digest.String(), nil
}

func ecrAuth(ctx context.Context, api ECR) (authn.Authenticator, error) {
	out, err := api.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		return nil, fmt.Errorf("get ECR credentials: %w", err)
	}
	if len(out.AuthorizationData) == 0 {
		return authn.Anonymous, nil
	}
	raw, err := base64.StdEncoding.DecodeString(aws.ToString(out.AuthorizationData[0].AuthorizationToken))
	if err != nil {
		return nil, fmt.Errorf("decode ECR credentials: %w", err)
	}
	user, pass, _ := strings.Cut(string(raw), ":")
	return &authn.Basic{Username: user, Password: pass}, nil
}

// Images counts the images of the repository, if berth created it.
func Images(ctx context.Context, api ECR, repo string) (int, bool, error) {
	if mine, err := berthRepository(ctx, api, repo); err != nil || !mine {
		return 0, false, err
	}
	n := 0
	p := ecr.NewListImagesPaginator(api, &ecr.ListImagesInput{RepositoryName: aws.String(repo)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return 0, true, fmt.Errorf("list the images of %s: %w", repo, err)
		}
		n += len(page.ImageIds)
	}
	return n, true, nil
}

// berthRepository reports whether repo exists and berth made it (its tag says so).
func berthRepository(ctx context.Context, api ECR, repo string) (bool, error) {
	out, err := api.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{repo}})
	if err != nil || len(out.Repositories) == 0 {
		return false, nil
	}
	tags, err := api.ListTagsForResource(ctx, &ecr.ListTagsForResourceInput{ResourceArn: out.Repositories[0].RepositoryArn})
	if err != nil {
		return false, fmt.Errorf("read tags of repository %s: %w", repo, err)
	}
	for _, t := range tags.Tags {
		if aws.ToString(t.Key) == names.TagManaged && aws.ToString(t.Value) == "true" {
			return true, nil
		}
	}
	return false, nil
}

// Delete removes the repository if berth created it (its tag says so).
func Delete(ctx context.Context, api ECR, repo string) (bool, error) {
	if mine, err := berthRepository(ctx, api, repo); err != nil || !mine {
		return false, err
	}
	if _, err := api.DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RepositoryName: aws.String(repo), Force: true}); err != nil {
		return false, fmt.Errorf("delete repository %s: %w", repo, err)
	}
	return true, nil
}

// registryTransport is go-containerregistry's, with a bound on how long the registry may
// take to start answering: a registry that accepts and never answers fails the push.
func registryTransport() http.RoundTripper {
	t, ok := remote.DefaultTransport.(*http.Transport)
	if !ok {
		return remote.DefaultTransport
	}
	t = t.Clone()
	t.ResponseHeaderTimeout = time.Minute
	return t
}

// ContentTag names an image by its content. ECR tags are immutable (berth makes the
// repository so), and a tag must therefore never name two images: one derived from the
// image's digest cannot, whichever machine rebuilt it.
func ContentTag(img v1.Image) (string, error) {
	d, err := img.Digest()
	if err != nil {
		return "", err
	}
	return "sha256-" + d.Hex[:16], nil
}

// CheckArch refuses an image the instances cannot run: a Dockerfile built on an Apple
// Silicon laptop is arm64, a c5 instance is amd64, and the tasks would die with "exec
// format error" only once deployed.
func CheckArch(img v1.Image, arch string, m *manifest.Manifest) error {
	cf, err := img.ConfigFile()
	if err != nil {
		return fmt.Errorf("read the image's configuration: %w", err)
	}
	if cf.Architecture == arch && (cf.OS == "linux" || cf.OS == "") {
		return nil
	}
	return hint.Wrap(fmt.Errorf("the image is built for %s/%s, but %s instances run linux/%s: the tasks would fail with \"exec format error\"",
		cf.OS, cf.Architecture, m.Capacity.InstanceType, arch),
		"build it for linux/"+arch+" (a FROM image that has that platform, or FROM --platform=linux/"+arch+"), or choose an instance type of the image's architecture")
}

// URI is the repository's URI: as ECR gives it when the repository exists,
// else as ECR will (account.dkr.ecr.region.<the partition's domain>/name), so that a
// plan can name the image before anything is created.
func URI(ctx context.Context, api ECR, id session.Identity, repo string) (string, error) {
	out, err := api.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{repo}})
	if err == nil && len(out.Repositories) > 0 {
		return aws.ToString(out.Repositories[0].RepositoryUri), nil
	}
	var nf *types.RepositoryNotFoundException
	if err != nil && !errors.As(err, &nf) {
		return "", fmt.Errorf("describe repository %s: %w", repo, err)
	}
	domain := "amazonaws.com"
	if session.PartitionOf(id.Region) == "aws-cn" {
		domain = "amazonaws.com.cn"
	}
	return fmt.Sprintf("%s.dkr.ecr.%s.%s/%s", id.Account, id.Region, domain, repo), nil
}

// Hint explains a push that fails against an emulator, whose ECR API has no
// registry behind it.
func Hint(err error, emulated string) error {
	if emulated != "" && os.Getenv(RegistryEnv) == "" {
		return hint.Wrap(err, "the endpoint override ("+emulated+") has an ECR API but no image registry: set "+RegistryEnv+"=host:port to push to a registry of your own")
	}
	return err
}
