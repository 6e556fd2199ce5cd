package session

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
)

// IAMAction is the IAM action of one SDK call: mostly "service:Operation", with the
// exceptions where the API and IAM name them differently.
func IAMAction(serviceID, operation string) string {
	prefix := map[string]string{
		"CloudFormation": "cloudformation", "S3": "s3", "ECR": "ecr", "STS": "sts", "ECS": "ecs",
		"Elastic Load Balancing v2": "elasticloadbalancing", "CloudWatch Logs": "logs", "Auto Scaling": "autoscaling",
		"SSM": "ssm", "IAM": "iam", "Secrets Manager": "secretsmanager",
	}[serviceID]
	if prefix == "" {
		prefix = strings.ToLower(strings.ReplaceAll(serviceID, " ", ""))
	}
	renamed := map[string]string{
		"s3:HeadBucket": "s3:ListBucket", "s3:ListObjectVersions": "s3:ListBucketVersions",
		"s3:PutBucketEncryption": "s3:PutEncryptionConfiguration", "s3:PutPublicAccessBlock": "s3:PutBucketPublicAccessBlock",
		"s3:DeleteObjects": "s3:DeleteObject", "s3:HeadObject": "s3:GetObject",
	}
	a := prefix + ":" + operation
	if r, ok := renamed[a]; ok {
		return r
	}
	return a
}

// APILogEnv names a file to which berth appends every AWS call it makes, one
// "service:operation" per line: to see what a command does to an account, and how the
// tests prove the IAM policy covers every call.
const APILogEnv = "BERTH_API_LOG"

var apiLogMu sync.Mutex

// apiLogger is an SDK middleware that records each call's IAM action.
func apiLogger(file string) func(*middleware.Stack) error {
	return func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("berthAPILog",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				line := IAMAction(awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx)) + "\n"
				apiLogMu.Lock()
				if f, err := os.OpenFile(file, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
					fmt.Fprint(f, line)
					f.Close()
				}
				apiLogMu.Unlock()
				return next.HandleInitialize(ctx, in)
			}), middleware.After)
	}
}
