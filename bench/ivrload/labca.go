package ivrload

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"time"
)

// LabCA is a certificate authority made on the spot for a lab or a test:
// it signs server certificates for the addresses a load run targets, and
// its certificate (CAFile) is what the callers verify them against. Its
// key lives in memory only; nothing it signs is meant for the internet.
type LabCA struct {
	CAFile string // PEM certificate of the CA
	cert   *x509.Certificate
	key    *ecdsa.PrivateKey
}

// labValidity is how long a lab certificate lasts: a day either side of
// now, so clocks a little apart still agree.
const labValidity = 24 * time.Hour

// NewLabCA makes a CA and writes its certificate to dir/ca.pem.
func NewLabCA(dir string) (*LabCA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: "ivrload lab CA"},
		NotBefore: now.Add(-labValidity), NotAfter: now.Add(labValidity),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	ca := &LabCA{CAFile: filepath.Join(dir, "ca.pem"), cert: cert, key: key}
	if err := writePEM(ca.CAFile, "CERTIFICATE", der); err != nil {
		return nil, err
	}
	return ca, nil
}

// IssueServer writes a server certificate for ips and names, signed by
// the CA, to certFile and its key to keyFile, and returns its serial
// number (each certificate has its own: a renewal is told apart by it).
func (ca *LabCA) IssueServer(certFile, keyFile string, ips []netip.Addr, names ...string) (*big.Int, error) {
	if len(ips) == 0 && len(names) == 0 {
		return nil, fmt.Errorf("ivrload: a server certificate needs an address or a name")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	cn := ""
	if len(names) > 0 {
		cn = names[0]
	} else {
		cn = ips[0].String()
	}
	now := time.Now()
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: cn},
		NotBefore: now.Add(-labValidity), NotAfter: now.Add(labValidity), DNSNames: names,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	for _, ip := range ips {
		tmpl.IPAddresses = append(tmpl.IPAddresses, net.IP(ip.AsSlice()))
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return nil, err
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	if err := writePEM(keyFile, "EC PRIVATE KEY", kder); err != nil {
		return nil, err
	}
	if err := writePEM(certFile, "CERTIFICATE", der); err != nil {
		return nil, err
	}
	return serial, nil
}

func randomSerial() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
}

// writePEM writes one PEM block, readable by its owner only (a key).
func writePEM(path, kind string, der []byte) error {
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		return fmt.Errorf("ivrload: %w", err)
	}
	return nil
}
