package synth

import (
	"fmt"
	"strconv"

	"github.com/berthdev/berth/internal/cfn"
	"github.com/berthdev/berth/internal/manifest"
	"github.com/berthdev/berth/internal/routing"
	"github.com/berthdev/berth/internal/synth/edge"
	"github.com/berthdev/berth/internal/synth/iam"
)

// service is one API: its task definition and ECS service, behind an internet-facing
// Application Load Balancer in the public subnets: the environment's, which it shares
// with the environment's other services (shared.go), or one of its own. The tasks run in
// the private subnets with network interfaces of their own (awsvpc, the reference), or
// with public placement in the public subnets: on Fargate still with their own
// interfaces, which then get public addresses to reach the internet without NAT; on
// EC2 in bridge mode, on the instance's interface and its public address, since ECS
// gives an awsvpc task on EC2 no public address (the reference's public EC2 variant
// does the same; docs/architecture.md).
func service(m *manifest.Manifest) *cfn.Template { return serviceOf(m, false, m) }

// Moving is the service's template while it moves between a load balancer of its own
// and the environment's (m says which it moves to): both route to its tasks, which ECS
// registers with the target groups of both, and the alias record of its domain goes to
// the new one once they serve there. berth deploy applies it, waits for the old alias to
// expire from resolvers' caches, then applies the template of m, which removes the
// old load balancer's part: the name answers throughout. from is the service's route on
// the environment's load balancer, when it moves off it: its rule keeps it until then.
func Moving(m *manifest.Manifest, from routing.Route) *cfn.Template {
	sm := m
	if !m.Shared() {
		cp := *m
		cp.LoadBalancer.Dedicated, cp.LoadBalancer.Host, cp.LoadBalancer.Path = false, from.Host, from.Path
		sm = &cp
	}
	return serviceOf(m, true, sm)
}

// serviceOf is the service's template; moving, with both load balancers (sm is the
// manifest its part on the environment's is made from).
func serviceOf(m *manifest.Manifest, moving bool, sm *manifest.Manifest) *cfn.Template {
	own, shared := !m.Shared() || moving, m.Shared() || moving
	behind := "an internet-facing Application Load Balancer"
	switch {
	case m.Shared() && m.CloudFront():
		behind = "the environment's CloudFront distribution and internal Application Load Balancer"
	case m.Shared():
		behind = "the environment's internet-facing Application Load Balancer"
	case m.CloudFront():
		behind = "CloudFront and an internal Application Load Balancer"
	}
	t := &cfn.Template{Description: fmt.Sprintf("berth service %s: ECS service on %s in %s subnets behind %s (generated from berth.yml)",
		m.Name, capacityWords(m), m.Network.Placement, behind)}
	t.Parameters.Set(ParamEnv, envParameter())
	t.Parameters.Set(OutVpcID, networkParameter(m, OutVpcID, "VPC of the environment"))
	// CloudFront in front of the load balancer of the service's own; on the way to the
	// environment's load balancer with CloudFront in front of it, the service's own stays
	// as it is (internet-facing) until the move is done
	ownCF := m.CloudFront() && !m.Shared()
	if own && !ownCF { // else the load balancer is internal, in the tasks' subnets
		t.Parameters.Set(OutPublicSubnets, networkParameter(m, OutPublicSubnets, "Public subnets of the load balancer"))
	}
	switch {
	case Bridge(m) && own: // the environment's load balancer reaches the instances through the ingress stack's rules
		t.Parameters.Set(OutHostSecurityGroup, cfn.Parameter{Type: "AWS::EC2::SecurityGroup::Id", Description: "Security group of the container instances (cluster stack output)"})
	case !Bridge(m):
		t.Parameters.Set(OutTaskSubnets, networkParameter(m, OutTaskSubnets, "Subnets of the tasks"))
	}
	t.Parameters.Set(OutClusterName, cfn.Parameter{Type: "String", Description: "ECS cluster (cluster stack output)"})
	if len(m.Secrets) == 0 {
		// a service with secrets has an execution role of its own (iam.ServiceExecutionRole)
		t.Parameters.Set(OutExecutionRoleArn, cfn.Parameter{Type: "String", Description: "Task execution role ARN (cluster stack output)"})
	}
	t.Parameters.Set(OutCapacityProvider, cfn.Parameter{
		Type: "String", Default: "",
		Description: "Capacity provider (cluster stack output); empty uses the cluster's default strategy, which is the same provider",
	})
	image := cfn.Parameter{Type: "String", Description: "Container image; berth deploy passes the image it built, by digest"}
	if m.Image.Location != "" {
		image.Default = m.Image.Location
	}
	t.Parameters.Set(ParamImage, image)
	t.Parameters.Set(ParamDesiredCount, desiredCountParameter(m))
	if shared {
		addSharedParameters(t, sm, !m.Shared())
		t.Metadata.Set(MetadataKey, sharedMetadata(sm))
	}
	t.Conditions.Set("HasCapacityProvider", cfn.Not(cfn.Equals(cfn.Ref(OutCapacityProvider), "")))
	t.Conditions.Set("HasDesiredCount", cfn.Not(cfn.Equals(cfn.Ref(ParamDesiredCount), "")))

	t.Resources.Set("LogGroup", cfn.Resource{Type: "AWS::Logs::LogGroup", Properties: map[string]any{
		"LogGroupName":    cfn.Sub(fmt.Sprintf("/berth/${Env}/%s", m.Name)),
		"RetentionInDays": m.Logs.Retention,
	}})
	if len(m.Secrets) > 0 {
		t.Resources.Set("ExecutionRole", iam.ServiceExecutionRole(m))
	}
	if iam.HasTaskRole(m) {
		t.Resources.Set("TaskRole", iam.TaskRole(m))
	}
	t.Resources.Set("TaskDefinition", taskDefinition(m))
	if own {
		t.Resources.Set("LoadBalancerSecurityGroup", loadBalancerSecurityGroup(m))
	}
	switch {
	case Bridge(m) && own:
		addHostIngress(t)
	case !Bridge(m):
		addServiceSecurityGroup(t, m, own, shared)
	}
	if shared {
		addSharedEgress(t, m)
	}
	ids := idsOf(m, false)
	var url, dns any
	if own {
		// the load balancer of the service's own, as berth made it before load balancers
		// were shared: while the service moves off it, without what a move does not need
		// (access logs, the web ACL)
		full := !m.Shared()
		if m.LoadBalancer.AccessLogs > 0 && full {
			edge.AddAccessLogs(t, m, m.Name)
		}
		t.Resources.Set("LoadBalancer", loadBalancer(m))
		t.Resources.Set(ResTargetGroup, targetGroup(m))
		http := []any{map[string]any{"Type": "forward", "TargetGroupArn": cfn.Ref("TargetGroup")}}
		if terminatesTLS(m) {
			http = edge.RedirectToHTTPS()
		}
		t.Resources.Set("Listener", cfn.Resource{Type: "AWS::ElasticLoadBalancingV2::Listener", Properties: map[string]any{
			"LoadBalancerArn": cfn.Ref("LoadBalancer"),
			"Port":            edge.ListenerPort,
			"Protocol":        "HTTP",
			"DefaultActions":  http,
		}})
		if full {
			url, dns = cfn.Sub("http://${LoadBalancer.DNSName}"), cfn.GetAtt("LoadBalancer.DNSName")
		}
		switch {
		case ownCF:
			url = edge.AddCloudFront(t, m, edge.Origin{ARN: cfn.Ref("LoadBalancer"), DNSName: cfn.GetAtt("LoadBalancer.DNSName"), Owner: m.Name})
		case m.HTTPS():
			edge.AddDomain(t, m, full)
			if full {
				url = "https://" + m.Domain.Name
			}
		}
		if m.LoadBalancer.WAF && full && !m.CloudFront() { // else the distribution's (edgeStack)
			edge.AddWAF(t, m, "its load balancer", m.Name)
		}
		addRouting(t, m, idsOf(m, m.Shared()), !full)
		if ownCF {
			lb, _ := t.Resources.Get("LoadBalancer")
			group, _ := t.Resources.Get("LoadBalancerSecurityGroup")
			t.Parameters.Set(edge.ParamCloudFrontPrefixList, edge.PrefixListParameter())
			edge.BehindCloudFront(lb.(cfn.Resource), group.(cfn.Resource), cfn.Ref(OutTaskSubnets))
			for name, suffix := range map[string]string{ResTargetGroup: "a", ResAlternateTargetGroup: "b"} {
				tg, _ := t.Resources.Get(name)
				edge.NameAfterLoadBalancer(tg.(cfn.Resource), suffix)
			}
		}
	}
	if shared {
		full := m.Shared()
		t.Resources.Set(ResSharedTargetGroup, targetGroup(m))
		if m.HTTPS() {
			addSharedDomain(t, sm, full)
		}
		addRouting(t, sm, idsOf(m, !m.Shared()), !full)
		if full {
			url, dns = sharedURL(m), cfn.Ref(OutSharedDNS)
		}
		if full && m.CloudFront() {
			// what status says of the edge: the environment's distribution
			t.Outputs.Set(OutEdge, output("What stands in front of the load balancer", manifest.EdgeCloudFront))
			t.Outputs.Set(OutDistributionID, output("The environment's CloudFront distribution, in front of its load balancer", cfn.Ref(OutSharedDistribution)))
		}
	}
	addAlarms(t, m, ids)
	svc := ecsService(m, own, shared)
	t.Resources.Set("Service", svc)
	if moving && m.HTTPS() {
		// the name moves to the new load balancer once the tasks serve behind it
		record, _ := t.Resources.Get("DNSRecord")
		r := record.(cfn.Resource)
		r.DependsOn = []string{"Service"}
		t.Resources.Set("DNSRecord", r)
	}
	if m.Count.Scales() {
		addAutoScaling(t, m, ids)
	}

	t.Outputs.Set(OutURL, output("Where the service answers", url))
	lbWhat := "Public DNS name of the load balancer"
	if m.Shared() && m.CloudFront() {
		lbWhat = "DNS name of the environment's internal load balancer, CloudFront's origin"
	} else if m.CloudFront() {
		lbWhat = "DNS name of the internal load balancer, CloudFront's origin"
	}
	t.Outputs.Set(OutLoadBalancerDNS, output(lbWhat, dns))
	t.Outputs.Set(OutServiceName, output("ECS service name", cfn.GetAtt("Service.Name")))
	t.Outputs.Set(OutTargetGroupArn, output("Target group of the tasks that serve", ids.serving()))
	t.Outputs.Set(OutLogGroupName, output("Log group of the containers", cfn.Ref("LogGroup")))
	if m.Shared() {
		t.Outputs.Set(OutRoute, output("Where the service answers on the environment's load balancer", m.Route().String()))
	}
	return t
}

// desiredCountParameter is the task count CloudFormation sets. Left empty, the property
// is left out, and CloudFormation then keeps the service's current count on an update
// (and starts a new service with 1): what an auto-scaled service needs, or every deploy
// would scale it back to count.min under load. AWS changed DesiredCount to optional for
// this (aws/containers-roadmap#493; "when updating a service, the service ... starts up
// with the same desired count as it had prior to the deployment", aws/aws-cdk#13130).
// berth deploy passes count.min when it creates the service and nothing after.
func desiredCountParameter(m *manifest.Manifest) cfn.Parameter {
	p := cfn.Parameter{Type: "String", AllowedPattern: "^[0-9]*$", ConstraintDescription: "a whole number, or empty"}
	if m.Count.Scales() {
		p.Description = "Tasks to start with; empty keeps the current count, which auto scaling owns (berth deploy passes count.min on create only)"
		p.Default = ""
		return p
	}
	p.Description = "Tasks to run"
	p.Default = strconv.Itoa(m.Count.Min)
	return p
}

// terminatesTLS reports whether the load balancer serves HTTPS itself: with a domain,
// unless CloudFront serves it in front.
func terminatesTLS(m *manifest.Manifest) bool { return m.HTTPS() && !m.CloudFront() }

// Bridge reports whether the tasks run in bridge mode, on their instance's network
// interface: EC2 capacity with public placement.
func Bridge(m *manifest.Manifest) bool { return m.Network.Public() && !m.Capacity.IsFargate() }

func capacityWords(m *manifest.Manifest) string {
	switch m.Capacity.Type {
	case manifest.Fargate:
		return "AWS Fargate"
	case manifest.FargateSpot:
		return "AWS Fargate Spot"
	}
	return "EC2 capacity"
}

// addServiceSecurityGroup gives awsvpc tasks a group of their own that admits the load
// balancer's group on the container port and nothing else, and lets the load balancer
// send there and nowhere else: the service's own load balancer's, or the environment's
// (whose egress rule is addSharedEgress's), or while it moves both.
func addServiceSecurityGroup(t *cfn.Template, m *manifest.Manifest, own, shared bool) {
	var ingress []any
	if own {
		t.Resources.Set("LoadBalancerToService", cfn.Resource{Type: "AWS::EC2::SecurityGroupEgress", Properties: map[string]any{
			"Description":                "to the tasks, on the container port only",
			"GroupId":                    cfn.GetAtt("LoadBalancerSecurityGroup.GroupId"),
			"IpProtocol":                 "tcp",
			"FromPort":                   m.Port,
			"ToPort":                     m.Port,
			"DestinationSecurityGroupId": cfn.GetAtt("ServiceSecurityGroup.GroupId"),
		}})
		ingress = append(ingress, map[string]any{
			"Description": "from the load balancer", "IpProtocol": "tcp", "FromPort": m.Port, "ToPort": m.Port,
			"SourceSecurityGroupId": cfn.GetAtt("LoadBalancerSecurityGroup.GroupId"),
		})
	}
	if shared {
		ingress = append(ingress, map[string]any{
			"Description": "from the environment's load balancer", "IpProtocol": "tcp", "FromPort": m.Port, "ToPort": m.Port,
			"SourceSecurityGroupId": cfn.Ref(OutSharedSecurityGroup),
		})
	}
	t.Resources.Set("ServiceSecurityGroup", cfn.Resource{Type: "AWS::EC2::SecurityGroup", Properties: map[string]any{
		"GroupDescription":     fmt.Sprintf("berth %s tasks: the container port, from the load balancer only", m.Name),
		"VpcId":                cfn.Ref(OutVpcID),
		"SecurityGroupIngress": ingress,
		"Tags":                 cfn.Tags("Name", cfn.Sub(fmt.Sprintf("berth-${Env}-%s", m.Name))),
	}})
}

// addHostIngress is the bridge-mode counterpart: the containers listen on dynamic host
// ports of their instance, so the instances' group admits this load balancer's group on
// that range only, and the load balancer may send there and nowhere else.
func addHostIngress(t *cfn.Template) {
	t.Resources.Set("LoadBalancerToHosts", cfn.Resource{Type: "AWS::EC2::SecurityGroupEgress", Properties: map[string]any{
		"Description":                "to the container instances, on the dynamic host ports only",
		"GroupId":                    cfn.GetAtt("LoadBalancerSecurityGroup.GroupId"),
		"IpProtocol":                 "tcp",
		"FromPort":                   DynamicPortFrom,
		"ToPort":                     DynamicPortTo,
		"DestinationSecurityGroupId": cfn.Ref(OutHostSecurityGroup),
	}})
	t.Resources.Set("HostsFromLoadBalancer", cfn.Resource{Type: "AWS::EC2::SecurityGroupIngress", Properties: map[string]any{
		"Description":           "bridge-mode tasks: from this service's load balancer, on the dynamic host ports",
		"GroupId":               cfn.Ref(OutHostSecurityGroup),
		"IpProtocol":            "tcp",
		"FromPort":              DynamicPortFrom,
		"ToPort":                DynamicPortTo,
		"SourceSecurityGroupId": cfn.GetAtt("LoadBalancerSecurityGroup.GroupId"),
	}})
}

func taskDefinition(m *manifest.Manifest) cfn.Resource {
	// Tasks cannot ask the instance metadata service for their region (berth blocks it
	// for tasks), and the ECS agent on EC2 does not always set it, so every container
	// gets it here; the AWS SDKs read either name. berth reserves AWS_* in env for this.
	env := []any{
		map[string]any{"Name": "AWS_DEFAULT_REGION", "Value": cfn.Ref("AWS::Region")},
		map[string]any{"Name": "AWS_REGION", "Value": cfn.Ref("AWS::Region")},
	}
	for _, k := range m.EnvNames() {
		env = append(env, map[string]any{"Name": k, "Value": cfn.Text(m.Env[k])})
	}
	container := map[string]any{
		"Name":         m.Name,
		"Image":        cfn.Ref(ParamImage),
		"Essential":    true,
		"Cpu":          m.CPU,
		"Memory":       m.Memory,
		"PortMappings": []any{portMapping(m)},
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
	container["Environment"] = env
	if len(m.Secrets) > 0 {
		container["Secrets"] = iam.ContainerSecrets(m)
	}
	props := map[string]any{
		"Family":                  cfn.Sub(fmt.Sprintf("%s-${Env}", m.Name)),
		"NetworkMode":             "awsvpc",
		"RequiresCompatibilities": []any{"EC2"},
		"Cpu":                     strconv.Itoa(m.CPU),
		"Memory":                  strconv.Itoa(m.Memory),
		"ExecutionRoleArn":        cfn.Ref(OutExecutionRoleArn),
		"ContainerDefinitions":    []any{container},
	}
	if len(m.Secrets) > 0 {
		props["ExecutionRoleArn"] = cfn.GetAtt("ExecutionRole.Arn")
	}
	if iam.HasTaskRole(m) {
		props["TaskRoleArn"] = cfn.GetAtt("TaskRole.Arn")
	}
	switch {
	case m.Capacity.IsFargate():
		arch := "X86_64"
		if m.Capacity.Arch() == "arm64" {
			arch = "ARM64"
		}
		props["RequiresCompatibilities"] = []any{"FARGATE"}
		props["RuntimePlatform"] = map[string]any{"CpuArchitecture": arch, "OperatingSystemFamily": "LINUX"}
	case Bridge(m):
		props["NetworkMode"] = "bridge"
	}
	return cfn.Resource{Type: "AWS::ECS::TaskDefinition", Properties: props}
}

// portMapping maps the container port: in bridge mode to a dynamic host port (0), so
// that several tasks share an instance; with awsvpc every task has the port to itself.
func portMapping(m *manifest.Manifest) map[string]any {
	p := map[string]any{"ContainerPort": m.Port, "Protocol": "tcp"}
	if Bridge(m) {
		p["HostPort"] = 0
	}
	return p
}

// loadBalancerSecurityGroup opens the listener port to the internet and nothing else.
// Its one inline egress rule matches no traffic: it replaces the default allow-all rule,
// and the only real egress is LoadBalancerToService.
func loadBalancerSecurityGroup(m *manifest.Manifest) cfn.Resource {
	ingress := []any{map[string]any{
		"Description": "HTTP listener", "IpProtocol": "tcp", "FromPort": edge.ListenerPort, "ToPort": edge.ListenerPort, "CidrIp": "0.0.0.0/0",
	}}
	desc := "berth load balancer: the listener port from the internet"
	if terminatesTLS(m) {
		desc = "berth load balancer: HTTPS, and HTTP that redirects to it, from the internet"
		ingress = append(ingress, map[string]any{
			"Description": "HTTPS listener", "IpProtocol": "tcp", "FromPort": edge.HTTPSPort, "ToPort": edge.HTTPSPort, "CidrIp": "0.0.0.0/0",
		})
	}
	return cfn.Resource{Type: "AWS::EC2::SecurityGroup", Properties: map[string]any{
		"GroupDescription":     desc,
		"VpcId":                cfn.Ref(OutVpcID),
		"SecurityGroupIngress": ingress,
		"SecurityGroupEgress": []any{map[string]any{
			"Description": "no traffic: replaces the default allow-all egress",
			"IpProtocol":  "icmp", "FromPort": 252, "ToPort": 86, "CidrIp": "255.255.255.255/32",
		}},
		"Tags": cfn.Tags("Name", cfn.Sub("berth-${Env}-lb")),
	}}
}

func loadBalancer(m *manifest.Manifest) cfn.Resource {
	attrs := []any{
		map[string]any{"Key": "idle_timeout.timeout_seconds", "Value": strconv.Itoa(m.LoadBalancer.IdleTimeout)},
		map[string]any{"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"},
	}
	if m.LoadBalancer.AccessLogs > 0 {
		attrs = append(attrs,
			map[string]any{"Key": "access_logs.s3.enabled", "Value": "true"},
			map[string]any{"Key": "access_logs.s3.bucket", "Value": cfn.Ref("AccessLogBucket")})
	}
	lb := cfn.Resource{Type: "AWS::ElasticLoadBalancingV2::LoadBalancer", Properties: map[string]any{
		"Name":                   cfn.Sub(fmt.Sprintf("%s-${Env}", m.Name)),
		"Type":                   "application",
		"Scheme":                 "internet-facing",
		"Subnets":                cfn.Ref(OutPublicSubnets),
		"SecurityGroups":         []any{cfn.GetAtt("LoadBalancerSecurityGroup.GroupId")},
		"LoadBalancerAttributes": attrs,
	}}
	if m.LoadBalancer.AccessLogs > 0 {
		// ELB checks that it may write to the bucket when logging is turned on
		lb.DependsOn = []string{"AccessLogBucketPolicy"}
	}
	return lb
}

func targetGroup(m *manifest.Manifest) cfn.Resource {
	h := m.Health
	tg := cfn.Resource{Type: "AWS::ElasticLoadBalancingV2::TargetGroup", Properties: map[string]any{
		"TargetType":                 targetType(m),
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
	if Bridge(m) {
		tg.Properties["HealthCheckPort"] = "traffic-port" // each task's own dynamic host port
	}
	return tg
}

// targetType: awsvpc tasks register by their own address, bridge tasks by instance and
// host port.
func targetType(m *manifest.Manifest) string {
	if Bridge(m) {
		return "instance"
	}
	return "ip"
}

func ecsService(m *manifest.Manifest, own, shared bool) cfn.Resource {
	props := map[string]any{
		"ServiceName":    m.Name,
		"Cluster":        cfn.Ref(OutClusterName),
		"TaskDefinition": cfn.Ref("TaskDefinition"),
		"DesiredCount":   cfn.If("HasDesiredCount", cfn.Ref(ParamDesiredCount), cfn.NoValue),
		"CapacityProviderStrategy": cfn.If("HasCapacityProvider",
			[]any{map[string]any{"CapacityProvider": cfn.Ref(OutCapacityProvider), "Base": 0, "Weight": 1}},
			cfn.NoValue),
		"DeploymentConfiguration": deploymentConfiguration(m),
		"LoadBalancers":           serviceLoadBalancers(m, own, shared),
		"EnableECSManagedTags":    true,
		"PropagateTags":           "SERVICE",
	}
	if m.Health.GracePeriod > 0 {
		props["HealthCheckGracePeriodSeconds"] = m.Health.GracePeriod
	}
	if m.Exec {
		// ECS starts the SSM agent in each new task for "berth exec" (ecs-exec.html).
		// Turning it on starts no task by itself: UpdateService starts new tasks for a
		// new task definition, network, load balancers and the like, and
		// enableExecuteCommand is not among them (ECS API Reference, UpdateService;
		// aws/aws-cli#7548). The nonce, which appears with exec, makes the deploy that
		// turns it on replace the tasks (AWS::ECS::Service ForceNewDeployment: "When you
		// change the ForceNewDeploymentNonce value ... ECS starts a new deployment"). Off
		// again, the task role loses the ssmmessages actions the agent needs, which ends
		// exec in the tasks that still run it.
		props["EnableExecuteCommand"] = true
		props["ForceNewDeployment"] = map[string]any{"EnableForceNewDeployment": true, "ForceNewDeploymentNonce": "exec"}
	}
	if !Bridge(m) {
		// a Fargate task in a public subnet needs a public address to pull its image and
		// reach the internet without NAT; its group still admits only the load balancer
		public := "DISABLED"
		if m.Network.Public() {
			public = "ENABLED"
		}
		props["NetworkConfiguration"] = map[string]any{"AwsvpcConfiguration": map[string]any{
			"AssignPublicIp": public,
			"Subnets":        cfn.Ref(OutTaskSubnets),
			"SecurityGroups": []any{cfn.GetAtt("ServiceSecurityGroup.GroupId")},
		}}
	}
	if !m.Capacity.IsFargate() { // Fargate places tasks itself and takes no strategy
		props["PlacementStrategies"] = []any{
			map[string]any{"Type": "spread", "Field": "attribute:ecs.availability-zone"},
			map[string]any{"Type": "binpack", "Field": "cpu"},
		}
	}
	// the target groups must be attached to a listener before a service can use them
	var after []string
	if own {
		after = append(after, "Listener")
		if !m.Deployment.Rollout.Strategy.ShiftsTraffic() {
			after = append(after, ResProductionRule) // else named in AdvancedConfiguration
		}
		if terminatesTLS(m) {
			after = append(after, "HTTPSListener")
		}
	}
	if shared && !m.Deployment.Rollout.Strategy.ShiftsTraffic() {
		after = append(after, ResSharedRule)
	}
	return cfn.Resource{Type: "AWS::ECS::Service", DependsOn: after, Properties: props}
}
