package localtls

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestTheAuthorityIsKeptAndTheCertificateRenewed(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	f, err := Ensure(dir, now)
	if err != nil {
		t.Fatal(err)
	}
	ca1, _ := os.ReadFile(f.CA)
	leaf1, _ := os.ReadFile(f.Cert)
	if st, _ := os.Stat(f.Key); st.Mode().Perm() != 0o600 {
		t.Errorf("key mode %v", st.Mode().Perm())
	}
	if st, _ := os.Stat(filepath.Join(dir, "ca-key.pem")); st.Mode().Perm() != 0o600 {
		t.Errorf("CA key mode %v", st.Mode().Perm())
	}

	if !f.NewCA {
		t.Error("the first authority is not said to be new")
	}

	// a second start keeps both: the user trusted the authority
	f, _ = Ensure(dir, now.Add(50*24*time.Hour))
	if ca2, _ := os.ReadFile(f.CA); string(ca2) != string(ca1) || f.NewCA {
		t.Error("the authority was made again")
	}
	if leaf2, _ := os.ReadFile(f.Cert); string(leaf2) != string(leaf1) {
		t.Error("a fresh certificate was made again")
	}
	// a certificate gone is made again under the same authority
	os.Remove(f.Cert)
	f, _ = Ensure(dir, now.Add(51*24*time.Hour))
	if ca3, _ := os.ReadFile(f.CA); string(ca3) != string(ca1) || f.NewCA {
		t.Error("renewing the certificate replaced the authority")
	}
	// within a week of its end (it lives 90 days), the authority is made anew, and the
	// certificate with it
	f, _ = Ensure(dir, now.Add(84*24*time.Hour))
	if ca4, _ := os.ReadFile(f.CA); string(ca4) == string(ca1) || !f.NewCA {
		t.Error("an authority about to expire was kept")
	}
	if leaf4, _ := os.ReadFile(f.Cert); string(leaf4) == string(leaf1) {
		t.Error("a certificate of the old authority was kept")
	}
	if d := f.CAExpires.Sub(now.Add(84 * 24 * time.Hour)); d > 90*24*time.Hour {
		t.Errorf("the authority lives %s", d)
	}
}

// The authority may vouch for loopback names only: a certificate it signs for any
// other name or address is refused by a client that trusts it (its name constraints
// are critical). An older, unconstrained authority is replaced.
func TestTheAuthorityIsConstrainedToLoopback(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	old, oldKey, err := makeAuthority(filepath.Join(dir, "ca.pem"), filepath.Join(dir, "ca-key.pem"), now)
	if err != nil {
		t.Fatal(err)
	}
	// what berth made before: valid ten years, for any name
	tmpl := *old
	tmpl.PermittedDNSDomainsCritical, tmpl.PermittedDNSDomains, tmpl.PermittedIPRanges = false, nil, nil
	tmpl.NotAfter = now.AddDate(10, 0, 0)
	der, _ := x509.CreateCertificate(rand.Reader, &tmpl, &tmpl, &oldKey.PublicKey, oldKey)
	write(filepath.Join(dir, "ca.pem"), filepath.Join(dir, "ca-key.pem"), der, oldKey)

	f, err := Ensure(dir, now)
	if err != nil {
		t.Fatal(err)
	}
	if !f.NewCA {
		t.Fatal("an unconstrained ten-year authority was kept")
	}
	ca, caKey, err := load(f.CA, filepath.Join(dir, "ca-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if life := ca.NotAfter.Sub(ca.NotBefore); life > 91*24*time.Hour {
		t.Errorf("the authority lives %s", life)
	}
	pool, _ := f.Pool()
	for _, c := range []struct {
		dns string
		ip  string
		ok  bool
	}{{"localhost", "127.0.0.1", true}, {"api.localhost", "::1", true}, {"example.com", "", false}, {"", "10.0.0.1", false}, {"", "127.0.0.2", true}} {
		tmpl := &x509.Certificate{SerialNumber: serial(), NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
		name := c.dns
		if c.dns != "" {
			tmpl.DNSNames = []string{c.dns}
		}
		if c.ip != "" {
			tmpl.IPAddresses = []net.IP{net.ParseIP(c.ip)}
			name = c.ip
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &caKey.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		leaf, _ := x509.ParseCertificate(der)
		_, err = leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: c.dns, CurrentTime: now})
		if (err == nil) != c.ok {
			t.Errorf("a certificate for %s signed by the authority: verified %v (%v), want %v", name, err == nil, err, c.ok)
		}
	}
}

func TestAClientThatTrustsTheAuthorityVerifiesLocalhost(t *testing.T) {
	f, err := Ensure(t.TempDir(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := f.Config()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	pool, err := f.Pool()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"localhost", "127.0.0.1"} {
		c, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{RootCAs: pool, ServerName: name})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		c.Close()
	}
	if c, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{RootCAs: pool, ServerName: "example.com"}); err == nil {
		c.Close()
		t.Error("the certificate is valid for a name that is not local")
	}
}

func TestAWorldWritableTLSDirectoryIsRefused(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("modes")
	}
	dir := t.TempDir()
	os.Chmod(dir, 0o777)
	_, err := Ensure(dir, time.Now())
	var unsafe *UnsafeDirError
	if !errors.As(err, &unsafe) || !strings.Contains(unsafe.Hint(), "chmod go-w "+dir) {
		t.Errorf("keys in a world-writable directory: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "ca-key.pem")); err == nil {
		t.Error("a key was written there")
	}
}
