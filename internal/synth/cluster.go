package synth

import (
	"fmt"
	"strings"

	"github.com/berthdev/berth/internal/cfn"
	"github.com/berthdev/berth/internal/manifest"
	"github.com/berthdev/berth/internal/synth/iam"
)

// cluster is the capacity of one environment: the ECS cluster and either EC2 instances
// launched by an Auto Scaling group that an ECS capacity provider scales (the
// reference), or AWS Fargate's capacity providers.
func cluster(m *manifest.Manifest) *cfn.Template {
	if m.Capacity.IsFargate() {
		return fargateCluster(m)
	}
	return ec2Cluster(m)
}

// ec2Cluster runs the tasks on EC2 instances in the tasks' subnets.
//
// Teardown hazard (docs/architecture.md): managed termination protection can leave instances
// protected after the service is gone, and the group then never deletes. The reference
// force-deletes the group from a Lambda custom resource; berth keeps Lambda out of the
// template and solves it in the delete path: lift the instances' scale-in protection
// and empty the group before deleting this stack (docs/architecture.md, "Teardown hazard").
func ec2Cluster(m *manifest.Manifest) *cfn.Template {
	where := "the private subnets"
	if m.Network.Public() {
		where = "the public subnets"
	}
	t := &cfn.Template{Description: "berth cluster: ECS cluster, EC2 capacity provider over an Auto Scaling group in " + where + " (generated from berth.yml)"}
	t.Metadata.Set(MetadataKey, map[string]any{"settings": ClusterSettings(m)})
	t.Parameters.Set(ParamEnv, envParameter())
	t.Parameters.Set(OutVpcID, networkParameter(m, OutVpcID, "VPC of the environment"))
	t.Parameters.Set(OutTaskSubnets, networkParameter(m, OutTaskSubnets, "Subnets the instances run in"))
	t.Parameters.Set("InstanceType", cfn.Parameter{
		Type: "String", Description: "EC2 instance type of the container instances", Default: m.Capacity.InstanceType,
		AllowedPattern: `^[a-z][a-z0-9-]*\.[a-z0-9]+$`, ConstraintDescription: "an instance type such as c5.xlarge",
	})
	t.Parameters.Set(ParamDesiredCapacity, cfn.Parameter{
		Type: "Number", Description: "Instances to start with; 0 lets the capacity provider launch them when tasks need them", Default: m.Capacity.Desired, MinValue: cfn.Int(0),
	})
	t.Parameters.Set("MaxSize", cfn.Parameter{Type: "Number", Description: "Most instances the capacity provider may launch", Default: m.Capacity.Max, MinValue: cfn.Int(1)})
	t.Parameters.Set(ParamAmiID, amiParameter(m.Capacity.AMI))
	t.Conditions.Set("HasDesiredCapacity", cfn.Not(cfn.Equals(cfn.Ref("DesiredCapacity"), 0)))

	t.Resources.Set("Cluster", ecsCluster())
	t.Resources.Set("InstanceRole", instanceRole())
	t.Resources.Set("InstanceProfile", cfn.Resource{Type: "AWS::IAM::InstanceProfile", Properties: map[string]any{"Roles": []any{cfn.Ref("InstanceRole")}}})
	t.Resources.Set("HostSecurityGroup", hostSecurityGroup(m))
	t.Resources.Set("LaunchTemplate", launchTemplate(m))
	t.Resources.Set(ResAutoScalingGroup, autoScalingGroup())
	t.Resources.Set("CapacityProvider", capacityProvider())
	t.Resources.Set("ClusterCapacityProviders", associations([]any{cfn.Ref("CapacityProvider")}, cfn.Ref("CapacityProvider")))
	t.Resources.Set("ExecutionRole", executionRole())

	t.Outputs.Set(OutClusterName, output("ECS cluster name", cfn.Ref("Cluster")))
	t.Outputs.Set(OutExecutionRoleArn, output("Task execution role", cfn.GetAtt("ExecutionRole.Arn")))
	t.Outputs.Set(OutCapacityProvider, output("Capacity provider name", cfn.Ref("CapacityProvider")))
	t.Outputs.Set(OutHostSecurityGroup, output("Security group of the container instances", cfn.GetAtt("HostSecurityGroup.GroupId")))
	t.Outputs.Set(OutAutoScalingGroup, output("Auto Scaling group behind the capacity provider", cfn.Ref("AutoScalingGroup")))
	return t
}

// fargateCluster runs the tasks on AWS Fargate: no instance, launch template, Auto
// Scaling group or instance role. The cluster gets both Fargate capacity providers,
// which every account has and which only need associating, with the manifest's as the
// default strategy (docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-capacity-providers.html).
func fargateCluster(m *manifest.Manifest) *cfn.Template {
	provider := FargateProvider(m)
	t := &cfn.Template{Description: "berth cluster: ECS cluster on AWS Fargate (" + provider + ") (generated from berth.yml)"}
	t.Metadata.Set(MetadataKey, map[string]any{"settings": ClusterSettings(m)})
	t.Parameters.Set(ParamEnv, envParameter())
	t.Resources.Set("Cluster", ecsCluster())
	t.Resources.Set("ClusterCapacityProviders", associations([]any{"FARGATE", "FARGATE_SPOT"}, provider))
	t.Resources.Set("ExecutionRole", executionRole())
	t.Outputs.Set(OutClusterName, output("ECS cluster name", cfn.Ref("Cluster")))
	t.Outputs.Set(OutExecutionRoleArn, output("Task execution role", cfn.GetAtt("ExecutionRole.Arn")))
	t.Outputs.Set(OutCapacityProvider, output("Capacity provider name", provider))
	return t
}

// FargateProvider is the Fargate capacity provider the manifest's tasks run on.
func FargateProvider(m *manifest.Manifest) string {
	if m.Capacity.Type == manifest.FargateSpot {
		return "FARGATE_SPOT"
	}
	return "FARGATE"
}

// associations gives the cluster its capacity providers and the default strategy.
func associations(providers []any, def any) cfn.Resource {
	return cfn.Resource{Type: "AWS::ECS::ClusterCapacityProviderAssociations", Properties: map[string]any{
		"Cluster":           cfn.Ref("Cluster"),
		"CapacityProviders": providers,
		"DefaultCapacityProviderStrategy": []any{map[string]any{
			"CapacityProvider": def, "Base": 0, "Weight": 1,
		}},
	}}
}

// The host port range the ECS agent maps bridge-mode containers to
// (ECS_DYNAMIC_HOST_PORT_RANGE, set in the user data), and the only ports the load
// balancer may reach on public instances.
const (
	DynamicPortFrom = 32768
	DynamicPortTo   = 61000
)

// hostSecurityGroup is the instances'. With private placement tasks have network
// interfaces and groups of their own, and the instances take no traffic; with public
// placement the tasks share the instance's interface (bridge mode), and each service
// stack lets its load balancer in on the dynamic port range.
func hostSecurityGroup(m *manifest.Manifest) cfn.Resource {
	desc := "berth container instances: no ingress, tasks have their own ENIs and groups"
	if m.Network.Public() {
		desc = "berth container instances: the load balancer groups on the dynamic host ports only (rules in the service stacks)"
	}
	return cfn.Resource{Type: "AWS::EC2::SecurityGroup", Properties: map[string]any{
		"GroupDescription": desc,
		"VpcId":            cfn.Ref(OutVpcID),
		"Tags":             cfn.Tags("Name", cfn.Sub("berth-${Env}-hosts")),
	}}
}

// amiParameter is a plain image id. An AWS::SSM::Parameter::Value parameter would be
// resolved again on every stack update, so any cluster change made after AWS published
// a new ECS-optimized AMI (every week or two) would roll every instance; berth deploy
// resolves capacity.ami once, passes the id, and keeps it until --refresh-ami.
// parent.yml, for sam users, resolves the SSM parameter itself.
func amiParameter(ami string) cfn.Parameter {
	p := cfn.Parameter{Type: "AWS::EC2::Image::Id", Description: "AMI of the container instances; berth deploy resolves " + ami}
	if IsAMIID(ami) {
		p.Description, p.Default = "AMI of the container instances", ami
	}
	return p
}

// IsAMIID tells an image id from an SSM parameter path in capacity.ami.
func IsAMIID(ami string) bool { return strings.HasPrefix(ami, "ami-") }

func ecsCluster() cfn.Resource {
	return cfn.Resource{Type: "AWS::ECS::Cluster", Properties: map[string]any{
		"ClusterName":     cfn.Sub("berth-${Env}"),
		"ClusterSettings": []any{map[string]any{"Name": "containerInsights", "Value": "enabled"}},
	}}
}

func instanceRole() cfn.Resource {
	return cfn.Resource{Type: "AWS::IAM::Role", Properties: map[string]any{
		"AssumeRolePolicyDocument": map[string]any{
			"Version": "2012-10-17",
			"Statement": []any{map[string]any{
				"Effect": "Allow", "Action": "sts:AssumeRole",
				"Principal": map[string]any{"Service": "ec2.amazonaws.com"},
			}},
		},
		"ManagedPolicyArns": []any{cfn.AWSManagedPolicy("service-role/AmazonEC2ContainerServiceforEC2Role")},
	}}
}

// userData joins the instance to the cluster. ECS_AWSVPC_BLOCK_IMDS keeps awsvpc tasks
// from borrowing the instance role through the metadata service (bridge-mode tasks are
// kept out by the hop limit of 1).
const userData = `#!/bin/bash
cat >> /etc/ecs/ecs.config <<'EOF'
ECS_CLUSTER=${Cluster}
ECS_AWSVPC_BLOCK_IMDS=true
EOF
`

// publicUserData also fixes the dynamic host port range, so that the security groups
// can name it.
var publicUserData = strings.Replace(userData, "ECS_AWSVPC_BLOCK_IMDS=true\n",
	fmt.Sprintf("ECS_AWSVPC_BLOCK_IMDS=true\nECS_DYNAMIC_HOST_PORT_RANGE=%d-%d\n", DynamicPortFrom, DynamicPortTo), 1)

func launchTemplate(m *manifest.Manifest) cfn.Resource {
	data := launchTemplateData(m)
	if m.Network.Public() {
		// in a public subnet with no NAT the instance needs an address of its own to
		// reach ECS and the registry, and the subnets give none by themselves
		delete(data, "SecurityGroupIds")
		data["NetworkInterfaces"] = []any{map[string]any{
			"DeviceIndex": 0, "AssociatePublicIpAddress": true, "DeleteOnTermination": true,
			"Groups": []any{cfn.GetAtt("HostSecurityGroup.GroupId")},
		}}
		data["UserData"] = cfn.Base64{Value: cfn.Sub(publicUserData)}
	}
	return cfn.Resource{Type: "AWS::EC2::LaunchTemplate", Properties: map[string]any{"LaunchTemplateData": data}}
}

func launchTemplateData(m *manifest.Manifest) map[string]any {
	return map[string]any{
		"ImageId":            cfn.Ref("AmiId"),
		"InstanceType":       cfn.Ref("InstanceType"),
		"IamInstanceProfile": map[string]any{"Arn": cfn.GetAtt("InstanceProfile.Arn")},
		"SecurityGroupIds":   []any{cfn.GetAtt("HostSecurityGroup.GroupId")},
		"UserData":           cfn.Base64{Value: cfn.Sub(userData)},
		"BlockDeviceMappings": []any{map[string]any{
			"DeviceName": "/dev/xvda",
			"Ebs": map[string]any{
				"VolumeSize": m.Capacity.VolumeSize, "VolumeType": "gp3",
				"Encrypted": true, "DeleteOnTermination": true,
			},
		}},
		"MetadataOptions": map[string]any{
			"HttpEndpoint": "enabled", "HttpTokens": "required", "HttpPutResponseHopLimit": 1,
		},
		"TagSpecifications": []any{map[string]any{
			"ResourceType": "instance",
			"Tags":         cfn.Tags("Name", cfn.Sub("berth-${Env}-host")),
		}},
	}
}

// autoScalingGroup lives as long as the environment. The reference replaced it
// (AutoScalingReplacingUpdate) on any launch template change; the capacity provider,
// whose AutoScalingGroupArn cannot change in place, was then replaced too, and
// removing the old provider from the cluster fails while a service uses it ("The
// specified capacity provider is in use and cannot be removed"), so every change of
// instance type, AMI or volume rolled the cluster stack back. Here a new launch
// template version updates the group in place; berth deploy then rolls the running
// instances with an instance refresh, and ECS managed draining moves their tasks
// (docs.aws.amazon.com/AmazonECS/latest/developerguide/managed-instance-draining.html).
func autoScalingGroup() cfn.Resource {
	return cfn.Resource{
		Type: "AWS::AutoScaling::AutoScalingGroup",
		Properties: map[string]any{
			"VPCZoneIdentifier": cfn.Ref(OutTaskSubnets),
			"MinSize":           "0",
			"MaxSize":           cfn.Ref("MaxSize"),
			// left out unless set: on every stack update CloudFormation would otherwise
			// reset what the capacity provider has scaled to
			"DesiredCapacity": cfn.If("HasDesiredCapacity", cfn.Ref("DesiredCapacity"), cfn.NoValue),
			"LaunchTemplate": map[string]any{
				"LaunchTemplateId": cfn.Ref("LaunchTemplate"),
				"Version":          cfn.GetAtt("LaunchTemplate.LatestVersionNumber"),
			},
			"NewInstancesProtectedFromScaleIn": true,
			"Tags": []any{map[string]any{
				"Key": "Name", "Value": cfn.Sub("berth-${Env}-host"), "PropagateAtLaunch": true,
			}},
		},
	}
}

func capacityProvider() cfn.Resource {
	return cfn.Resource{Type: "AWS::ECS::CapacityProvider", Properties: map[string]any{
		"AutoScalingGroupProvider": map[string]any{
			"AutoScalingGroupArn": cfn.Ref("AutoScalingGroup"),
			"ManagedScaling": map[string]any{
				"Status": "ENABLED", "TargetCapacity": 100,
				"MinimumScalingStepSize": 1, "MaximumScalingStepSize": 100,
				"InstanceWarmupPeriod": 60,
			},
			"ManagedTerminationProtection": "ENABLED",
			"ManagedDraining":              "ENABLED",
		},
	}}
}

// executionRole lets ECS pull the image and write logs. Its trust is limited to this
// account's ECS tasks, so another account's tasks cannot assume it (confused deputy).
func executionRole() cfn.Resource {
	return cfn.Resource{Type: "AWS::IAM::Role", Properties: map[string]any{
		"AssumeRolePolicyDocument": iam.TasksTrust(),
		"ManagedPolicyArns":        []any{cfn.AWSManagedPolicy("service-role/AmazonECSTaskExecutionRolePolicy")},
	}}
}
