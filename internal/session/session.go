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
	cwschemas "github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"
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
	// CW reads the service's metrics and alarms (berth status).
	CW  *cloudwatch.Client
	ASG *autoscaling.Client
	SSM *ssm.Client
	SM  *secretsmanager.Client
	IAM *iam.Client
	// Route53 and ACM serve a service's domain.
	Route53 *route53.Client
	ACM     *acm.Client
	Region  string
	// Emulated is set when an endpoint override points the SDK away from AWS; checks
	// that need real compute are then reported as skipped rather than failed.
	Emulated string
}

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
		CW:   cloudwatch.NewFromConfig(cfg, cloudWatchProtocol),
		ASG:  autoscaling.NewFromConfig(cfg),
		SSM:  ssm.NewFromConfig(cfg),
		SM:   secretsmanager.NewFromConfig(cfg),
		IAM:  iam.NewFromConfig(cfg),
		// Route 53 is a global service: the SDK resolves its one endpoint from any region
		Route53: route53.NewFromConfig(cfg),
		ACM:     acm.NewFromConfig(cfg),
		Region:  cfg.Region, Emulated: EndpointOverridden(),
	}, nil
}

// cloudWatchProtocol keeps the SDK's protocol for CloudWatch (Smithy RPC v2 CBOR) on
// AWS, and speaks AWS Query, which CloudWatch still serves beside it (the SDK's
// changelog, v1.53.0: "introduces two additional protocols AWS JSON 1.1 and Smithy
// RPC v2 CBOR"; the service is awsQueryCompatible), to an endpoint override: the
// emulator knows only AWS Query.
func cloudWatchProtocol(o *cloudwatch.Options) {
	if EndpointOverridden() != "" {
		o.Protocol = awsquery.New(cwschemas.GraniteServiceVersion20100801)
	}
}

// Timeouts of every AWS call: an endpoint that accepts a connection and never answers
// fails the call instead of hanging berth. Each API call is retried by the SDK (three
// attempts), so a dead endpoint costs at most about a minute mid-session; the first call,
// WhoAmI, is bounded as a whole by identityTimeout.
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
	out, err := c.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
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
