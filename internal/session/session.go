// Package session is how berth reaches AWS: the configuration the SDK loads (profile,
// region, endpoint overrides), the SDK clients built from it, who the credentials
// belong to, the log of every call berth makes (BERTH_API_LOG), and the short-lived
// credentials "berth up --aws-profile" hands to local replicas.
//
// It is the bottom of the AWS path: it must not import any other berth package but
// hint.
package session

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/servicequotas"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/berthdev/berth/internal/hint"
)

// Session holds the SDK clients of the AWS APIs berth talks to. The packages that call
// them take narrow interfaces of their own, which these clients satisfy.
type Session struct {
	CF   *cloudformation.Client
	S3   *s3.Client
	ECR  *ecr.Client
	STS  *sts.Client
	ECS  *ecs.Client
	ELB  *elb.Client
	Logs *cloudwatchlogs.Client
	CW   *cloudwatch.Client // the alarms of a rollout
	ASG  *autoscaling.Client
	SSM  *ssm.Client
	SM   *secretsmanager.Client
	IAM  *iam.Client
	// Route53 and ACM serve a service's domain.
	Route53 *route53.Client
	ACM     *acm.Client
	// EC2 reads an existing network (network.vpc) before a deploy.
	EC2 *EC2
	// SQ reads the account's quotas (Service Quotas), checked before a deploy.
	SQ     *servicequotas.Client
	Region string
	// Emulated is set when an endpoint override points the SDK away from AWS; checks
	// that need real compute are then reported as skipped rather than failed.
	Emulated string

	cfg aws.Config
}

// Retries of every AWS call. A busy account throttles: CloudFormation's Describe*
// calls share a per-account rate with every other tool and console of the account, and
// ECS's too. The SDK's adaptive mode retries throttling with backoff and, once
// throttled, slows berth's own requests to the rate the service accepts (client-side
// rate limiting); the SDK's default three attempts are too few for a throttled
// account, so berth makes up to ten. "Retries and Timeouts", AWS SDK for Go v2
// developer guide (aws.github.io/aws-sdk-go-v2/docs/configuring-sdk/retries-timeouts);
// "Retry behavior", AWS SDKs and Tools reference guide: adaptive mode suits a
// single-tenant, throttling-heavy, latency-tolerant client, which a deploy tool is. A
// mode or a number of attempts the user configured (AWS_RETRY_MODE, AWS_MAX_ATTEMPTS,
// retry_mode and max_attempts in the profile) is kept.
const (
	retryMode        = aws.RetryModeAdaptive
	retryMaxAttempts = 10
)

// Connect loads the AWS configuration the standard way (environment, shared config
// and credentials files, SSO, instance roles; AWS_ENDPOINT_URL and the per-service
// AWS_ENDPOINT_URL_<SERVICE> overrides), with region and profile when given.
func Connect(ctx context.Context, region, profile string) (*Session, error) {
	var opts []func(*config.LoadOptions) error
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	if profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(profile))
	}
	opts = append(opts, config.WithHTTPClient(HTTPClient()))
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	var noProfile config.SharedConfigProfileNotExistError
	if errors.As(err, &noProfile) {
		return nil, hint.Wrap(fmt.Errorf("AWS profile %q is not in your AWS config or credentials files", noProfile.Profile),
			"list the profiles with \"aws configure list-profiles\", or create it with \"aws configure --profile "+noProfile.Profile+"\"")
	}
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.RetryMode == "" {
		cfg.RetryMode = retryMode
	}
	if cfg.RetryMaxAttempts == 0 {
		cfg.RetryMaxAttempts = retryMaxAttempts
	}
	if file := os.Getenv(APILogEnv); file != "" {
		cfg.APIOptions = append(cfg.APIOptions, apiLogger(file))
	}
	if cfg.Region == "" {
		return nil, hint.Wrap(errors.New("no AWS region configured"), "pass --region, set AWS_REGION, or set region in your AWS profile")
	}
	from := "--region"
	if region == "" {
		from = "the region of your AWS configuration (AWS_REGION or the profile)"
	}
	if err := CheckRegion(cfg.Region, from); err != nil {
		return nil, err
	}
	return &Session{
		CF:   cloudformation.NewFromConfig(cfg),
		S3:   s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = EndpointOverridden() != "" }),
		ECR:  ecr.NewFromConfig(cfg),
		STS:  sts.NewFromConfig(cfg),
		ECS:  ecs.NewFromConfig(cfg),
		ELB:  elb.NewFromConfig(cfg),
		Logs: cloudwatchlogs.NewFromConfig(cfg),
		CW:   cloudwatch.NewFromConfig(cfg),
		ASG:  autoscaling.NewFromConfig(cfg),
		SSM:  ssm.NewFromConfig(cfg),
		SM:   secretsmanager.NewFromConfig(cfg),
		IAM:  iam.NewFromConfig(cfg),
		// Route 53 is a global service: the SDK resolves its one endpoint from any region
		Route53: route53.NewFromConfig(cfg),
		ACM:     acm.NewFromConfig(cfg),
		EC2:     newEC2(ec2.NewFromConfig(cfg)),
		SQ:      servicequotas.NewFromConfig(cfg),
		Region:  cfg.Region, Emulated: EndpointOverridden(), cfg: cfg,
	}, nil
}

// Regions are the regions enabled for the account (ec2:DescribeRegions answers those:
// opted in, or on by default), where certificates of the account may live. The EC2
// client is made here and only called, never kept behind an interface: that keeps the
// rest of the large EC2 API out of the binary.
func (s *Session) Regions(ctx context.Context) ([]string, error) {
	out, err := ec2.NewFromConfig(s.cfg).DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
	if err != nil {
		return nil, err
	}
	regions := make([]string, 0, len(out.Regions))
	for _, r := range out.Regions {
		regions = append(regions, aws.ToString(r.RegionName))
	}
	return regions, nil
}

// ACMIn is a Certificate Manager client for another region of the account: ACM
// certificates are regional, and CloudFront's live in us-east-1.
func (s *Session) ACMIn(region string) *acm.Client {
	if region == s.Region {
		return s.ACM
	}
	return acm.NewFromConfig(s.cfg, func(o *acm.Options) { o.Region = region })
}

// CFIn is a CloudFormation client for another region of the account: a service with
// CloudFront in front has a stack in us-east-1, where CloudFront's certificates and web
// ACLs are made.
func (s *Session) CFIn(region string) *cloudformation.Client {
	if region == s.Region {
		return s.CF
	}
	return cloudformation.NewFromConfig(s.cfg, func(o *cloudformation.Options) { o.Region = region })
}

// Timeouts of every AWS call: an endpoint that accepts a connection and never answers
// fails the call instead of hanging berth. Each API call is retried by the SDK (see
// retryMaxAttempts), so a dead endpoint costs minutes mid-session (Ctrl-C then says
// what goes on); the first call, WhoAmI, is bounded as a whole by identityTimeout.
const (
	dialTimeout     = 5 * time.Second
	headerTimeout   = 20 * time.Second
	identityTimeout = 15 * time.Second
)

// HTTPClient bounds every AWS call: see the timeouts above.
func HTTPClient() *awshttp.BuildableClient {
	return awshttp.NewBuildableClient().
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = dialTimeout }).
		WithTransportOptions(func(t *http.Transport) {
			t.TLSHandshakeTimeout = 10 * time.Second
			t.ResponseHeaderTimeout = headerTimeout
		})
}

// EndpointOverridden names the endpoint override in force, if any.
func EndpointOverridden() string {
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		if (k == "AWS_ENDPOINT_URL" || strings.HasPrefix(k, "AWS_ENDPOINT_URL_")) && v != "" {
			return k + "=" + v
		}
	}
	return ""
}

// Open connects (Connect) and asks who the credentials belong to (WhoAmI): what every
// AWS command does first.
func Open(ctx context.Context, region, profile string) (*Session, Identity, error) {
	s, err := Connect(ctx, region, profile)
	if err != nil {
		return nil, Identity{}, err
	}
	id, err := s.WhoAmI(ctx)
	return s, id, err
}

// Identity is the account and caller berth acts as.
type Identity struct {
	Account, ARN, Region string
}

// WhoAmI asks STS who the credentials belong to. It is every AWS command's first call,
// so it is where an unreachable endpoint shows: that is told apart from missing or
// refused credentials, which need another remedy.
func (c *Session) WhoAmI(ctx context.Context) (Identity, error) {
	ctx, cancel := context.WithTimeout(ctx, identityTimeout)
	defer cancel()
	// three attempts, the SDK's default, not retryMaxAttempts: this call is where an
	// endpoint that refuses connections is found, and said, at once
	out, err := c.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}, func(o *sts.Options) { o.RetryMaxAttempts = 3 })
	if err != nil {
		return Identity{}, identityError(err, c.stsEndpoint(), c.Emulated)
	}
	return Identity{Account: aws.ToString(out.Account), ARN: aws.ToString(out.Arn), Region: c.Region}, nil
}

func identityError(err error, endpoint, override string) error {
	h := "check the network and any proxy (HTTPS_PROXY)"
	if override != "" {
		h = "check the endpoint override " + override + ": is the emulator running there?"
	}
	var api smithy.APIError
	var send *smithyhttp.RequestSendError
	switch {
	case errors.Is(err, context.Canceled):
		return err
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return hint.Wrap(fmt.Errorf("the AWS endpoint %s did not answer within %s", endpoint, identityTimeout), h)
	case errors.As(err, &send):
		return hint.Wrap(fmt.Errorf("the AWS endpoint %s could not be reached: %w", endpoint, RootCause(err)), h)
	case errors.As(err, &api):
		return hint.Wrap(fmt.Errorf("AWS credentials: %w", err),
			"the credentials were refused: refresh them (aws sso login, aws configure), or pass --profile")
	}
	return hint.Wrap(fmt.Errorf("AWS credentials: %w", err),
		"configure credentials (aws configure, aws sso login, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), or pass --profile")
}

// stsEndpoint is where WhoAmI asks, for messages.
func (c *Session) stsEndpoint() string {
	for _, k := range []string{"AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return "https://sts." + c.Region + ".amazonaws.com"
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// RootCause is the innermost error: the SDK's wrapping says nothing the message does
// not already say.
func RootCause(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}

// PartitionOf is the partition of a region.
func PartitionOf(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

// ConfiguredRegion is the region of the AWS configuration (AWS_REGION, the profile),
// without credentials or a call: "" when none is set.
func ConfiguredRegion(ctx context.Context) string {
	if ctx == nil {
		ctx = context.Background()
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return os.Getenv("AWS_REGION")
	}
	return cfg.Region
}

// Poll is how often berth asks for news of an operation: an emulator answers at once.
func (s *Session) Poll() time.Duration {
	if s.Emulated != "" {
		return 100 * time.Millisecond
	}
	return 2 * time.Second
}
