package main

import (
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/localtls"
)

// With a domain in berth.yml, berth up serves HTTPS as the ALB would: a certificate
// from berth's local authority, the app told X-Forwarded-Proto https, and plain HTTP
// answered with a permanent redirect to it.
func TestUpServesHTTPSWithADomainAndRedirectsHTTP(t *testing.T) {
	needDocker(t)
	tlsDir := t.TempDir()
	t.Setenv(localtls.DirEnv, tlsDir)
	secure := freePort(t)
	p := launchUp(t, testApp(t, "tls-app", "count: 1\ndomain: api.example.com\n"), "e2e-tls", "--tls-listen", fmt.Sprintf("127.0.0.1:%d", secure))
	httpsURL := fmt.Sprintf("https://127.0.0.1:%d", secure)
	p.waitFor("ready: "+httpsURL, 3*time.Minute)
	if !strings.Contains(p.out.String(), "curl --cacert "+filepath.Join(tlsDir, "ca.pem")) {
		t.Errorf("berth up does not say how to trust its authority:\n%s", p.out.String())
	}

	files, err := localtls.Ensure(tlsDir, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	pool, err := files.Pool()
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       10 * time.Second,
	}
	for _, host := range []string{"127.0.0.1", "localhost"} {
		resp, err := client.Get(fmt.Sprintf("https://%s:%d/forwarded", host, secure))
		if err != nil {
			t.Fatalf("https on %s: %v", host, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := fmt.Sprintf("proto=https port=%d", secure)
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) || resp.TLS == nil {
			t.Errorf("https on %s: %d %q, want %q", host, resp.StatusCode, body, want)
		}
	}

	resp, err := client.Get(p.url + "/forwarded?x=1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if want := httpsURL + "/forwarded?x=1"; resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != want {
		t.Errorf("plain HTTP: %d Location %q, want 301 %q", resp.StatusCode, resp.Header.Get("Location"), want)
	}

	// plain HTTP sent to the HTTPS port is told so, as net/http's servers do
	if resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", secure)); err != nil || resp.StatusCode != http.StatusBadRequest {
		t.Errorf("plain HTTP to the HTTPS port: %v %v", err, resp)
	} else {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(body), "HTTP request to an HTTPS server") {
			t.Errorf("plain HTTP to the HTTPS port: %q", body)
		}
	}

	// without the authority, a client refuses the certificate: it is not a public one
	if _, err := http.Get(httpsURL + "/"); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("an untrusting client: %v", err)
	}
	if err := p.interrupt(); err != nil {
		t.Errorf("Ctrl-C: %v", err)
	}
}
