package preflight

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/berthdev/berth/internal/hint"
)

// A certificate berth requests is validated through a record CloudFormation writes into
// the hosted zone. If the domain is delegated to other name servers (a zone made anew
// and the registrar never told, a second zone of the same name, a subdomain zone without
// NS records in its parent), ACM never sees the record: it "makes repeated attempts to
// validate a certificate for 72 hours and then times out" (ACM API reference,
// CertificateDetail Status; ACM User Guide, "DNS validation"), and the deploy waits with
// it. A zone serves the domain once the registrar, or the parent zone, names its four
// name servers ("Making Amazon Route 53 the DNS service for an existing domain",
// "Routing traffic for subdomains"); so the zone's name servers (its delegation set) are
// compared with the name servers public DNS answers for the zone's name.

// Route53 is the part of the Route 53 API the delegation check reads.
type Route53 interface {
	GetHostedZone(context.Context, *route53.GetHostedZoneInput, ...func(*route53.Options)) (*route53.GetHostedZoneOutput, error)
}

// Resolver answers what public DNS says of a name: net.DefaultResolver; tests use a fake
// and send no DNS query.
type Resolver interface {
	LookupNS(ctx context.Context, name string) ([]*net.NS, error)
}

// dnsTimeout bounds the lookup: DNS that does not answer is no reason to stop a deploy.
const dnsTimeout = 5 * time.Second

// checkDelegation refuses a certificate request that could not be validated because the
// domain is delegated elsewhere, and warns when the service's record would not be seen.
func (c *Clients) checkDelegation(ctx context.Context, d Deploy) ([]string, error) {
	if d.ZoneID == "" {
		return nil, nil
	}
	if c.Emulated != "" {
		return []string{fmt.Sprintf("not checked: that public DNS delegates %s to hosted zone %s (the AWS endpoint is an emulator: %s)", d.ZoneName, d.ZoneID, c.Emulated)}, nil
	}
	out, err := c.Route53.GetHostedZone(ctx, &route53.GetHostedZoneInput{Id: aws.String(d.ZoneID)})
	if err != nil {
		return []string{unread("the name servers of hosted zone "+d.ZoneID, err)}, nil
	}
	if out.DelegationSet == nil || len(out.DelegationSet.NameServers) == 0 {
		return nil, nil
	}
	own := normalized(out.DelegationSet.NameServers)
	lookup, cancel := context.WithTimeout(ctx, dnsTimeout)
	defer cancel()
	answer, err := c.DNS.LookupNS(lookup, d.ZoneName)
	var dnsErr *net.DNSError
	notFound := errors.As(err, &dnsErr) && dnsErr.IsNotFound
	if err != nil && !notFound {
		return []string{unread("that public DNS delegates "+d.ZoneName+" to hosted zone "+d.ZoneID, err)}, nil
	}
	var public []string
	for _, ns := range answer {
		public = append(public, ns.Host)
	}
	public = normalized(public)
	for _, ns := range public {
		if slices.Contains(own, ns) {
			return nil, nil // delegated to the zone (a mixed set still reaches it)
		}
	}
	said := "public DNS sends " + d.ZoneName + " to " + strings.Join(public, ", ")
	if len(public) == 0 {
		said = "public DNS knows no name servers for " + d.ZoneName
	}
	said += fmt.Sprintf(", not to the name servers of hosted zone %s (%s)", d.ZoneID, strings.Join(own, ", "))
	requests := false // the deploy requests a certificate, validated through the zone
	for _, s := range d.Stacks {
		requests = requests || len(s.added("AWS::CertificateManager::Certificate")) > 0
	}
	if !requests {
		return []string{"warning: " + said + ": the record berth writes there is not seen until the domain is delegated to them"}, nil
	}
	return nil, hint.Wrap(fmt.Errorf("the certificate for %s would never be validated: %s, so ACM would not see the validation record berth writes there and the deploy would wait up to 72 hours for it; nothing was changed", d.Manifest.Domain.Name, said),
		fmt.Sprintf("delegate %s to %s: at its registrar (a registered domain), or with an NS record in the parent zone (a subdomain); or set domain.zone to the hosted zone it is delegated to. Resolvers see a new delegation once the NS records they cached expire (dig NS %s shows what they see)",
			d.ZoneName, strings.Join(own, ", "), d.ZoneName))
}

// normalized are name server names in lower case, without the final dot, sorted.
func normalized(names []string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		out = append(out, strings.TrimSuffix(strings.ToLower(n), "."))
	}
	slices.Sort(out)
	return out
}
