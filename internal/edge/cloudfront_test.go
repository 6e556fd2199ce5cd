package edge

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	acmtypes "github.com/aws/aws-sdk-go-v2/service/acm/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/berthdev/berth/internal/hint"
	"github.com/berthdev/berth/internal/manifest"
)

// prefixLists answers DescribeManagedPrefixLists as EC2 does: the lists whose name
// the filter gives.
type prefixLists map[string]string // name -> id

func (p prefixLists) DescribeManagedPrefixLists(_ context.Context, in *ec2.DescribeManagedPrefixListsInput, _ ...func(*ec2.Options)) (*ec2.DescribeManagedPrefixListsOutput, error) {
	out := &ec2.DescribeManagedPrefixListsOutput{}
	for name, id := range p {
		for _, f := range in.Filters {
			if aws.ToString(f.Name) == "prefix-list-name" && f.Values[0] == name {
				out.PrefixLists = append(out.PrefixLists, ec2types.ManagedPrefixList{PrefixListName: aws.String(name), PrefixListId: aws.String(id)})
			}
		}
	}
	return out, nil
}

// The origin-facing list is found by name (its id differs by region); a region
// without it refuses, saying what to do.
func TestOriginFacingPrefixListByName(t *testing.T) {
	c := &Clients{Region: "eu-west-1", EC2: prefixLists{"com.amazonaws.eu-west-1.s3": "pl-6da54004", "com.amazonaws.global.cloudfront.origin-facing": "pl-4fa04526"}}
	if id, err := c.OriginFacingPrefixList(context.Background()); err != nil || id != "pl-4fa04526" {
		t.Errorf("got %q, %v", id, err)
	}
	c.EC2 = prefixLists{"com.amazonaws.eu-west-1.s3": "pl-6da54004"}
	_, err := c.OriginFacingPrefixList(context.Background())
	var h *hint.Error
	if err == nil || !strings.Contains(err.Error(), "is not in eu-west-1") || !errors.As(err, &h) || !strings.Contains(h.Hint(), "leave edge out") {
		t.Errorf("no list: %v", err)
	}
}

// certsIn is ACM of one region answering DescribeCertificate for its certificates.
type certsIn struct {
	ACM
	region string
	certs  map[string]string // ARN -> domain name
}

func (a certsIn) DescribeCertificate(_ context.Context, in *acm.DescribeCertificateInput, _ ...func(*acm.Options)) (*acm.DescribeCertificateOutput, error) {
	name, ok := a.certs[aws.ToString(in.CertificateArn)]
	if !ok {
		return nil, &acmtypes.ResourceNotFoundException{Message: aws.String("not in " + a.region)}
	}
	return &acm.DescribeCertificateOutput{Certificate: &acmtypes.CertificateDetail{DomainName: aws.String(name), Status: acmtypes.CertificateStatusIssued}}, nil
}

// With CloudFront in front, the manifest's certificate is the distribution's: it is
// read in us-east-1, whatever the service's region.
func TestCloudFrontCertificateIsReadInUSEast1(t *testing.T) {
	const arn = "arn:aws:acm:us-east-1:123456789012:certificate/0b6d7f0e-8a8e-4f1c-9b1a-2c3d4e5f6a7b"
	src := "name: a\nedge: cloudfront\ndomain:\n  name: api.example.com\n  certificate: " + arn + "\n"
	m, err := manifest.Parse([]byte(src), filepath.Join(t.TempDir(), "berth.yml"))
	if err != nil {
		t.Fatal(err)
	}
	c := &Clients{Region: "eu-west-1", ACM: certsIn{region: "eu-west-1"},
		ACMIn: func(r string) ACM { return certsIn{region: r, certs: map[string]string{arn: "api.example.com"}} }}
	if err := c.CheckCertificate(context.Background(), m, time.Now()); err != nil {
		t.Errorf("a us-east-1 certificate for CloudFront: %v", err)
	}
	m.Edge = manifest.EdgeNone // a load balancer's: it would have to be in eu-west-1
	if err := c.CheckCertificate(context.Background(), m, time.Now()); err == nil || !strings.Contains(err.Error(), "the certificate is in us-east-1 and the service deploys to eu-west-1") {
		t.Errorf("a load balancer's certificate in us-east-1: %v", err)
	}
}

func TestNoCloudFrontWhereVPCOriginsAreNot(t *testing.T) {
	m, _ := manifest.Parse([]byte("name: a\nedge: cloudfront\n"), filepath.Join(t.TempDir(), "berth.yml"))
	for region, ok := range map[string]bool{"eu-west-1": true, "us-east-1": true, "cn-north-1": false, "us-gov-west-1": false} {
		if err := CheckCloudFrontRegion(m, region); (err == nil) != ok {
			t.Errorf("%s: %v", region, err)
		}
	}
}
