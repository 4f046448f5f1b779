package sip

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/internal/testenv"
	"github.com/ivrd/ivrd/media"
)

// testCA is a certificate authority made for one test.
type testCA struct {
	cert   *x509.Certificate
	key    *ecdsa.PrivateKey
	dir    string
	CAFile string
	serial int64
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ivrd test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	ca := &testCA{cert: cert, key: key, dir: t.TempDir(), serial: 1}
	ca.CAFile = filepath.Join(ca.dir, "ca.pem")
	require.NoError(t, os.WriteFile(ca.CAFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	return ca
}

// issue writes a server certificate for 127.0.0.1 valid from notBefore to
// notAfter, and returns its files.
func (ca *testCA) issue(t *testing.T, name string, notBefore, notAfter time.Time) TLSFiles {
	t.Helper()
	ca.serial++
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(ca.serial), Subject: pkix.Name{CommonName: name},
		NotBefore: notBefore, NotAfter: notAfter, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames: []string{"sip.test"}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	require.NoError(t, err)
	kder, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	f := TLSFiles{CertFile: filepath.Join(ca.dir, name+".pem"), KeyFile: filepath.Join(ca.dir, name+".key")}
	require.NoError(t, os.WriteFile(f.CertFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(f.KeyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600))
	return f
}

func (ca *testCA) valid(t *testing.T, name string) TLSFiles {
	return ca.issue(t, name, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
}

func (ca *testCA) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// tlsOptions sends an OPTIONS over conn and returns the answer's status
// line.
func tlsOptions(t *testing.T, conn net.Conn, r *bufio.Reader, n int) string {
	t.Helper()
	local := conn.LocalAddr().String()
	msg := rawRequest("OPTIONS", "sip:127.0.0.1", local, fmt.Sprintf("tls-opt-%d", n), n, nil, "")
	msg = strings.Replace(msg, "SIP/2.0/UDP", "SIP/2.0/TLS", 1)
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	_, err := conn.Write([]byte(msg))
	require.NoError(t, err)
	line, err := r.ReadString('\n')
	require.NoError(t, err)
	// Read the rest of the answer (no body) so the next one starts clean.
	for {
		l, err := r.ReadString('\n')
		require.NoError(t, err)
		if l == "\r\n" {
			break
		}
	}
	return strings.TrimSpace(line)
}

func tlsRig(t *testing.T, files TLSFiles, mutate func(*Config)) *rig {
	return newRigWith(t, func(c *Config, _ *media.EngineConfig) {
		c.Listen = []string{"udp://127.0.0.1:0", "tls://127.0.0.1:0"}
		c.TLS = files
		if mutate != nil {
			mutate(c)
		}
	}, nil)
}

func TestTLSListenerVerifiedReusedAndReloaded(t *testing.T) {
	ca := newTestCA(t)
	files := ca.valid(t, "first")
	r := tlsRig(t, files, nil)
	addr := r.srv.Addr("tls")
	require.True(t, addr.IsValid())

	// A client that verifies the certificate against the test CA.
	conn, err := tls.Dial("tcp", addr.String(), &tls.Config{RootCAs: ca.pool(), ServerName: "127.0.0.1"})
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	rd := bufio.NewReader(conn)
	assert.Equal(t, "first", conn.ConnectionState().PeerCertificates[0].Subject.CommonName)
	// Several requests over the one connection.
	for i := 1; i <= 3; i++ {
		assert.Equal(t, "SIP/2.0 200 OK", tlsOptions(t, conn, rd, i))
	}

	// A renewed certificate: new handshakes get it, the open connection
	// goes on.
	renewed := ca.valid(t, "second")
	require.NoError(t, os.Rename(renewed.CertFile, files.CertFile))
	require.NoError(t, os.Rename(renewed.KeyFile, files.KeyFile))
	require.NoError(t, r.srv.ReloadTLS())
	assert.Equal(t, "SIP/2.0 200 OK", tlsOptions(t, conn, rd, 4), "the connection up before the reload still serves")
	conn2, err := tls.Dial("tcp", addr.String(), &tls.Config{RootCAs: ca.pool(), ServerName: "127.0.0.1"})
	require.NoError(t, err)
	t.Cleanup(func() { conn2.Close() })
	assert.Equal(t, "second", conn2.ConnectionState().PeerCertificates[0].Subject.CommonName)

	// A reload of a broken file keeps the certificate in use.
	require.NoError(t, os.WriteFile(files.KeyFile, []byte("not a key"), 0o600))
	err = r.srv.ReloadTLS()
	require.Error(t, err)
	assert.Contains(t, err.Error(), files.CertFile)
	conn3, err := tls.Dial("tcp", addr.String(), &tls.Config{RootCAs: ca.pool(), ServerName: "127.0.0.1"})
	require.NoError(t, err)
	conn3.Close()

	// TLS 1.1 is refused, and counted.
	before := r.srv.TLSHandshakeFailures()
	_, err = tls.Dial("tcp", addr.String(), &tls.Config{RootCAs: ca.pool(), ServerName: "127.0.0.1", MaxVersion: tls.VersionTLS11})
	require.Error(t, err)
	require.Eventually(t, func() bool { return r.srv.TLSHandshakeFailures() == before+1 }, 5*time.Second, 10*time.Millisecond)
}

func TestTLSBadCertificateIsAStartError(t *testing.T) {
	ca := newTestCA(t)
	expired := ca.issue(t, "old", time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour))
	for name, tc := range map[string]struct {
		files TLSFiles
		want  string
	}{
		"expired":  {expired, "expired on"},
		"missing":  {TLSFiles{CertFile: filepath.Join(ca.dir, "none.pem"), KeyFile: filepath.Join(ca.dir, "none.key")}, "none.pem"},
		"no files": {TLSFiles{}, "needs a certificate and a key"},
		"not yet":  {ca.issue(t, "future", time.Now().Add(time.Hour), time.Now().Add(2*time.Hour)), "not valid before"},
	} {
		t.Run(name, func(t *testing.T) {
			srv, err := NewServer(Config{Listen: []string{"tls://127.0.0.1:0"}, TLS: tc.files}, nil, noCalls{}, slog.New(slog.DiscardHandler))
			require.NoError(t, err)
			err = srv.Start(context.Background())
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Contains(t, err.Error(), "tls://127.0.0.1:0")
			srv.Close()
		})
	}
}

// A client that connects and never sends its ClientHello is closed
// within the TCP guard's message time, counted, and logged once for its
// source however often it does it.
func TestTLSHandshakeNeverFinishedIsClosed(t *testing.T) {
	ca := newTestCA(t)
	logs := &testenv.Buffer{}
	srv, err := NewServer(Config{Listen: []string{"tls://127.0.0.1:0"}, TLS: ca.valid(t, "srv"),
		Limits: Limits{TCPMessageTimeout: 300 * time.Millisecond}}, nil, noCalls{}, slog.New(slog.NewTextHandler(logs, nil)))
	require.NoError(t, err)
	require.NoError(t, srv.Start(context.Background()))
	t.Cleanup(func() { srv.Close() })
	for i := range 2 {
		c, err := net.Dial("tcp", srv.Addr("tls").String())
		require.NoError(t, err)
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err = c.Read(make([]byte, 1))
		assert.True(t, errors.Is(err, io.EOF) || isReset(err), "closed by the server, not by our deadline: %v", err)
		c.Close()
		require.Eventually(t, func() bool { return srv.TLSHandshakeFailures() == uint64(i+1) }, 5*time.Second, 10*time.Millisecond)
	}
	n := 0
	for _, l := range logLines(logs) {
		if strings.Contains(l, "tls handshake failed") {
			n++
		}
	}
	assert.Equal(t, 1, n, "logged once for the source")
}

func isReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && strings.Contains(op.Err.Error(), "reset")
}

// Outbound TLS: the certificate of a trunk's server is checked against
// the system CAs unless its trunk pins a CA file or, for a lab, skips the
// check. The far end is a second ivrd on a tls:// listener.
func TestOutboundTLSVerification(t *testing.T) {
	ca := newTestCA(t)
	far := tlsRig(t, ca.valid(t, "far"), nil)
	target := "sips:1001@" + far.srv.Addr("tls").String()
	notify := func(srv *Server) error {
		return srv.NotifyMWI(ctx5(t), target, MessageSummary{Account: "1001"})
	}
	// The far end answers a stray NOTIFY 481: any SIP answer means TLS
	// was set up. The status is matched with its separators: the far
	// end's port, which is in the message too, can contain "481".
	reached := func(err error) bool { return err != nil && strings.Contains(err.Error(), ": 481 ") }

	t.Run("unknown CA refused", func(t *testing.T) {
		r := tlsRig(t, ca.valid(t, "near1"), nil)
		err := notify(r.srv)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "certificate")
		assert.False(t, reached(err))
	})
	t.Run("pinned CA", func(t *testing.T) {
		r := tlsRig(t, ca.valid(t, "near2"), func(c *Config) {
			c.Trunks = []Trunk{{Name: "far", URI: target, TLS: TrunkTLS{CAFile: ca.CAFile}}}
		})
		err := notify(r.srv)
		assert.True(t, reached(err), "got %v", err)
		// The same connection carries the next request.
		err = notify(r.srv)
		assert.True(t, reached(err), "got %v", err)
		assert.Equal(t, 1, r.srv.ua.TransportLayer().Pool("tls").Size()/2, "one connection (filed under both its addresses)")
	})
	t.Run("wrong name", func(t *testing.T) {
		r := tlsRig(t, ca.valid(t, "near3"), func(c *Config) {
			c.Trunks = []Trunk{{Name: "far", URI: target, TLS: TrunkTLS{CAFile: ca.CAFile, ServerName: "other.test"}}}
		})
		err := notify(r.srv)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "other.test")
	})
	t.Run("lab: verification skipped", func(t *testing.T) {
		r := tlsRig(t, ca.valid(t, "near4"), func(c *Config) {
			c.Trunks = []Trunk{{Name: "far", URI: target, TLS: TrunkTLS{InsecureSkipVerify: true}}}
		})
		err := notify(r.srv)
		assert.True(t, reached(err), "got %v", err)
	})
}

// A registration over TLS to a registrar on a tls:// listener, its
// certificate pinned to the test CA.
func TestRegistrationOverTLS(t *testing.T) {
	ca := newTestCA(t)
	log := slog.New(slog.DiscardHandler)
	regSrv, err := NewServer(Config{Listen: []string{"tls://127.0.0.1:0"}, TLS: ca.valid(t, "registrar"),
		Credentials: func(e string) (string, bool) { return "pw", e == "acme" }}, nil, noCalls{}, log)
	require.NoError(t, err)
	require.NoError(t, regSrv.Start(context.Background()))
	t.Cleanup(func() { regSrv.Close() })
	registrar := "sips:" + regSrv.Addr("tls").String()
	r := tlsRig(t, ca.valid(t, "near"), func(c *Config) {
		c.Trunks = []Trunk{{Name: "provider", URI: registrar, TLS: TrunkTLS{CAFile: ca.CAFile},
			Registration: &Registration{Username: "acme", Password: "pw"}}}
	})
	waitFor(t, "registered over TLS", func() bool { return registrationState(r.srv, "provider").Status == RegRegistered })
	contacts := regSrv.Contacts("acme")
	require.Len(t, contacts, 1)
	assert.Equal(t, fmt.Sprintf("sip:acme@%s;transport=tls", r.srv.Addr("tls")), contacts[0])
}

// The TCP connection limit per source holds on tls:// listeners, counting
// connections still in their handshake.
func TestTLSConnectionLimitPerSource(t *testing.T) {
	ca := newTestCA(t)
	srv, err := NewServer(Config{Listen: []string{"tls://127.0.0.1:0"}, TLS: ca.valid(t, "srv"),
		Limits: Limits{TCPConnections: 1}}, nil, noCalls{}, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	require.NoError(t, srv.Start(context.Background()))
	t.Cleanup(func() { srv.Close() })
	first, err := net.Dial("tcp", srv.Addr("tls").String()) // never says hello: holds its place
	require.NoError(t, err)
	t.Cleanup(func() { first.Close() })
	second, err := net.Dial("tcp", srv.Addr("tls").String())
	require.NoError(t, err)
	t.Cleanup(func() { second.Close() })
	_ = second.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = second.Read(make([]byte, 1))
	assert.True(t, errors.Is(err, io.EOF) || isReset(err), "the second connection is refused: %v", err)
	// The first is still open: a verified handshake goes through on it.
	tc := tls.Client(first, &tls.Config{RootCAs: ca.pool(), ServerName: "127.0.0.1"})
	_ = tc.SetDeadline(time.Now().Add(5 * time.Second))
	require.NoError(t, tc.Handshake())
}
