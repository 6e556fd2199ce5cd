package deploy

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/berthdev/berth/internal/hint"
)

// Tags berth puts on its stacks and the resources it makes outside them.
const (
	TagManaged = "berth:managed"
	TagVersion = "berth:version"
	TagEnv     = "berth:env"
	TagService = "berth:service"
)

// STS is the part of the STS API berth uses.
type STS interface {
	GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// Clients are the AWS APIs berth talks to.
type Clients struct {
	CF     CloudFormation
	S3     S3
	ECR    ECR
	STS    STS
	ECS    ECS
	ELB    ELB
	Logs   Logs
	ASG    AutoScaling
	SSM    SSM
	Region string
	// Emulated is set when an endpoint override points the SDK away from AWS; checks
	// that need real compute are then reported as skipped rather than failed.
	Emulated string
}

// Connect loads the AWS configuration the standard way (environment, shared config
// and credentials files, SSO, instance roles; AWS_ENDPOINT_URL and the per-service
// AWS_ENDPOINT_URL_<SERVICE> overrides), with region and profile when given.
func Connect(ctx context.Context, region, profile string) (*Clients, error) {
	var opts []func(*config.LoadOptions) error
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	if profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return nil, hint.Wrap(errors.New("no AWS region configured"), "pass --region, set AWS_REGION, or set region in your AWS profile")
	}
	return &Clients{
		CF:     cloudformation.NewFromConfig(cfg),
		S3:     s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = endpointOverridden() != "" }),
		ECR:    ecr.NewFromConfig(cfg),
		STS:    sts.NewFromConfig(cfg),
		ECS:    ecs.NewFromConfig(cfg),
		ELB:    elb.NewFromConfig(cfg),
		Logs:   cloudwatchlogs.NewFromConfig(cfg),
		ASG:    autoscaling.NewFromConfig(cfg),
		SSM:    ssm.NewFromConfig(cfg),
		Region: cfg.Region, Emulated: endpointOverridden(),
	}, nil
}

// endpointOverridden names the endpoint override in force, if any.
func endpointOverridden() string {
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		if (k == "AWS_ENDPOINT_URL" || strings.HasPrefix(k, "AWS_ENDPOINT_URL_")) && v != "" {
			return k + "=" + v
		}
	}
	return ""
}

// Identity is the account and caller berth acts as.
type Identity struct {
	Account, ARN, Region string
}

// WhoAmI asks STS who the credentials belong to.
func (c *Clients) WhoAmI(ctx context.Context) (Identity, error) {
	out, err := c.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return Identity{}, hint.Wrap(fmt.Errorf("AWS credentials: %w", err),
			"configure credentials (aws configure, aws sso login, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), or pass --profile")
	}
	return Identity{Account: aws.ToString(out.Account), ARN: aws.ToString(out.Arn), Region: c.Region}, nil
}
