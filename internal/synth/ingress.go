package synth

import (
	"github.com/berthdev/berth/internal/cfn"
	"github.com/berthdev/berth/internal/manifest"
	"github.com/berthdev/berth/internal/synth/edge"
)

// The environment's load balancer: one Application Load Balancer that the services of
// an environment share, each through a listener rule of its own (its route, see
// shared.go), as AWS Copilot's environments and ECS Express Mode do. The ingress stack
// owns the load balancer, its listeners, its security group, its access logs and its
// web ACL; a service stack owns its target groups, its rules and, with a domain, its
// certificate (added to the HTTPS listener by SNI) and alias record. berth deploy makes
// the stack with the first service that needs it and deletes it with the last, so that
// an environment without a shared service pays for no load balancer.

// Names of the ingress stack's parameters and outputs; the outputs are the service
// stacks' parameters of the same names.
const (
	// ParamDefaultDomain is the name of the HTTPS listener's default certificate: the
	// first domain a service of the environment brought. Empty: no HTTPS listener.
	ParamDefaultDomain     = "DefaultDomain"
	ParamDefaultDomainZone = "DefaultDomainZone"
	OutSharedLoadBalancer  = "SharedLoadBalancer"
	// OutSharedFullName is the load balancer's CloudWatch dimension (app/NAME/ID).
	OutSharedFullName      = "SharedLoadBalancerFullName"
	OutSharedDNS           = "SharedLoadBalancerDNS"
	OutSharedZone          = "SharedLoadBalancerZone"
	OutSharedSecurityGroup = "SharedLoadBalancerSecurityGroup"
	OutSharedHTTPListener  = "SharedHTTPListener"
	OutSharedHTTPSListener = "SharedHTTPSListener"
	// OutSharedDistribution and OutSharedDistributionDomain are the environment's
	// CloudFront distribution (edge: cloudfront on its load balancer) and its
	// *.cloudfront.net name, where its services answer, each on its path.
	OutSharedDistribution       = "SharedDistribution"
	OutSharedDistributionDomain = "SharedDistributionDomain"
)

// IngressSettings are the manifest keys the environment's load balancer is made from,
// recorded in its template's Metadata like the network's and the cluster's.
func IngressSettings(m *manifest.Manifest) map[string]string {
	keys := []string{"load_balancer.idle_timeout", "load_balancer.access_logs", "load_balancer.waf"}
	if m.LoadBalancer.WAF {
		keys = append(keys, "load_balancer.rate_limit")
	}
	if m.CloudFront() { // recorded only then: an ingress stack that says none has none
		keys = append(keys, "edge")
	}
	return m.Settings(keys)
}

// ingress is the environment's load balancer, from the load_balancer keys of the
// manifest as they deploy to the environment (the environment's own, or the
// manifest's when it is the first shared service, or changes them with --update-env).
//
// With CloudFront in front (edge: cloudfront on it) the load balancer is internal
// (edge.BehindCloudFront), behind one VPC origin and distribution of the environment's,
// on whose name every service answers on its path; an HTTP listener only (no domain
// there: manifest's validateSharedCloudFront). docs/shared-load-balancer.md says why.
func ingress(m *manifest.Manifest) *cfn.Template {
	cf := m.CloudFront()
	t := &cfn.Template{Description: "berth ingress: the environment's internet-facing Application Load Balancer, shared by its services through a listener rule each (generated from berth.yml)"}
	if cf {
		t.Description = "berth ingress: the environment's CloudFront distribution and the internal Application Load Balancer behind it, shared by its services through a listener rule each (generated from berth.yml)"
	}
	t.Metadata.Set(MetadataKey, map[string]any{"settings": IngressSettings(m)})
	t.Parameters.Set(ParamEnv, envParameter())
	t.Parameters.Set(OutVpcID, networkParameter(m, OutVpcID, "VPC of the environment"))
	if cf {
		t.Parameters.Set(OutTaskSubnets, networkParameter(m, OutTaskSubnets, "Private subnets of the internal load balancer"))
		t.Parameters.Set(edge.ParamCloudFrontPrefixList, edge.PrefixListParameter())
	} else {
		t.Parameters.Set(OutPublicSubnets, networkParameter(m, OutPublicSubnets, "Public subnets of the load balancer"))
		t.Parameters.Set(ParamDefaultDomain, cfn.Parameter{Type: "String", Default: "",
			Description: "Name of the HTTPS listener's default certificate: the first domain of a service of the environment (berth deploy sets it); empty for no HTTPS listener"})
		t.Parameters.Set(ParamDefaultDomainZone, cfn.Parameter{Type: "String", Default: "",
			Description: "Route 53 public hosted zone the default certificate is validated through"})
		t.Conditions.Set(hasHTTPS, cfn.Not(cfn.Equals(cfn.Ref(ParamDefaultDomain), "")))
	}
	if Bridge(m) {
		t.Parameters.Set(OutHostSecurityGroup, cfn.Parameter{Type: "AWS::EC2::SecurityGroup::Id", Description: "Security group of the container instances (cluster stack output)"})
	}

	// its properties never depend on a setting that may change while services are on
	// it (edge cannot): a security group whose inline rules CloudFormation updates
	// loses the rules the services' stacks add to it
	group := sharedSecurityGroup()
	t.Resources.Set("LoadBalancerSecurityGroup", group)
	if Bridge(m) {
		addSharedHostIngress(t)
	}
	if m.LoadBalancer.AccessLogs > 0 {
		edge.AddAccessLogs(t, m, "ingress")
	}
	lb := loadBalancer(m)
	delete(lb.Properties, "Name") // CloudFormation names it: no name of a service's can meet it
	if cf {
		edge.BehindCloudFront(lb, group, cfn.Ref(OutTaskSubnets))
	}
	t.Resources.Set("LoadBalancer", lb)
	t.Resources.Set("HTTPListener", cfn.Resource{Type: "AWS::ElasticLoadBalancingV2::Listener", Properties: map[string]any{
		"LoadBalancerArn": cfn.Ref("LoadBalancer"),
		"Port":            edge.ListenerPort,
		"Protocol":        "HTTP",
		"DefaultActions":  noRoute(),
	}})
	var url any
	if cf {
		url = edge.AddCloudFront(t, m, edge.Origin{ARN: cfn.Ref("LoadBalancer"), DNSName: cfn.GetAtt("LoadBalancer.DNSName"), Owner: "ingress"})
	} else {
		edge.AddEnvironmentHTTPSListener(t, hasHTTPS, ParamDefaultDomain, ParamDefaultDomainZone, noRoute())
	}
	if m.LoadBalancer.WAF {
		edge.AddWAF(t, m, "the shared load balancer of the environment", "ingress")
	}
	dns, zone := "Its public DNS name", "Its DNS name's hosted zone, for alias records"
	if cf {
		dns, zone = "Its DNS name, internal: CloudFront's origin", "Its DNS name's hosted zone"
	}
	t.Outputs.Set(OutSharedLoadBalancer, output("The environment's load balancer", cfn.Ref("LoadBalancer")))
	t.Outputs.Set(OutSharedFullName, output("Its CloudWatch dimension", cfn.GetAtt("LoadBalancer.LoadBalancerFullName")))
	t.Outputs.Set(OutSharedDNS, output(dns, cfn.GetAtt("LoadBalancer.DNSName")))
	t.Outputs.Set(OutSharedZone, output(zone, cfn.GetAtt("LoadBalancer.CanonicalHostedZoneID")))
	t.Outputs.Set(OutSharedSecurityGroup, output("Its security group: the services' tasks admit it", cfn.GetAtt("LoadBalancerSecurityGroup.GroupId")))
	t.Outputs.Set(OutSharedHTTPListener, output("The HTTP listener", cfn.Ref("HTTPListener")))
	if cf {
		t.Outputs.Set(OutSharedDistribution, output("The environment's CloudFront distribution", cfn.Ref("Distribution")))
		t.Outputs.Set(OutSharedDistributionDomain, output("Its name, where the services answer on their paths", cfn.GetAtt("Distribution.DomainName")))
		t.Outputs.Set(OutURL, output("Where the environment's load balancer answers, through the distribution", url))
	} else {
		t.Outputs.Set(OutSharedHTTPSListener, cfn.Output{Description: "The HTTPS listener", Value: cfn.Ref("HTTPSListener"), Condition: hasHTTPS})
	}
	if m.LoadBalancer.AccessLogs > 0 {
		t.Outputs.Set(edge.OutAccessLogBucket, output("Bucket of the load balancer's access logs", cfn.Ref("AccessLogBucket")))
	}
	return t
}

const hasHTTPS = "HasHTTPS"

// noRoute is the listeners' default action: what no service's rule takes is answered
// by the load balancer itself (AWS::ElasticLoadBalancingV2::Listener FixedResponseConfig).
func noRoute() []any {
	return []any{map[string]any{"Type": "fixed-response", "FixedResponseConfig": map[string]any{
		"StatusCode": "404", "ContentType": "text/plain",
		"MessageBody": "404 Not Found: no service of this environment answers this host and path\n",
	}}}
}

// sharedSecurityGroup is the environment's load balancer's group: who may reach it
// (the internet on the listener ports; the HTTPS port even before the HTTPS listener
// exists, nothing answers there until then) and, by its one inline egress rule that
// matches no traffic, nowhere it may send but where the services' stacks allow it
// (SharedLoadBalancerToService). Who reaches the load balancer is decided here alone.
func sharedSecurityGroup() cfn.Resource {
	return cfn.Resource{Type: "AWS::EC2::SecurityGroup", Properties: map[string]any{
		"GroupDescription": "berth environment load balancer: HTTP and HTTPS from the internet",
		"VpcId":            cfn.Ref(OutVpcID),
		"SecurityGroupIngress": []any{
			map[string]any{"Description": "HTTP listener", "IpProtocol": "tcp", "FromPort": edge.ListenerPort, "ToPort": edge.ListenerPort, "CidrIp": "0.0.0.0/0"},
			map[string]any{"Description": "HTTPS listener", "IpProtocol": "tcp", "FromPort": edge.HTTPSPort, "ToPort": edge.HTTPSPort, "CidrIp": "0.0.0.0/0"},
		},
		"SecurityGroupEgress": []any{map[string]any{
			"Description": "no traffic: replaces the default allow-all egress",
			"IpProtocol":  "icmp", "FromPort": 252, "ToPort": 86, "CidrIp": "255.255.255.255/32",
		}},
		"Tags": cfn.Tags("Name", cfn.Sub("berth-${Env}-ingress")),
	}}
}

// addSharedHostIngress is, for bridge-mode tasks, the one pair of rules every service of
// the environment would otherwise add alike (and the second would fail as a duplicate):
// the instances' group admits the load balancer's on the dynamic host ports.
func addSharedHostIngress(t *cfn.Template) {
	t.Resources.Set("LoadBalancerToHosts", cfn.Resource{Type: "AWS::EC2::SecurityGroupEgress", Properties: map[string]any{
		"Description":                "to the container instances, on the dynamic host ports only",
		"GroupId":                    cfn.GetAtt("LoadBalancerSecurityGroup.GroupId"),
		"IpProtocol":                 "tcp",
		"FromPort":                   DynamicPortFrom,
		"ToPort":                     DynamicPortTo,
		"DestinationSecurityGroupId": cfn.Ref(OutHostSecurityGroup),
	}})
	t.Resources.Set("HostsFromLoadBalancer", cfn.Resource{Type: "AWS::EC2::SecurityGroupIngress", Properties: map[string]any{
		"Description":           "bridge-mode tasks: from the environment's load balancer, on the dynamic host ports",
		"GroupId":               cfn.Ref(OutHostSecurityGroup),
		"IpProtocol":            "tcp",
		"FromPort":              DynamicPortFrom,
		"ToPort":                DynamicPortTo,
		"SourceSecurityGroupId": cfn.GetAtt("LoadBalancerSecurityGroup.GroupId"),
	}})
}
