package preflight

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/synth"
)

var zoneServers = []string{"ns-1536.awsdns-00.co.uk", "ns-0.awsdns-00.com", "ns-1024.awsdns-00.org", "ns-512.awsdns-00.net"}

const https = "name: web\ndomain: api.example.com\n"

// The lookups are answered by a fake resolver: no test sends a DNS query.
func TestDomainDelegatedElsewhereIsSaidBeforeTheCertificateWaits(t *testing.T) {
	for _, tc := range []struct {
		name     string
		text     string
		deployed bool // the service (and its certificate) exist
		dns      fakeDNS
		emulated string
		want     string // in the error; "": none
		hint     string
		note     string // in the notes
	}{
		{name: "delegated to the zone (public DNS answers in its own case, with final dots)", text: https,
			dns: fakeDNS{ns: []string{"NS-0.AWSDNS-00.COM.", "ns-512.awsdns-00.net.", "ns-1024.awsdns-00.org.", "ns-1536.awsdns-00.co.uk."}}},
		{name: "delegated to another zone's name servers, a certificate to request: refused", text: https,
			dns:  fakeDNS{ns: []string{"ns-99.awsdns-12.com.", "ns-700.awsdns-20.net."}},
			want: "the certificate for api.example.com would never be validated: public DNS sends example.com to ns-700.awsdns-20.net, ns-99.awsdns-12.com, not to the name servers of hosted zone Z0123 (ns-0.awsdns-00.com, ns-1024.awsdns-00.org, ns-1536.awsdns-00.co.uk, ns-512.awsdns-00.net), so ACM would not see the validation record berth writes there and the deploy would wait up to 72 hours for it; nothing was changed",
			hint: "delegate example.com to ns-0.awsdns-00.com, ns-1024.awsdns-00.org, ns-1536.awsdns-00.co.uk, ns-512.awsdns-00.net: at its registrar"},
		{name: "not delegated at all (NXDOMAIN): refused", text: https,
			dns:  fakeDNS{err: &net.DNSError{Err: "no such host", Name: "example.com", IsNotFound: true}},
			want: "public DNS knows no name servers for example.com, not to the name servers of hosted zone Z0123"},
		{name: "a certificate of the user's own on a load balancer of its own: a warning, the deploy goes on", text: "name: web\nload_balancer: {dedicated: true}\ndomain:\n  name: api.example.com\n  certificate: arn:aws:acm:us-east-1:123456789012:certificate/0b6d7f0e-8a8e-4f1c-9b1a-2c3d4e5f6a7b\n",
			dns:  fakeDNS{ns: []string{"ns1.registrar.example."}},
			note: "warning: public DNS sends example.com to ns1.registrar.example, not to the name servers of hosted zone Z0123"},
		{name: "a certificate of the user's own, the first on the environment's load balancer, whose default certificate berth requests: refused",
			text: "name: web\ndomain:\n  name: api.example.com\n  certificate: arn:aws:acm:us-east-1:123456789012:certificate/0b6d7f0e-8a8e-4f1c-9b1a-2c3d4e5f6a7b\n",
			dns:  fakeDNS{ns: []string{"ns1.registrar.example."}},
			want: "the certificate for api.example.com would never be validated"},
		{name: "a deployed service whose certificate exists: a warning", text: "name: web\nload_balancer: {dedicated: true}\ndomain: api.example.com\n", deployed: true,
			dns:  fakeDNS{ns: []string{"ns1.registrar.example."}},
			note: "warning: public DNS sends example.com to ns1.registrar.example"},
		{name: "DNS that does not answer is said, and stops nothing", text: https,
			dns:  fakeDNS{err: &net.DNSError{Err: "i/o timeout", Name: "example.com", IsTimeout: true}},
			note: "not checked: that public DNS delegates example.com to hosted zone Z0123"},
		{name: "an emulator: no lookup", text: https, emulated: "AWS_ENDPOINT_URL=http://127.0.0.1:5000",
			note: "not checked: that public DNS delegates example.com to hosted zone Z0123 (the AWS endpoint is an emulator: AWS_ENDPOINT_URL=http://127.0.0.1:5000)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Clients{Route53: fakeRoute53{nameServers: zoneServers}, DNS: &tc.dns, Region: "us-east-1", Emulated: tc.emulated}
			var d Deploy
			if tc.deployed {
				d = deployOf(t, tc.text, tc.text, synth.Network, synth.Cluster, synth.Service)
			} else {
				d = deployOf(t, tc.text, "")
			}
			d.ZoneID, d.ZoneName = "Z0123", "example.com"
			notes, err := c.checkDelegation(context.Background(), d)
			if tc.emulated != "" && len(tc.dns.asked) > 0 {
				t.Errorf("asked DNS for %v on an emulator", tc.dns.asked)
			}
			if tc.want == "" && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("got %v\nwant %q", err, tc.want)
				}
				if !strings.Contains(hintOf(t, err), tc.hint) {
					t.Errorf("hint %q\nwants %q", hintOf(t, err), tc.hint)
				}
			}
			if got := strings.Join(notes, "\n"); tc.note != "" && !strings.Contains(got, tc.note) || tc.note == "" && got != "" {
				t.Errorf("notes %q\nwant %q", got, tc.note)
			}
		})
	}
}

func TestNoDomainNoLookup(t *testing.T) {
	dns := &fakeDNS{}
	c := &Clients{DNS: dns}
	if notes, err := c.checkDelegation(context.Background(), deployOf(t, web, "")); err != nil || len(notes) > 0 || len(dns.asked) > 0 {
		t.Errorf("notes %q, err %v, asked %v", notes, err, dns.asked)
	}
}
