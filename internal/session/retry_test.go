package session

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
)

func connectTo(t *testing.T, endpoint string) *Session {
	t.Helper()
	for k, v := range map[string]string{"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
		"AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_PROFILE": "", "AWS_RETRY_MODE": "", "AWS_MAX_ATTEMPTS": "",
		APILogEnv: ""} {
		t.Setenv(k, v)
	}
	s, err := Connect(context.Background(), "us-east-1", "")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Every client retries in the SDK's adaptive mode, with attempts enough for a
// throttled account.
func TestRetriesAreAdaptive(t *testing.T) {
	s := connectTo(t, "http://127.0.0.1:1")
	if s.cfg.RetryMode != aws.RetryModeAdaptive || s.cfg.RetryMaxAttempts != 10 {
		t.Errorf("retry mode %q, %d attempts; want adaptive, 10", s.cfg.RetryMode, s.cfg.RetryMaxAttempts)
	}
	if o := s.CF.Options(); o.RetryMode != aws.RetryModeAdaptive || o.RetryMaxAttempts != 10 || o.Retryer.MaxAttempts() != 10 {
		t.Errorf("CloudFormation client: %q, %d, retryer %d attempts", o.RetryMode, o.RetryMaxAttempts, o.Retryer.MaxAttempts())
	}
	// what the user configured is kept
	t.Setenv("AWS_MAX_ATTEMPTS", "4")
	s, err := Connect(context.Background(), "us-east-1", "")
	if err != nil || s.cfg.RetryMaxAttempts != 4 {
		t.Errorf("AWS_MAX_ATTEMPTS=4 gave %d attempts (%v)", s.cfg.RetryMaxAttempts, err)
	}
}

// CloudFormation answers a busy account "Throttling: Rate exceeded"; the call is
// retried, and succeeds, rather than failing the deploy.
func TestThrottlingIsRetried(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		if calls.Add(1) <= 3 { // three times: more than the SDK's default three attempts take
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type>` +
				`<Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>1</RequestId></ErrorResponse>`))
			return
		}
		w.Write([]byte(`<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member>` +
			`<StackName>berth-dev-network</StackName><StackStatus>CREATE_COMPLETE</StackStatus></member></Stacks></DescribeStacksResult>` +
			`<ResponseMetadata><RequestId>2</RequestId></ResponseMetadata></DescribeStacksResponse>`))
	}))
	defer srv.Close()
	s := connectTo(t, srv.URL)
	out, err := s.CF.DescribeStacks(context.Background(), &cloudformation.DescribeStacksInput{StackName: aws.String("berth-dev-network")})
	if err != nil {
		t.Fatalf("throttled three times, then answered: %v", err)
	}
	if calls.Load() != 4 || len(out.Stacks) != 1 || aws.ToString(out.Stacks[0].StackName) != "berth-dev-network" {
		t.Errorf("%d calls, %+v", calls.Load(), out.Stacks)
	}
}
