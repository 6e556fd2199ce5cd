// Package edge is a service's edge on AWS, around what its templates declare: the
// hosted zone of its domain and a certificate the listener (or, with CloudFront in
// front, the distribution) can use, and CloudFront's origin-facing prefix list, found
// and checked before a deploy; the access-log bucket emptied and the certificate's
// validation records removed when the service goes (CloudFormation leaves both).
//
// It must not import deploy or any other package above it on the AWS path.
package edge

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	acmtypes "github.com/aws/aws-sdk-go-v2/service/acm/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/berthdev/berth/internal/buckets"
	"github.com/berthdev/berth/internal/hint"
	"github.com/berthdev/berth/internal/manifest"
	"github.com/berthdev/berth/internal/stacks"
	"github.com/berthdev/berth/internal/synth"
)

// Route53 is the part of the Route 53 API berth uses: finding the hosted zone of a
// service's domain, and removing the certificate validation record CloudFormation
// leaves behind.
type Route53 interface {
	ListHostedZonesByName(context.Context, *route53.ListHostedZonesByNameInput, ...func(*route53.Options)) (*route53.ListHostedZonesByNameOutput, error)
	GetHostedZone(context.Context, *route53.GetHostedZoneInput, ...func(*route53.Options)) (*route53.GetHostedZoneOutput, error)
	ListResourceRecordSets(context.Context, *route53.ListResourceRecordSetsInput, ...func(*route53.Options)) (*route53.ListResourceRecordSetsOutput, error)
	ChangeResourceRecordSets(context.Context, *route53.ChangeResourceRecordSetsInput, ...func(*route53.Options)) (*route53.ChangeResourceRecordSetsOutput, error)
}

// ACM is the part of the Certificate Manager API berth uses.
type ACM interface {
	DescribeCertificate(context.Context, *acm.DescribeCertificateInput, ...func(*acm.Options)) (*acm.DescribeCertificateOutput, error)
	ListCertificates(context.Context, *acm.ListCertificatesInput, ...func(*acm.Options)) (*acm.ListCertificatesOutput, error)
}

// Clients are the AWS APIs of a service's edge.
type Clients struct {
	CF      stacks.CloudFormation
	Route53 Route53
	ACM     ACM
	ELB     ELB
	S3      buckets.S3
	EC2     EC2
	Region  string
	// Regions lists the regions enabled for the account, and ACMIn is ACM in one of
	// them: where the certificates that may share a validation record live.
	Regions func(context.Context) ([]string, error)
	ACMIn   func(region string) ACM
}

// ELB is the part of the Elastic Load Balancing API the edge uses: stopping a load
// balancer's access logs before their bucket goes.
type ELB interface {
	ModifyLoadBalancerAttributes(context.Context, *elb.ModifyLoadBalancerAttributesInput, ...func(*elb.Options)) (*elb.ModifyLoadBalancerAttributesOutput, error)
}

// Zone is the Route 53 public hosted zone a domain's records go in.
type Zone struct {
	ID   string // without the /hostedzone/ prefix
	Name string // without the final dot
}

// HostedZone finds the public hosted zone of m.Domain, before anything changes: the
// zone given by id, or by name, or the closest enclosing zone of the name. Every way it
// can be missing or ambiguous stops the deploy with what to do.
func (c *Clients) HostedZone(ctx context.Context, m *manifest.Manifest) (Zone, error) {
	d := m.Domain
	if manifest.IsZoneID(d.Zone) {
		out, err := c.Route53.GetHostedZone(ctx, &route53.GetHostedZoneInput{Id: aws.String(d.Zone)})
		if err != nil {
			return Zone{}, hint.Wrap(fmt.Errorf("hosted zone %s of domain.zone: %w", d.Zone, err),
				"list your zones with \"aws route53 list-hosted-zones\"")
		}
		z := zoneOf(out.HostedZone)
		switch {
		case out.HostedZone.Config != nil && out.HostedZone.Config.PrivateZone:
			return Zone{}, domainError(m, "domain.zone", fmt.Sprintf("hosted zone %s (%s) is private: the certificate is validated and %s resolved from the internet, through a public zone", z.ID, z.Name, d.Name),
				"name the public zone of "+z.Name+" (aws route53 list-hosted-zones-by-name --dns-name "+z.Name+")")
		case !inZone(d.Name, z.Name):
			return Zone{}, domainError(m, "domain.zone", fmt.Sprintf("hosted zone %s is %s, which %s is not in", z.ID, z.Name, d.Name),
				"name the zone "+d.Name+" belongs to")
		}
		return z, nil
	}
	candidates := parents(d.Name)
	if d.Zone != "" {
		candidates = []string{strings.TrimSuffix(d.Zone, ".")}
	}
	var private []Zone
	for _, name := range candidates { // the closest zone first
		public, priv, err := c.zonesNamed(ctx, name)
		if err != nil {
			return Zone{}, err
		}
		private = append(private, priv...)
		switch len(public) {
		case 0:
			continue
		case 1:
			return public[0], nil
		default:
			var ids []string
			for _, z := range public {
				ids = append(ids, z.ID)
			}
			return Zone{}, domainError(m, "domain", fmt.Sprintf("%d public hosted zones are named %s (%s): berth cannot tell which one the domain is delegated to", len(public), name, strings.Join(ids, ", ")),
				"set domain.zone to the id of the zone the registrar's name servers point to (aws route53 get-hosted-zone --id ID shows its name servers)")
		}
	}
	where := "for " + d.Name + " or any domain it is in"
	if d.Zone != "" {
		where = "named " + d.Zone
	}
	if len(private) > 0 {
		return Zone{}, domainError(m, "domain", fmt.Sprintf("the only Route 53 hosted zone %s is private (%s %s): the certificate is validated and the name resolved from the internet, through a public zone", where, private[0].ID, private[0].Name),
			"create a public hosted zone: aws route53 create-hosted-zone --name "+parentOrSelf(d.Name)+" --caller-reference $(date +%s), and delegate the domain to its name servers")
	}
	return Zone{}, domainError(m, "domain", "no Route 53 public hosted zone "+where+" in this account",
		"create one: aws route53 create-hosted-zone --name "+parentOrSelf(d.Name)+" --caller-reference $(date +%s), then point the domain's name servers at it (at your registrar, or in the parent zone)")
}

// zonesNamed lists the hosted zones named exactly name, public and private apart.
func (c *Clients) zonesNamed(ctx context.Context, name string) (public, private []Zone, err error) {
	in := &route53.ListHostedZonesByNameInput{DNSName: aws.String(name + ".")}
	for {
		out, err := c.Route53.ListHostedZonesByName(ctx, in)
		if err != nil {
			return nil, nil, fmt.Errorf("list hosted zones named %s: %w", name, err)
		}
		for _, hz := range out.HostedZones {
			z := zoneOf(&hz)
			if z.Name != name {
				// the listing is ordered by name from DNSName on: past the name, no more
				return public, private, nil
			}
			if hz.Config != nil && hz.Config.PrivateZone {
				private = append(private, z)
			} else {
				public = append(public, z)
			}
		}
		if !out.IsTruncated {
			return public, private, nil
		}
		in.DNSName, in.HostedZoneId = out.NextDNSName, out.NextHostedZoneId
	}
}

func zoneOf(hz *r53types.HostedZone) Zone {
	return Zone{ID: strings.TrimPrefix(aws.ToString(hz.Id), "/hostedzone/"), Name: strings.TrimSuffix(strings.ToLower(aws.ToString(hz.Name)), ".")}
}

// parents is name and every domain it is in, closest first, down to two labels:
// api.shop.example.com, shop.example.com, example.com.
func parents(name string) []string {
	out := []string{name}
	for strings.Count(name, ".") > 1 {
		_, name, _ = strings.Cut(name, ".")
		out = append(out, name)
	}
	return out
}

func parentOrSelf(name string) string {
	if p := parents(name); len(p) > 1 {
		return p[len(p)-1]
	}
	return name
}

func inZone(name, zone string) bool { return name == zone || strings.HasSuffix(name, "."+zone) }

func domainError(m *manifest.Manifest, key, msg, what string) error {
	return hint.Wrap(&manifest.Error{File: m.File, Line: m.Line(key), Key: key, Msg: msg}, what)
}

// CheckCertificate refuses, before anything changes, a certificate the HTTPS listener
// could not use: in another region (a load balancer takes certificates of its own
// region only), not issued, expired, or not covering the name.
//
// With CloudFront in front, the certificate is the distribution's, which CloudFront
// takes from us-east-1 only (the manifest refuses another region): it is read there.
func (c *Clients) CheckCertificate(ctx context.Context, m *manifest.Manifest, now time.Time) error {
	certARN := m.Domain.Certificate
	region, api := c.Region, c.ACM
	if m.CloudFront() && c.ACMIn != nil {
		region, api = synth.EdgeRegion, c.ACMIn(synth.EdgeRegion)
	}
	if a, err := arn.Parse(certARN); err == nil && a.Region != region {
		return domainError(m, "domain.certificate", fmt.Sprintf("the certificate is in %s and the service deploys to %s: a load balancer uses certificates of its own region", a.Region, region),
			"request or import the certificate in "+region+" (aws acm request-certificate --region "+region+" ...)")
	}
	out, err := api.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(certARN)})
	var notFound *acmtypes.ResourceNotFoundException
	if errors.As(err, &notFound) {
		return domainError(m, "domain.certificate", "no such certificate in this account and region", "list them with \"aws acm list-certificates --region "+region+"\"")
	}
	if err != nil {
		return fmt.Errorf("describe certificate %s: %w", certARN, err)
	}
	cert := out.Certificate
	names := []string{aws.ToString(cert.DomainName)}
	for _, n := range cert.SubjectAlternativeNames {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	switch {
	case cert.Status != acmtypes.CertificateStatusIssued:
		return domainError(m, "domain.certificate", fmt.Sprintf("the certificate is %s, not ISSUED", cert.Status),
			"finish its validation (aws acm describe-certificate --certificate-arn "+certARN+" shows the records it waits for), or leave domain.certificate out and berth requests and validates one")
	case cert.NotAfter != nil && cert.NotAfter.Before(now):
		return domainError(m, "domain.certificate", "the certificate expired on "+cert.NotAfter.Format("2006-01-02"), "renew or replace it")
	case !covers(names, m.Domain.Name):
		return domainError(m, "domain.certificate", fmt.Sprintf("the certificate is for %s, which does not cover %s", strings.Join(names, ", "), m.Domain.Name),
			"use a certificate for "+m.Domain.Name+" (or a wildcard of its parent), or leave domain.certificate out and berth requests one")
	}
	return nil
}

// covers reports whether a certificate's names cover host: exactly, or through a
// wildcard that stands for one label.
func covers(names []string, host string) bool {
	for _, n := range names {
		n = strings.ToLower(n)
		if n == host {
			return true
		}
		if rest, ok := strings.CutPrefix(n, "*."); ok {
			if _, parent, found := strings.Cut(host, "."); found && parent == rest {
				return true
			}
		}
	}
	return false
}

// PlainHTTPNote is what deploy, diff and status say of a service without a domain.
const PlainHTTPNote = "warning: the service is served over plain HTTP, on the load balancer's own name: requests, tokens and passwords cross the internet in the clear. Add domain: api.example.com to berth.yml for HTTPS on your domain, or edge: cloudfront for HTTPS without one (docs/https.md)"
