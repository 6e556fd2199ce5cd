package ingress

import (
	"fmt"
	"strings"

	"github.com/berthdev/berth/internal/routing"
)

// DomainUsers are the services, other than service, that answer on domain over HTTPS
// on the environment's load balancer: through service's certificate.
func DomainUsers(t routing.Table, service, domain string) []string {
	var out []string
	for _, r := range t {
		if domain != "" && r.Service != service && r.HTTPS && strings.EqualFold(r.Host, domain) {
			out = append(out, fmt.Sprintf("%s (%s)", r.Service, r.Route))
		}
	}
	return out
}

// DomainOfURL is the name of an https:// URL ("" for any other).
func DomainOfURL(u string) string {
	rest, ok := strings.CutPrefix(u, "https://")
	if !ok {
		return ""
	}
	host, _, _ := strings.Cut(rest, "/")
	return host
}
