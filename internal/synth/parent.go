package synth

import (
	"fmt"
	"slices"

	"github.com/berthdev/berth/internal/cfn"
	"github.com/berthdev/berth/internal/manifest"
	"github.com/berthdev/berth/internal/synth/edge"
)

// parent nests the stacks for people who deploy with `sam deploy` or
// `aws cloudformation package` + `deploy`. It uses the SAM form of a nested stack,
// whose local Location both tools upload and rewrite; berth itself deploys the stacks
// separately. (Its environment's load balancer serves the one service it nests.)
func parent(m *manifest.Manifest) *cfn.Template {
	what := "network, cluster and service as nested stacks"
	switch {
	case m.Network.Imported() && m.Shared():
		what = "cluster, ingress and service as nested stacks in the existing VPC " + m.Network.VPC
	case m.Network.Imported():
		what = "cluster and service as nested stacks in the existing VPC " + m.Network.VPC
	case m.Shared():
		what = "network, cluster, ingress and service as nested stacks"
	}
	t := &cfn.Template{Transform: "AWS::Serverless-2016-10-31", Description: fmt.Sprintf("berth %s: %s, for sam deploy / aws cloudformation package (generated from berth.yml)", m.Name, what)}
	t.Parameters.Set(ParamEnv, envParameter())
	image := cfn.Parameter{Type: "String", Description: "Container image of the service"}
	if m.Image.Location != "" {
		image.Default = m.Image.Location
	}
	t.Parameters.Set(ParamImage, image)
	if !m.Capacity.IsFargate() {
		// sam users get the AMI resolved from its SSM parameter at each deploy of the
		// parent (berth deploy resolves it once and keeps it: see amiParameter)
		ami := cfn.Parameter{Type: "AWS::EC2::Image::Id", Description: "AMI of the container instances", Default: m.Capacity.AMI}
		if !IsAMIID(m.Capacity.AMI) {
			ami.Type = "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>"
			ami.Description = "SSM parameter holding the AMI of the container instances, resolved at each stack update"
		}
		t.Parameters.Set(ParamAmiID, ami)
	}

	if m.HTTPS() {
		t.Parameters.Set(edge.ParamHostedZone, edge.HostedZoneParameter(m))
	}
	// what CloudFront takes from us-east-1 cannot be a nested stack of a stack in
	// another region: sam users deploy edge.yml there first and pass its outputs, and
	// the origin-facing prefix list of the region
	// (the ingress's, with CloudFront in front of the environment's load balancer)
	svc := service(m)
	if m.Shared() && m.CloudFront() {
		svc = ingress(m)
	}
	for _, p := range []string{edge.ParamCloudFrontPrefixList, edge.OutCloudFrontCertificate, edge.OutCloudFrontWebACL} {
		if v, ok := svc.Parameters.Get(p); ok {
			param := v.(cfn.Parameter)
			if p != edge.ParamCloudFrontPrefixList {
				param.Description += "; deploy edge.yml in us-east-1 first (sam deploy --region us-east-1)"
			}
			t.Parameters.Set(p, param)
		}
	}

	// each nested stack gets exactly the parameters its template declares: the parent's
	// own, or the outputs of the stacks before it under the same names
	out := func(stack, name string) cfn.GetAtt { return cfn.GetAtt(stack + ".Outputs." + name) }
	from := map[string]any{ParamEnv: cfn.Ref(ParamEnv), ParamImage: cfn.Ref(ParamImage), ParamAmiID: cfn.Ref(ParamAmiID), edge.ParamHostedZone: cfn.Ref(edge.ParamHostedZone),
		edge.ParamCloudFrontPrefixList: cfn.Ref(edge.ParamCloudFrontPrefixList), edge.OutCloudFrontCertificate: cfn.Ref(edge.OutCloudFrontCertificate), edge.OutCloudFrontWebACL: cfn.Ref(edge.OutCloudFrontWebACL)}
	for _, o := range []string{OutVpcID, OutPublicSubnets, OutTaskSubnets} {
		from[o] = out("Network", o)
		if m.Network.Imported() {
			// no network stack: the existing network's ids, as parameters of the parent
			t.Parameters.Set(o, networkParameter(m, o, map[string]string{
				OutVpcID: "VPC of the environment", OutPublicSubnets: "Public subnets of the load balancer", OutTaskSubnets: "Subnets of the tasks and instances",
			}[o]))
			from[o] = cfn.Ref(o)
		}
	}
	for _, o := range []string{OutClusterName, OutExecutionRoleArn, OutCapacityProvider, OutHostSecurityGroup} {
		from[o] = out("Cluster", o)
	}
	for _, o := range []string{OutSharedFullName, OutSharedDNS, OutSharedZone, OutSharedSecurityGroup, OutSharedHTTPListener, OutSharedDistribution, OutSharedDistributionDomain} {
		from[o] = out("Ingress", o)
	}
	from[ParamSharedListener] = out("Ingress", OutSharedHTTPListener)
	if m.HTTPS() {
		// the ingress's HTTPS listener, on a certificate of the service's name
		from[ParamDefaultDomain], from[ParamDefaultDomainZone] = m.Domain.Name, cfn.Ref(edge.ParamHostedZone)
		from[ParamSharedListener] = out("Ingress", OutSharedHTTPSListener)
	}
	for _, c := range []struct {
		name  string
		stack Stack
		tmpl  func(*manifest.Manifest) *cfn.Template
	}{{"Network", Network, network}, {"Cluster", Cluster, cluster}, {"Ingress", Ingress, ingress}, {"Service", Service, service}} {
		if !slices.Contains(StacksOf(m), c.stack) {
			continue
		}
		params := map[string]any{}
		for _, p := range c.tmpl(m).Parameters.Keys() {
			if v, ok := from[p]; ok {
				params[p] = v
			}
		}
		t.Resources.Set(c.name, nested(c.stack, params))
	}
	t.Outputs.Set(OutURL, output("Where the service answers", out("Service", OutURL)))
	t.Outputs.Set(OutClusterName, output("ECS cluster name", out("Cluster", OutClusterName)))
	t.Outputs.Set(OutServiceName, output("ECS service name", out("Service", OutServiceName)))
	return t
}

func nested(s Stack, params map[string]any) cfn.Resource {
	return cfn.Resource{Type: "AWS::Serverless::Application", Properties: map[string]any{
		"Location":   "./" + s.File(),
		"Parameters": params,
	}}
}
