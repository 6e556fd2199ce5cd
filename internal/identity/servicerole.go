package identity

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// IAM is the part of the IAM API berth calls itself.
type IAM interface {
	GetRole(context.Context, *iam.GetRoleInput, ...func(*iam.Options)) (*iam.GetRoleOutput, error)
	CreateServiceLinkedRole(context.Context, *iam.CreateServiceLinkedRoleInput, ...func(*iam.Options)) (*iam.CreateServiceLinkedRoleOutput, error)
}

// ecsServiceLinkedRole is the role ECS acts through to manage capacity providers and
// tasks' network interfaces.
const ecsServiceLinkedRole = "AWSServiceRoleForECS"

// EnsureECSServiceRole creates the ECS service-linked role in an account that has never
// used ECS. ECS creates it itself on the first CreateCluster, but assumes it before IAM
// has propagated it, so the first cluster (or capacity provider) of a fresh account
// fails with "Unable to assume the service linked role" / "ECS Service Linked Role does
// not exist" (aws-cloudformation/cloudformation-coverage-roadmap#818,
// hashicorp/terraform-provider-aws#15452). Made before the network stack, it has the
// minutes that stack takes to propagate.
func EnsureECSServiceRole(ctx context.Context, api IAM, say func(string)) error {
	_, err := api.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(ecsServiceLinkedRole)})
	var missing *types.NoSuchEntityException
	switch {
	case err == nil:
		return nil
	case !errors.As(err, &missing):
		return fmt.Errorf("look for the ECS service-linked role: %w", err)
	}
	_, err = api.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("ecs.amazonaws.com")})
	// AWS answers InvalidInput "...has been taken in this account" when it exists (moto:
	// EntityAlreadyExists): made meanwhile, or under a name GetRole did not find; what
	// matters is that it exists
	var invalid *types.InvalidInputException
	var exists *types.EntityAlreadyExistsException
	if errors.As(err, &exists) || errors.As(err, &invalid) && strings.Contains(aws.ToString(invalid.Message), "has been taken") {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create the ECS service-linked role (aws iam create-service-linked-role --aws-service-name ecs.amazonaws.com): %w", err)
	}
	say("created the ECS service-linked role " + ecsServiceLinkedRole + " (this account had not used ECS yet)")
	return nil
}
