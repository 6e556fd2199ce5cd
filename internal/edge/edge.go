package edge

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/berthdev/berth/internal/buckets"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	acmtypes "github.com/aws/aws-sdk-go-v2/service/acm/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/berthdev/berth/internal/stacks"
	"github.com/berthdev/berth/internal/synth"
)

// What a service's edge leaves that CloudFormation cannot remove by itself: an access
// log bucket with objects in it (CloudFormation deletes only empty buckets), and the
// DNS record that validated its certificate (CloudFormation creates it and never
// deletes it: aws-cloudformation/cloudformation-coverage-roadmap#1603).

// ReleaseAccessLogs stops the load balancer writing access logs, then empties their
// bucket, so that CloudFormation can delete it: the order matters, since the load
// balancer writes every 5 minutes and a bucket that is not empty does not delete.
func (c *Clients) ReleaseAccessLogs(ctx context.Context, st *stacks.Stack, account string, say func(string)) error {
	bucket := st.Outputs[synth.OutAccessLogBucket]
	if bucket == "" {
		return nil
	}
	lb, err := stacks.PhysicalID(ctx, c.CF, st.Name, "LoadBalancer")
	if err != nil {
		return err
	}
	if lb != "" {
		_, err := c.ELB.ModifyLoadBalancerAttributes(ctx, &elb.ModifyLoadBalancerAttributesInput{LoadBalancerArn: aws.String(lb),
			Attributes: []elbtypes.LoadBalancerAttribute{{Key: aws.String("access_logs.s3.enabled"), Value: aws.String("false")}}})
		var gone *elbtypes.LoadBalancerNotFoundException
		if err != nil && !errors.As(err, &gone) {
			return fmt.Errorf("stop the access logs of %s: %w", st.Name, err)
		}
	}
	n, err := buckets.EmptyBucket(ctx, c.S3, bucket, account)
	if err != nil {
		return fmt.Errorf("empty the access log bucket %s: %w", bucket, err)
	}
	say(fmt.Sprintf("emptied the access log bucket %s (%d object(s)) so that it can be deleted", bucket, n))
	return nil
}

// ValidationRecord is the DNS record ACM validated a certificate with.
type ValidationRecord struct {
	domain string
	record r53types.ResourceRecordSet
}

// CertificateRecords reads, before the stack goes, the validation records of the
// certificate berth requested for the service (none when the manifest brought its own).
func (c *Clients) CertificateRecords(ctx context.Context, st *stacks.Stack) (string, []ValidationRecord, error) {
	certARN, err := stacks.PhysicalID(ctx, c.CF, st.Name, "Certificate")
	if err != nil || certARN == "" {
		return "", nil, err
	}
	out, err := c.ACM.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(certARN)})
	var notFound *acmtypes.ResourceNotFoundException
	if errors.As(err, &notFound) {
		return "", nil, nil
	}
	if err != nil {
		return "", nil, fmt.Errorf("describe the certificate of %s: %w", st.Name, err)
	}
	var records []ValidationRecord
	for _, o := range out.Certificate.DomainValidationOptions {
		if r := o.ResourceRecord; r != nil {
			records = append(records, ValidationRecord{domain: aws.ToString(o.DomainName), record: r53types.ResourceRecordSet{
				Name: r.Name, Type: r53types.RRType(r.Type), ResourceRecords: []r53types.ResourceRecord{{Value: r.Value}},
			}})
		}
	}
	return certARN, records, nil
}

// RemoveValidationRecords deletes the validation records of a deleted certificate from
// the zone, except those another certificate of the account still renews with: ACM
// gives every certificate for the same name the same record (aws/aws-cdk#18311), in
// whatever region it lives (see certificateNames). It returns what it kept, and why:
// what remains of the service.
func (c *Clients) RemoveValidationRecords(ctx context.Context, zone, certARN string, records []ValidationRecord, say func(string)) ([]string, error) {
	if zone == "" || len(records) == 0 {
		return nil, nil
	}
	var kept []string
	inUse, err := c.certificateNames(ctx, certARN)
	if err != nil {
		// never remove what another certificate may renew with: keep them all, and say so
		for _, vr := range records {
			kept = append(kept, fmt.Sprintf("the validation record %s of %s in hosted zone %s (kept: %v; delete it once no certificate of the account covers %s)",
				strings.TrimSuffix(aws.ToString(vr.record.Name), "."), vr.domain, zone, err, vr.domain))
		}
		say(fmt.Sprintf("kept the certificate validation record(s) in hosted zone %s: %v", zone, err))
		return kept, nil
	}
	for _, vr := range records {
		if where := inUse[strings.ToLower(vr.domain)]; where != "" {
			say(fmt.Sprintf("kept the validation record of %s: another certificate of the account (%s) renews with it", vr.domain, where))
			continue
		}
		current, err := c.Route53.ListResourceRecordSets(ctx, &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String(zone),
			StartRecordName: vr.record.Name, StartRecordType: vr.record.Type, MaxItems: aws.Int32(1)})
		if err != nil {
			return kept, fmt.Errorf("read the validation record of %s: %w", vr.domain, err)
		}
		if len(current.ResourceRecordSets) == 0 || !sameName(aws.ToString(current.ResourceRecordSets[0].Name), aws.ToString(vr.record.Name)) ||
			current.ResourceRecordSets[0].Type != vr.record.Type {
			continue // already gone
		}
		// a delete must name the record exactly as it is, TTL included
		rs := current.ResourceRecordSets[0]
		if _, err := c.Route53.ChangeResourceRecordSets(ctx, &route53.ChangeResourceRecordSetsInput{HostedZoneId: aws.String(zone),
			ChangeBatch: &r53types.ChangeBatch{Comment: aws.String("berth delete: the certificate this record validated is gone"),
				Changes: []r53types.Change{{Action: r53types.ChangeActionDelete, ResourceRecordSet: &rs}}}}); err != nil {
			return kept, fmt.Errorf("delete the validation record of %s: %w", vr.domain, err)
		}
		say(fmt.Sprintf("removed the certificate validation record of %s from hosted zone %s", vr.domain, zone))
	}
	return kept, nil
}

// certificateNames are the names the account's other certificates cover, each with
// where one such certificate is (region and ARN).
//
// Which regions: all those enabled for the account. ACM certificates are regional, a
// name may have certificates in several regions (one per region whose load balancers
// serve it; CloudFront's always in us-east-1: ACM User Guide, "Supported Regions"), made
// by berth in other environments or by any other tool, and ACM validates them all with
// the same record (aws/aws-cdk#18311; dflook/cloudformation-dns-certificate#7;
// schwamster/serverless-certificate-creator#48, where a record left by one region's
// certificate validates another region's). Asking only the regions berth deployed to
// would miss those; a region that is not enabled holds no certificate in use.
// ec2:DescribeRegions answers the enabled regions (opted in, or on by default).
func (c *Clients) certificateNames(ctx context.Context, except string) (map[string]string, error) {
	regions := []string{c.Region}
	if c.Regions != nil && c.ACMIn != nil {
		var err error
		if regions, err = c.Regions(ctx); err != nil {
			return nil, fmt.Errorf("could not list the account's regions to look for certificates there: %w", err)
		}
		slices.Sort(regions)
	}
	names := map[string]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make([]error, len(regions))
	limit := make(chan struct{}, 8)
	for i, region := range regions {
		api := c.ACM
		if c.ACMIn != nil {
			api = c.ACMIn(region)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			limit <- struct{}{}
			defer func() { <-limit }()
			found, err := certificatesIn(ctx, api, except)
			if err != nil {
				errs[i] = fmt.Errorf("could not list the certificates of %s: %w", region, err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for name, arn := range found {
				if _, ok := names[name]; !ok {
					names[name] = region + ": " + arn
				}
			}
		}()
	}
	wg.Wait()
	return names, errors.Join(errs...)
}

// certificatesIn are the names the certificates of one region cover, but except's.
func certificatesIn(ctx context.Context, api ACM, except string) (map[string]string, error) {
	names := map[string]string{}
	in := &acm.ListCertificatesInput{Includes: &acmtypes.Filters{KeyTypes: acmtypes.KeyAlgorithm("").Values()}}
	for {
		out, err := api.ListCertificates(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, s := range out.CertificateSummaryList {
			arn := aws.ToString(s.CertificateArn)
			if arn == except {
				continue
			}
			names[strings.ToLower(aws.ToString(s.DomainName))] = arn
			for _, n := range s.SubjectAlternativeNameSummaries {
				names[strings.ToLower(n)] = arn
			}
		}
		if out.NextToken == nil {
			return names, nil
		}
		in.NextToken = out.NextToken
	}
}

// CertificateUsers are the resources that use a certificate now (ACM's InUseBy: load
// balancers, CloudFront distributions, ...); none when it is gone.
func (c *Clients) CertificateUsers(ctx context.Context, certARN string) ([]string, error) {
	out, err := c.ACM.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(certARN)})
	var notFound *acmtypes.ResourceNotFoundException
	if errors.As(err, &notFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("describe certificate %s: %w", certARN, err)
	}
	return out.Certificate.InUseBy, nil
}

func sameName(a, b string) bool {
	return strings.EqualFold(strings.TrimSuffix(a, "."), strings.TrimSuffix(b, "."))
}
