package edge

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	acmtypes "github.com/aws/aws-sdk-go-v2/service/acm/types"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
)

type regions struct {
	names []string
	err   error
}

func (r regions) list(context.Context) ([]string, error) { return r.names, r.err }

// regionCerts is ACM in one region: its certificates by ARN and the names they cover.
type regionCerts struct {
	ACM
	certs map[string][]string
	err   error
}

func (a regionCerts) ListCertificates(_ context.Context, in *acm.ListCertificatesInput, _ ...func(*acm.Options)) (*acm.ListCertificatesOutput, error) {
	if len(in.Includes.KeyTypes) < 2 {
		return nil, errors.New("only RSA_2048 certificates asked for: ListCertificates leaves the others out by default")
	}
	out := &acm.ListCertificatesOutput{}
	for arn, names := range a.certs {
		out.CertificateSummaryList = append(out.CertificateSummaryList, acmtypes.CertificateSummary{CertificateArn: aws.String(arn),
			DomainName: aws.String(names[0]), SubjectAlternativeNameSummaries: names})
	}
	return out, a.err
}

// zone is a hosted zone holding validation records.
type zone struct {
	Route53
	records []r53types.ResourceRecordSet
	deleted []string
}

func (z *zone) ListResourceRecordSets(_ context.Context, in *route53.ListResourceRecordSetsInput, _ ...func(*route53.Options)) (*route53.ListResourceRecordSetsOutput, error) {
	for _, r := range z.records {
		if aws.ToString(r.Name) == aws.ToString(in.StartRecordName) {
			return &route53.ListResourceRecordSetsOutput{ResourceRecordSets: []r53types.ResourceRecordSet{r}}, nil
		}
	}
	return &route53.ListResourceRecordSetsOutput{}, nil
}

func (z *zone) ChangeResourceRecordSets(_ context.Context, in *route53.ChangeResourceRecordSetsInput, _ ...func(*route53.Options)) (*route53.ChangeResourceRecordSetsOutput, error) {
	for _, c := range in.ChangeBatch.Changes {
		z.deleted = append(z.deleted, aws.ToString(c.ResourceRecordSet.Name))
	}
	return &route53.ChangeResourceRecordSetsOutput{}, nil
}

func validation(domain, name string) ValidationRecord {
	return ValidationRecord{domain: domain, record: r53types.ResourceRecordSet{Name: aws.String(name), Type: r53types.RRTypeCname,
		ResourceRecords: []r53types.ResourceRecord{{Value: aws.String("_x.acm-validations.aws.")}}}}
}

// ACM validates every certificate of a name in the account with the same record, in any
// region: a record is removed only when no certificate of any enabled region covers its
// name, and kept, saying why, when berth cannot tell.
func TestValidationRecordsSharedWithOtherRegionsStay(t *testing.T) {
	const deleted = "arn:aws:acm:eu-west-1:1:certificate/gone"
	records := []ValidationRecord{validation("api.example.com", "_a.api.example.com."), validation("www.example.com", "_w.www.example.com.")}
	acmIn := func(byRegion map[string]regionCerts) func(string) ACM {
		return func(region string) ACM { return byRegion[region] }
	}
	all := map[string]regionCerts{
		"eu-west-1": {certs: map[string][]string{deleted: {"api.example.com", "www.example.com"}}},
		// CloudFront's certificate for the same name lives in us-east-1
		"us-east-1":  {certs: map[string][]string{"arn:aws:acm:us-east-1:1:certificate/cdn": {"api.example.com"}}},
		"ap-south-1": {},
	}
	for _, tc := range []struct {
		name    string
		regions regions
		certs   map[string]regionCerts
		removed string
		says    string
		kept    int
	}{
		{"a certificate in another region keeps its record", regions{names: []string{"eu-west-1", "us-east-1", "ap-south-1"}}, all,
			"_w.www.example.com.", "kept the validation record of api.example.com: another certificate of the account (us-east-1: arn:aws:acm:us-east-1:1:certificate/cdn) renews with it", 0},
		{"the regions cannot be listed: every record stays", regions{err: errors.New("UnauthorizedOperation")}, all,
			"", "kept the certificate validation record(s) in hosted zone Z1: could not list the account's regions", 2},
		{"one region's certificates cannot be listed: every record stays", regions{names: []string{"eu-west-1", "us-east-1"}},
			map[string]regionCerts{"eu-west-1": all["eu-west-1"], "us-east-1": {err: errors.New("AccessDenied")}},
			"", "could not list the certificates of us-east-1: AccessDenied", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			z := &zone{records: []r53types.ResourceRecordSet{records[0].record, records[1].record}}
			c := &Clients{Route53: z, Region: "eu-west-1", Regions: tc.regions.list, ACMIn: acmIn(tc.certs), ACM: tc.certs["eu-west-1"]}
			var said []string
			kept, err := c.RemoveValidationRecords(context.Background(), "Z1", deleted, records, func(s string) { said = append(said, s) })
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(z.deleted, ","); got != tc.removed {
				t.Errorf("removed %q, want %q", got, tc.removed)
			}
			if text := strings.Join(said, "\n"); !strings.Contains(text, tc.says) {
				t.Errorf("said %q, want %q", text, tc.says)
			}
			if len(kept) != tc.kept {
				t.Errorf("kept %q, want %d", kept, tc.kept)
			}
		})
	}
}
