package synth

import (
	"fmt"
	"strconv"

	"github.com/berthdev/berth/internal/cfn"
	"github.com/berthdev/berth/internal/manifest"
)

// ListenerPort is the load balancer's one listener: plain HTTP until HTTPS lands.
const ListenerPort = 80

// service is one API: its task definition and ECS service in the private subnets,
// behind an internet-facing Application Load Balancer in the public subnets.
func service(m *manifest.Manifest) *cfn.Template {
	t := &cfn.Template{Description: fmt.Sprintf("berth service %s: ECS service on EC2 capacity in private subnets behind an internet-facing Application Load Balancer (generated from berth.yml)", m.Name)}
	t.Parameters.Set(ParamEnv, envParameter())
	t.Parameters.Set(OutVpcID, cfn.Parameter{Type: "AWS::EC2::VPC::Id", Description: "VPC of the environment (network stack output)"})
	t.Parameters.Set(OutPublicSubnets, cfn.Parameter{Type: "List<AWS::EC2::Subnet::Id>", Description: "Public subnets of the load balancer (network stack output)"})
	t.Parameters.Set(OutPrivateSubnets, cfn.Parameter{Type: "List<AWS::EC2::Subnet::Id>", Description: "Private subnets of the tasks (network stack output)"})
	t.Parameters.Set(OutClusterName, cfn.Parameter{Type: "String", Description: "ECS cluster (cluster stack output)"})
	t.Parameters.Set(OutExecutionRoleArn, cfn.Parameter{Type: "String", Description: "Task execution role ARN (cluster stack output)"})
	t.Parameters.Set(OutCapacityProvider, cfn.Parameter{
		Type: "String", Default: "",
		Description: "Capacity provider (cluster stack output); empty uses the cluster's default strategy, which is the same provider",
	})
	image := cfn.Parameter{Type: "String", Description: "Container image; berth deploy passes the image it built, by digest"}
	if m.Image.Location != "" {
		image.Default = m.Image.Location
	}
	t.Parameters.Set(ParamImage, image)
	t.Parameters.Set(ParamDesiredCount, cfn.Parameter{Type: "Number", Description: "Tasks to run", Default: m.Count.Min, MinValue: cfn.Int(0)})
	t.Conditions.Set("HasCapacityProvider", cfn.Not(cfn.Equals(cfn.Ref(OutCapacityProvider), "")))

	t.Resources.Set("LogGroup", cfn.Resource{Type: "AWS::Logs::LogGroup", Properties: map[string]any{
		"LogGroupName":    cfn.Sub(fmt.Sprintf("/berth/${Env}/%s", m.Name)),
		"RetentionInDays": m.Logs.Retention,
	}})
	t.Resources.Set("TaskDefinition", taskDefinition(m))
	t.Resources.Set("LoadBalancerSecurityGroup", loadBalancerSecurityGroup())
	t.Resources.Set("LoadBalancerToService", cfn.Resource{Type: "AWS::EC2::SecurityGroupEgress", Properties: map[string]any{
		"Description":                "to the tasks, on the container port only",
		"GroupId":                    cfn.GetAtt("LoadBalancerSecurityGroup.GroupId"),
		"IpProtocol":                 "tcp",
		"FromPort":                   m.Port,
		"ToPort":                     m.Port,
		"DestinationSecurityGroupId": cfn.GetAtt("ServiceSecurityGroup.GroupId"),
	}})
	t.Resources.Set("ServiceSecurityGroup", cfn.Resource{Type: "AWS::EC2::SecurityGroup", Properties: map[string]any{
		"GroupDescription": fmt.Sprintf("berth %s tasks: the container port, from the load balancer only", m.Name),
		"VpcId":            cfn.Ref(OutVpcID),
		"SecurityGroupIngress": []any{map[string]any{
			"Description": "from the load balancer", "IpProtocol": "tcp", "FromPort": m.Port, "ToPort": m.Port,
			"SourceSecurityGroupId": cfn.GetAtt("LoadBalancerSecurityGroup.GroupId"),
		}},
		"Tags": tags("Name", cfn.Sub(fmt.Sprintf("berth-${Env}-%s", m.Name))),
	}})
	t.Resources.Set("LoadBalancer", loadBalancer(m))
	t.Resources.Set("TargetGroup", targetGroup(m))
	t.Resources.Set("Listener", cfn.Resource{Type: "AWS::ElasticLoadBalancingV2::Listener", Properties: map[string]any{
		"LoadBalancerArn": cfn.Ref("LoadBalancer"),
		"Port":            ListenerPort,
		"Protocol":        "HTTP",
		"DefaultActions":  []any{map[string]any{"Type": "forward", "TargetGroupArn": cfn.Ref("TargetGroup")}},
	}})
	t.Resources.Set("Service", ecsService(m))
	if m.Count.Scales() {
		addAutoScaling(t, m)
	}

	t.Outputs.Set(OutURL, output("Where the service answers", cfn.Sub("http://${LoadBalancer.DNSName}")))
	t.Outputs.Set(OutLoadBalancerDNS, output("Public DNS name of the load balancer", cfn.GetAtt("LoadBalancer.DNSName")))
	t.Outputs.Set(OutServiceName, output("ECS service name", cfn.GetAtt("Service.Name")))
	t.Outputs.Set(OutTargetGroupArn, output("Target group of the tasks", cfn.Ref("TargetGroup")))
	t.Outputs.Set(OutLogGroupName, output("Log group of the containers", cfn.Ref("LogGroup")))
	return t
}

func taskDefinition(m *manifest.Manifest) cfn.Resource {
	var env []any
	for _, k := range m.EnvNames() {
		env = append(env, map[string]any{"Name": k, "Value": cfn.Text(m.Env[k])})
	}
	container := map[string]any{
		"Name":         m.Name,
		"Image":        cfn.Ref(ParamImage),
		"Essential":    true,
		"Cpu":          m.CPU,
		"Memory":       m.Memory,
		"PortMappings": []any{map[string]any{"ContainerPort": m.Port, "Protocol": "tcp"}},
		"LogConfiguration": map[string]any{
			"LogDriver": "awslogs",
			"Options": map[string]any{
				"awslogs-group":         cfn.Ref("LogGroup"),
				"awslogs-region":        cfn.Ref("AWS::Region"),
				"awslogs-stream-prefix": m.Name,
				"mode":                  "non-blocking",
				"max-buffer-size":       "25m",
			},
		},
	}
	if len(env) > 0 {
		container["Environment"] = env
	}
	return cfn.Resource{Type: "AWS::ECS::TaskDefinition", Properties: map[string]any{
		"Family":                  cfn.Sub(fmt.Sprintf("%s-${Env}", m.Name)),
		"NetworkMode":             "awsvpc",
		"RequiresCompatibilities": []any{"EC2"},
		"Cpu":                     strconv.Itoa(m.CPU),
		"Memory":                  strconv.Itoa(m.Memory),
		"ExecutionRoleArn":        cfn.Ref(OutExecutionRoleArn),
		"ContainerDefinitions":    []any{container},
	}}
}

// loadBalancerSecurityGroup opens the listener port to the internet and nothing else.
// Its one inline egress rule matches no traffic: it replaces the default allow-all rule,
// and the only real egress is LoadBalancerToService.
func loadBalancerSecurityGroup() cfn.Resource {
	return cfn.Resource{Type: "AWS::EC2::SecurityGroup", Properties: map[string]any{
		"GroupDescription": "berth load balancer: the listener port from the internet",
		"VpcId":            cfn.Ref(OutVpcID),
		"SecurityGroupIngress": []any{map[string]any{
			"Description": "HTTP listener", "IpProtocol": "tcp", "FromPort": ListenerPort, "ToPort": ListenerPort, "CidrIp": "0.0.0.0/0",
		}},
		"SecurityGroupEgress": []any{map[string]any{
			"Description": "no traffic: replaces the default allow-all egress",
			"IpProtocol":  "icmp", "FromPort": 252, "ToPort": 86, "CidrIp": "255.255.255.255/32",
		}},
		"Tags": tags("Name", cfn.Sub("berth-${Env}-lb")),
	}}
}

func loadBalancer(m *manifest.Manifest) cfn.Resource {
	return cfn.Resource{Type: "AWS::ElasticLoadBalancingV2::LoadBalancer", Properties: map[string]any{
		"Name":           cfn.Sub(fmt.Sprintf("%s-${Env}", m.Name)),
		"Type":           "application",
		"Scheme":         "internet-facing",
		"Subnets":        cfn.Ref(OutPublicSubnets),
		"SecurityGroups": []any{cfn.GetAtt("LoadBalancerSecurityGroup.GroupId")},
		"LoadBalancerAttributes": []any{
			map[string]any{"Key": "idle_timeout.timeout_seconds", "Value": strconv.Itoa(m.LoadBalancer.IdleTimeout)},
			map[string]any{"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"},
		},
	}}
}

func targetGroup(m *manifest.Manifest) cfn.Resource {
	h := m.Health
	return cfn.Resource{Type: "AWS::ElasticLoadBalancingV2::TargetGroup", Properties: map[string]any{
		"TargetType":                 "ip",
		"Protocol":                   "HTTP",
		"Port":                       m.Port,
		"VpcId":                      cfn.Ref(OutVpcID),
		"HealthCheckPath":            h.Path,
		"HealthCheckIntervalSeconds": h.Interval,
		"HealthCheckTimeoutSeconds":  h.Timeout,
		"HealthyThresholdCount":      h.HealthyThreshold,
		"UnhealthyThresholdCount":    h.UnhealthyThreshold,
		"TargetGroupAttributes": []any{map[string]any{
			"Key": "deregistration_delay.timeout_seconds", "Value": strconv.Itoa(m.LoadBalancer.DeregistrationDelay),
		}},
	}}
}

func ecsService(m *manifest.Manifest) cfn.Resource {
	props := map[string]any{
		"ServiceName":    m.Name,
		"Cluster":        cfn.Ref(OutClusterName),
		"TaskDefinition": cfn.Ref("TaskDefinition"),
		"DesiredCount":   cfn.Ref(ParamDesiredCount),
		"CapacityProviderStrategy": cfn.If("HasCapacityProvider",
			[]any{map[string]any{"CapacityProvider": cfn.Ref(OutCapacityProvider), "Base": 0, "Weight": 1}},
			cfn.NoValue),
		"NetworkConfiguration": map[string]any{"AwsvpcConfiguration": map[string]any{
			"AssignPublicIp": "DISABLED",
			"Subnets":        cfn.Ref(OutPrivateSubnets),
			"SecurityGroups": []any{cfn.GetAtt("ServiceSecurityGroup.GroupId")},
		}},
		"PlacementStrategies": []any{
			map[string]any{"Type": "spread", "Field": "attribute:ecs.availability-zone"},
			map[string]any{"Type": "binpack", "Field": "cpu"},
		},
		"DeploymentConfiguration": map[string]any{
			"MaximumPercent":           m.Deployment.MaxPercent,
			"MinimumHealthyPercent":    m.Deployment.MinHealthyPercent,
			"DeploymentCircuitBreaker": map[string]any{"Enable": true, "Rollback": true},
		},
		"LoadBalancers": []any{map[string]any{
			"ContainerName": m.Name, "ContainerPort": m.Port, "TargetGroupArn": cfn.Ref("TargetGroup"),
		}},
		"EnableECSManagedTags": true,
		"PropagateTags":        "SERVICE",
	}
	if m.Health.GracePeriod > 0 {
		props["HealthCheckGracePeriodSeconds"] = m.Health.GracePeriod
	}
	// the target group must be attached to a listener before a service can use it
	return cfn.Resource{Type: "AWS::ECS::Service", DependsOn: []string{"Listener"}, Properties: props}
}

// addAutoScaling keeps the task count between count.min and count.max by target
// tracking on average CPU and/or requests per task.
func addAutoScaling(t *cfn.Template, m *manifest.Manifest) {
	t.Resources.Set("ScalableTarget", cfn.Resource{Type: "AWS::ApplicationAutoScaling::ScalableTarget", Properties: map[string]any{
		"ServiceNamespace":  "ecs",
		"ScalableDimension": "ecs:service:DesiredCount",
		"ResourceId":        cfn.Sub("service/${" + OutClusterName + "}/${Service.Name}"),
		"MinCapacity":       m.Count.Min,
		"MaxCapacity":       m.Count.Max,
	}})
	if m.Count.CPU > 0 {
		t.Resources.Set("CPUScalingPolicy", scalingPolicy("cpu", m.Count.CPU, map[string]any{
			"PredefinedMetricType": "ECSServiceAverageCPUUtilization",
		}))
	}
	if m.Count.Requests > 0 {
		t.Resources.Set("RequestsScalingPolicy", scalingPolicy("requests", m.Count.Requests, map[string]any{
			"PredefinedMetricType": "ALBRequestCountPerTarget",
			"ResourceLabel":        cfn.Sub("${LoadBalancer.LoadBalancerFullName}/${TargetGroup.TargetGroupFullName}"),
		}))
	}
}

func scalingPolicy(name string, target int, metric map[string]any) cfn.Resource {
	return cfn.Resource{Type: "AWS::ApplicationAutoScaling::ScalingPolicy", Properties: map[string]any{
		"PolicyName":      cfn.Sub("${AWS::StackName}-" + name),
		"PolicyType":      "TargetTrackingScaling",
		"ScalingTargetId": cfn.Ref("ScalableTarget"),
		"TargetTrackingScalingPolicyConfiguration": map[string]any{
			"PredefinedMetricSpecification": metric,
			"TargetValue":                   target,
			"ScaleInCooldown":               60,
			"ScaleOutCooldown":              60,
		},
	}}
}
