package check

import (
	"fmt"
	"strings"

	"github.com/berthdev/berth/internal/cfn"
)

// httpsEdgeOf names the CloudFront distribution of the template that reaches the
// internal load balancer lb through a VPC origin and passes BERTH014, if one does.
func httpsEdgeOf(d *cfn.Doc, lb string) string {
	for _, vo := range ofType(d, "AWS::CloudFront::VpcOrigin") {
		if target(path(d.Resources[vo].Properties, "VpcOriginEndpointConfig", "Arn")) != lb {
			continue
		}
		for _, dist := range ofType(d, "AWS::CloudFront::Distribution") {
			cfg := path(d.Resources[dist].Properties, "DistributionConfig")
			for _, o := range list(path(cfg, "Origins")) {
				if target(path(o, "VpcOriginConfig", "VpcOriginId")) == vo && distributionHTTPS(dist, cfg).Status == Pass {
					return dist
				}
			}
		}
	}
	return ""
}

// cloudFrontHTTPS: a distribution that answers plain HTTP carries requests, tokens and
// credentials in the clear between the viewer and the edge, whatever is behind it.
// With the default *.cloudfront.net certificate CloudFront sets the security policy
// itself ("automatically sets the security policy to TLSv1 regardless of the value
// that you set", CloudFront API Reference, ViewerCertificate, MinimumProtocolVersion):
// no template can choose it there, so only a certificate of the distribution's own is
// held to TLS 1.2.
func cloudFrontHTTPS(d *cfn.Doc) []Result {
	var out []Result
	for _, name := range ofType(d, "AWS::CloudFront::Distribution") {
		out = append(out, distributionHTTPS(name, path(d.Resources[name].Properties, "DistributionConfig")))
	}
	return out
}

func distributionHTTPS(name string, cfg any) Result {
	if _, ok := cfg.(map[string]any); !ok {
		return skip(name, "DistributionConfig is not written in the template")
	}
	behaviors := append([]any{path(cfg, "DefaultCacheBehavior")}, list(path(cfg, "CacheBehaviors"))...)
	for i, b := range behaviors {
		which := "the default cache behavior"
		if i > 0 {
			which = fmt.Sprintf("cache behavior %v", orUnset(path(b, "PathPattern")))
		}
		switch p := path(b, "ViewerProtocolPolicy"); p {
		case "redirect-to-https", "https-only":
		case nil, "allow-all":
			return fail(name, "%s has ViewerProtocolPolicy %v: it serves plain HTTP (set redirect-to-https or https-only)", which, orUnset(p))
		default:
			return skip(name, "%s: the ViewerProtocolPolicy is not written in the template", which)
		}
	}
	vc := path(cfg, "ViewerCertificate")
	if path(vc, "AcmCertificateArn") == nil && path(vc, "IamCertificateId") == nil {
		return pass(name) // the *.cloudfront.net certificate: CloudFront's policy (TLSv1), not the template's
	}
	switch v := path(vc, "MinimumProtocolVersion").(type) {
	case string:
		if strings.HasPrefix(v, "TLSv1.2_") || strings.HasPrefix(v, "TLSv1.3_") {
			return pass(name)
		}
		return fail(name, "MinimumProtocolVersion %s accepts protocols older than TLS 1.2 (set TLSv1.2_2021 or later)", v)
	case nil:
		return fail(name, "a certificate of its own without MinimumProtocolVersion: CloudFront's default, TLSv1, accepts TLS 1.0 (set TLSv1.2_2021 or later)")
	}
	return skip(name, "the MinimumProtocolVersion is not written in the template")
}
