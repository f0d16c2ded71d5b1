package braidtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"time"
)

// TestCA is a certificate authority made in memory for tests, with a
// server certificate valid for 127.0.0.1, ::1 and localhost and a client
// certificate, all ECDSA P-256 and valid for a day from an hour ago. It
// stands in for the PEM files Twisted's tests load (server.pem and
// friends): nothing touches the disk.
type TestCA struct {
	// Cert is the CA's certificate; Pool holds it alone.
	Cert *x509.Certificate
	Pool *x509.CertPool
	// Server and Client are the leaf certificates with their keys.
	Server, Client tls.Certificate
}

// NewTestCA makes a fresh CA and its two leaves. It fails only if the
// system's random source does.
func NewTestCA() (*TestCA, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("test CA key: %w", err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "braidtest CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("test CA certificate: %w", err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}
	ca := &TestCA{Cert: caCert, Pool: x509.NewCertPool()}
	ca.Pool.AddCert(caCert)
	leaf := func(serial int64, name string, usage x509.ExtKeyUsage, hosts bool) (tls.Certificate, error) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return tls.Certificate{}, err
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial),
			Subject:      pkix.Name{CommonName: name},
			NotBefore:    now.Add(-time.Hour),
			NotAfter:     now.Add(24 * time.Hour),
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{usage},
		}
		if hosts {
			tmpl.DNSNames = []string{"localhost"}
			tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
		if err != nil {
			return tls.Certificate{}, err
		}
		parsed, err := x509.ParseCertificate(der)
		if err != nil {
			return tls.Certificate{}, err
		}
		return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: parsed}, nil
	}
	if ca.Server, err = leaf(2, "localhost", x509.ExtKeyUsageServerAuth, true); err != nil {
		return nil, fmt.Errorf("test server certificate: %w", err)
	}
	if ca.Client, err = leaf(3, "braidtest client", x509.ExtKeyUsageClientAuth, false); err != nil {
		return nil, fmt.Errorf("test client certificate: %w", err)
	}
	return ca, nil
}

// ServerConfig is a tls.Config serving the server certificate. Client
// certificates are not asked for; see MutualServerConfig.
func (ca *TestCA) ServerConfig() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{ca.Server}}
}

// MutualServerConfig is ServerConfig that also requires a client
// certificate signed by the CA.
func (ca *TestCA) MutualServerConfig() *tls.Config {
	c := ca.ServerConfig()
	c.ClientAuth = tls.RequireAndVerifyClientCert
	c.ClientCAs = ca.Pool
	return c
}

// ClientConfig is a tls.Config trusting only the CA and presenting the
// client certificate when asked. ServerName is left empty: braid's
// ConnectSSL fills it with the host connected to.
func (ca *TestCA) ClientConfig() *tls.Config {
	return &tls.Config{RootCAs: ca.Pool, Certificates: []tls.Certificate{ca.Client}}
}

// PEM encodes c's certificates and (when it has one) private key as PEM,
// for code that loads them from files, as endpoint descriptions do.
func PEM(c tls.Certificate) (certPEM, keyPEM []byte) {
	for _, der := range c.Certificate {
		certPEM = append(certPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	if c.PrivateKey != nil {
		if der, err := x509.MarshalPKCS8PrivateKey(c.PrivateKey); err == nil {
			keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
		}
	}
	return certPEM, keyPEM
}
