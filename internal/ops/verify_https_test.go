package ops

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// httpsSite serves a domain the way the load balancer does, on loopback: HTTPS with a
// certificate for the name (httptest's is for example.com), and plain HTTP that
// redirects. The client dials the loopback servers whatever the name.
func httpsSite(t *testing.T, redirect func(w http.ResponseWriter, r *http.Request)) *http.Client {
	t.Helper()
	secure := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	plain := httptest.NewServer(http.HandlerFunc(redirect))
	t.Cleanup(secure.Close)
	t.Cleanup(plain.Close)
	roots := x509.NewCertPool()
	roots.AddCert(secure.Certificate())
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		to := plain.Listener.Addr().String()
		if strings.HasSuffix(addr, ":443") {
			to = secure.Listener.Addr().String()
		}
		return (&net.Dialer{}).DialContext(ctx, network, to)
	}
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DialContext: dial, TLSClientConfig: &tls.Config{RootCAs: roots}}}
}

func TestVerifyChecksHTTPSAndTheRedirect(t *testing.T) {
	client := httpsSite(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://"+r.Host+":443"+r.URL.Path, http.StatusMovedPermanently)
	})
	c := &Clients{}
	st := &Status{URL: "https://example.com", Desired: 1, Running: 1}
	ok := c.urlCheck(context.Background(), st, VerifyOptions{HTTP: client}, time.Minute)
	if ok.Result != "pass" || !strings.Contains(ok.Detail, "200 OK, TLS 1.3, certificate valid for example.com until") {
		t.Errorf("https check: %+v", ok)
	}
	r := c.redirectCheck(context.Background(), st, VerifyOptions{HTTP: client}, time.Minute)
	if r.Result != "pass" || r.Name != "GET http://example.com/ redirects to HTTPS" || !strings.Contains(r.Detail, "301 Moved Permanently to https://example.com:443/") {
		t.Errorf("redirect check: %+v", r)
	}

	// a service on a path of a shared name (the environment's distribution, or a host of
	// its load balancer) is asked on its path, which is all of the name that is its own
	onPath := c.redirectCheck(context.Background(), &Status{URL: "https://example.com/orders"}, VerifyOptions{HTTP: client}, time.Minute)
	if onPath.Result != "pass" || onPath.Name != "GET http://example.com/orders redirects to HTTPS" || !strings.Contains(onPath.Detail, "to https://example.com:443/orders") {
		t.Errorf("redirect check on a path: %+v", onPath)
	}

	// a certificate for another name fails the HTTPS check, with Go's reason
	other := c.urlCheck(context.Background(), &Status{URL: "https://api.example.net"}, VerifyOptions{HTTP: client}, time.Minute)
	if other.Result != "fail" || !strings.Contains(other.Detail, "certificate is valid for") {
		t.Errorf("certificate for another name: %+v", other)
	}
}

func TestVerifyFailsPlainHTTPThatDoesNotRedirect(t *testing.T) {
	for name, handler := range map[string]http.HandlerFunc{
		"serves": func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("plain")) },
		"temporary": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://example.com/", http.StatusFound)
		},
		"to elsewhere": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://evil.example/", http.StatusMovedPermanently)
		},
		"to http": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://example.com:8080/", http.StatusMovedPermanently)
		},
	} {
		client := httpsSite(t, handler)
		r := (&Clients{}).redirectCheck(context.Background(), &Status{URL: "https://example.com"}, VerifyOptions{HTTP: client}, time.Minute)
		if r.Result != "fail" || !strings.Contains(r.Detail, "want 301 to https://example.com/") {
			t.Errorf("%s: %+v", name, r)
		}
	}
}

func TestVerifySkipsTheDomainOnAnEmulator(t *testing.T) {
	c := &Clients{Emulated: "http://127.0.0.1:5000"}
	r := c.redirectCheck(context.Background(), &Status{URL: "https://api.example.com"}, VerifyOptions{}, time.Minute)
	if r.Result != "skip" {
		t.Errorf("%+v", r)
	}
}
