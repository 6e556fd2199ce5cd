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

// With edge: cloudfront, berth up serves HTTPS by default and the app gets the headers
// it gets behind CloudFront and the internal load balancer: X-Forwarded-Proto http on
// port 80 (the load balancer's listener), the viewer then the edge in X-Forwarded-For,
// CloudFront-Forwarded-Proto https and CloudFront-Viewer-Address.
func TestUpWithCloudFrontGivesTheAppCloudFrontsHeaders(t *testing.T) {
	needDocker(t)
	tlsDir := t.TempDir()
	t.Setenv(localtls.DirEnv, tlsDir)
	secure := freePort(t)
	p := launchUp(t, testApp(t, "cf-app", "count: 1\nedge: cloudfront\n"), "e2e-cf", "--tls-listen", fmt.Sprintf("127.0.0.1:%d", secure))
	p.waitFor(fmt.Sprintf("ready: https://127.0.0.1:%d", secure), 3*time.Minute)
	if !strings.Contains(p.out.String(), "HTTPS (edge: cloudfront in berth.yml, with the headers the app gets behind CloudFront") {
		t.Errorf("berth up does not say why it serves HTTPS:\n%s", p.out.String())
	}
	files, err := localtls.Ensure(tlsDir, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	pool, err := files.Pool()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := tls.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", secure), &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, port, _ := strings.Cut(conn.LocalAddr().String(), ":")
	fmt.Fprintf(conn, "GET /forwarded HTTP/1.1\r\nHost: api.example.com\r\nX-Forwarded-For: 203.0.113.9\r\nCloudFront-Viewer-Address: 198.51.100.1:1\r\nConnection: close\r\n\r\n")
	body, _ := io.ReadAll(conn)
	want := "proto=http port=80 for=203.0.113.9, 127.0.0.1, 127.0.0.1 cloudfront-proto=https viewer=127.0.0.1:" + port + "\n"
	if !strings.HasSuffix(string(body), want) {
		t.Errorf("the app got\n%s\nwant the body %q", body, want)
	}
	if err := p.interrupt(); err != nil {
		t.Errorf("Ctrl-C: %v", err)
	}
}
