package localtls

import (
	"crypto/tls"
	"os"
	"path/filepath"
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

	// a second start keeps both: the user trusted the authority once
	f, _ = Ensure(dir, now.Add(time.Hour))
	if ca2, _ := os.ReadFile(f.CA); string(ca2) != string(ca1) {
		t.Error("the authority was made again")
	}
	if leaf2, _ := os.ReadFile(f.Cert); string(leaf2) != string(leaf1) {
		t.Error("a fresh certificate was made again")
	}
	// a year and ten days later (less than 30 days left) the certificate is renewed under the same authority
	f, _ = Ensure(dir, now.AddDate(1, 0, 10))
	if leaf3, _ := os.ReadFile(f.Cert); string(leaf3) == string(leaf1) {
		t.Error("a certificate about to expire was kept")
	}
	if ca3, _ := os.ReadFile(f.CA); string(ca3) != string(ca1) {
		t.Error("renewing the certificate replaced the authority")
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
