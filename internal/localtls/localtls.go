// Package localtls makes the certificates "berth up --tls" serves HTTPS with: a local
// certificate authority, kept for its lifetime, and a certificate for localhost,
// 127.0.0.1 and ::1 that it signs. Trust the authority (curl --cacert, or the system's
// trust store) and the certificates it signs are trusted too, as with mkcert.
//
// Unlike mkcert's, the authority cannot vouch for anything but this machine: its name
// constraints (RFC 5280, 4.2.1.10, marked critical) permit only localhost and its
// subdomains, 127.0.0.0/8 and ::1, so a copy of its key cannot sign a certificate a
// browser that trusts it would take for another site; and it lives 90 days, not ten
// years, so a key left in an old backup is soon worth nothing.
//
// It imports nothing of berth's.
package localtls

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// DirEnv overrides where the files are kept (tests, or a shared location).
const DirEnv = "BERTH_TLS_DIR"

// Names the serving certificate covers.
var (
	DNSNames = []string{"localhost"}
	IPs      = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
)

// Files are where the authority and the serving certificate are.
type Files struct {
	Dir  string
	CA   string // the authority's certificate: what a client trusts
	Cert string // the serving certificate and its key
	Key  string
	// NewCA says the authority was made now (the first time, or the last one was
	// about to expire): a client must trust it anew. CAExpires is when it expires.
	NewCA     bool
	CAExpires time.Time
}

// Lifetimes: the authority lives caLife and is made anew renewBefore its end; the
// serving certificate ends with it.
const (
	caLife      = 90 * 24 * time.Hour
	renewBefore = 7 * 24 * time.Hour
)

// loopbackNets are the addresses the authority may vouch for.
var loopbackNets = []*net.IPNet{
	{IP: net.IPv4(127, 0, 0, 0).To4(), Mask: net.CIDRMask(8, 32)},
	{IP: net.IPv6loopback, Mask: net.CIDRMask(128, 128)},
}

// Dir is where the files are kept: $BERTH_TLS_DIR, else berth/tls in the user's
// configuration directory.
func Dir() (string, error) {
	if d := os.Getenv(DirEnv); d != "" {
		return d, nil
	}
	base, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("local TLS: no configuration directory: %w (set %s)", err, DirEnv)
	}
	return filepath.Join(base, "berth", "tls"), nil
}

// Ensure returns the files, making what is missing: the authority when there is none,
// it expires within 7 days, or it is not one this version makes (name-constrained, 90
// days); the serving certificate when there is none, it does not cover the names, it
// was not signed by the authority, or it expires within 7 days (it ends with the
// authority).
func Ensure(dir string, now time.Time) (*Files, error) {
	f := &Files{Dir: dir, CA: filepath.Join(dir, "ca.pem"), Cert: filepath.Join(dir, "localhost.pem"), Key: filepath.Join(dir, "localhost-key.pem")}
	caKeyFile := filepath.Join(dir, "ca-key.pem")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("local TLS: %w", err)
	}
	if err := CheckPrivate(dir, "TLS directory", DirEnv); err != nil {
		return nil, err
	}
	ca, caKey, err := load(f.CA, caKeyFile)
	if err != nil || now.After(ca.NotAfter.Add(-renewBefore)) || !constrained(ca) {
		if ca, caKey, err = makeAuthority(f.CA, caKeyFile, now); err != nil {
			return nil, err
		}
		f.NewCA = true
	}
	f.CAExpires = ca.NotAfter
	leaf, _, err := load(f.Cert, f.Key)
	if err != nil || !fresh(leaf, ca, now) {
		if err := makeLeaf(f.Cert, f.Key, ca, caKey, now); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// Config is the server side of it.
func (f *Files) Config() (*tls.Config, error) {
	pair, err := tls.LoadX509KeyPair(f.Cert, f.Key)
	if err != nil {
		return nil, fmt.Errorf("local TLS: %w", err)
	}
	// TLS 1.2 and 1.3, like the load balancer's policy
	return &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}}, nil
}

// Pool is a client's trust in the authority.
func (f *Files) Pool() (*x509.CertPool, error) {
	data, err := os.ReadFile(f.CA)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, errors.New("local TLS: no certificate in " + f.CA)
	}
	return pool, nil
}

// constrained reports an authority made the way this version makes them: limited to
// loopback names and addresses, and short-lived. Any other (an older berth's, valid
// ten years and for any name) is replaced.
func constrained(ca *x509.Certificate) bool {
	if !ca.PermittedDNSDomainsCritical || !slices.Equal(ca.PermittedDNSDomains, DNSNames) ||
		len(ca.PermittedIPRanges) != len(loopbackNets) || ca.NotAfter.Sub(ca.NotBefore) > caLife+2*time.Hour {
		return false
	}
	for i, n := range ca.PermittedIPRanges {
		if n.String() != loopbackNets[i].String() {
			return false
		}
	}
	return true
}

func fresh(leaf, ca *x509.Certificate, now time.Time) bool {
	if leaf.CheckSignatureFrom(ca) != nil || now.After(leaf.NotAfter.Add(-renewBefore)) {
		return false
	}
	for _, n := range DNSNames {
		if !slices.Contains(leaf.DNSNames, n) {
			return false
		}
	}
	for _, ip := range IPs {
		if !slices.ContainsFunc(leaf.IPAddresses, ip.Equal) {
			return false
		}
	}
	return true
}

func load(certFile, keyFile string) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return nil, nil, err
	}
	key, ok := pair.PrivateKey.(*ecdsa.PrivateKey)
	if !ok {
		return nil, nil, errors.New("not an ECDSA key")
	}
	return cert, key, nil
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	return n
}

func makeAuthority(certFile, keyFile string, now time.Time) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	host, _ := os.Hostname()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{Organization: []string{"berth local development"}, CommonName: "berth local CA " + host},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(caLife),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true, // it signs serving certificates only
		// it may vouch for this machine's names only, whoever gets hold of its key
		PermittedDNSDomainsCritical: true,
		PermittedDNSDomains:         DNSNames,
		PermittedIPRanges:           loopbackNets,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	if err := write(certFile, keyFile, der, key); err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	return cert, key, err
}

func makeLeaf(certFile, keyFile string, ca *x509.Certificate, caKey *ecdsa.PrivateKey, now time.Time) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{Organization: []string{"berth local development"}, CommonName: "localhost"},
		DNSNames:     DNSNames,
		IPAddresses:  IPs,
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     ca.NotAfter, // the authority's end, at most 90 days: less than browsers' 397
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return err
	}
	return write(certFile, keyFile, der, key)
}

// write keeps the key readable by its owner only.
func write(certFile, keyFile string, der []byte, key *ecdsa.PrivateKey) error {
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return fmt.Errorf("local TLS: %w", err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return fmt.Errorf("local TLS: %w", err)
	}
	return nil
}
