package synth

import (
	"fmt"

	"github.com/berthdev/berth/internal/cfn"
	"github.com/berthdev/berth/internal/manifest"
	"github.com/berthdev/berth/internal/synth/edge"
)

// NeedsEdgeStack reports whether m has resources in us-east-1: the certificate of its
// domain (unless it brings one) and its web ACL, with CloudFront in front.
func NeedsEdgeStack(m *manifest.Manifest) bool {
	return m.CloudFront() && (m.HTTPS() && m.Domain.Certificate == "" || m.LoadBalancer.WAF)
}

// edgeStack holds what CloudFront takes from us-east-1 only: the domain's certificate
// and the web ACL. berth deploys it there, before the service stack, which takes its
// outputs.
func edgeStack(m *manifest.Manifest) *cfn.Template {
	t := &cfn.Template{Description: fmt.Sprintf("berth service %s: what its CloudFront distribution takes from us-east-1 (generated from berth.yml)", m.Name)}
	t.Parameters.Set(ParamEnv, envParameter())
	if m.HTTPS() && m.Domain.Certificate == "" {
		t.Parameters.Set(edge.ParamHostedZone, edge.HostedZoneParameter(m))
		t.Resources.Set("Certificate", edge.CertificateResource(m))
		t.Outputs.Set(edge.OutCloudFrontCertificate, output("Certificate of the distribution", cfn.Ref("Certificate")))
	}
	if m.LoadBalancer.WAF {
		t.Resources.Set("WebACL", edge.WebACL(m, "CLOUDFRONT", "its CloudFront distribution", m.Name))
		t.Outputs.Set(edge.OutCloudFrontWebACL, output("Web ACL of the distribution", cfn.GetAtt("WebACL.Arn")))
	}
	return t
}
