package node

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/call"
	"github.com/ivrd/ivrd/cdr"
	"github.com/ivrd/ivrd/node/nodetest"
	"github.com/ivrd/ivrd/prompts"
	"github.com/ivrd/ivrd/sip/siptest"
	"github.com/ivrd/ivrd/store/storetest"
)

// apiCall sends one request to a running node's API.
func apiCall(t *testing.T, svc *Node, token, method, path, ctype string, body []byte, hdr ...string) (int, []byte, http.Header) {
	t.Helper()
	return nodetest.APICall(t, svc.APIAddr().String(), token, method, path, ctype, body, hdr...)
}

// firstToken is the write token a first start wrote to data/api-token.
func firstToken(t testing.TB, svc *Node) string {
	t.Helper()
	return nodetest.FirstToken(t, DataDir(svc.path))
}

// waitConfig waits (bounded) until the snapshot new calls get satisfies ok.
func waitConfig(t *testing.T, svc *Node, ok func(*Node) bool) {
	t.Helper()
	waitUntil(t, 10*time.Second, func() bool { return ok(svc) },
		func() string { return "the API change never reached new calls" })
}

// The acceptance test of issue 10: a menu changed through the API while a
// call is in it; that call keeps its menu, the next call gets the new one.
func TestAPIChangeReachesNextCallNotRunningOne(t *testing.T) {
	t.Parallel()
	l := startLive(t)
	tok := firstToken(t, l.svc)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	c1, err := siptest.NewCaller("tcp")
	require.NoError(t, err)
	defer c1.Close()
	call1, err := c1.Call(ctx, l.svc.sip.Addr("tcp"), "100")
	require.NoError(t, err)

	// While call 1 is in the menu, key 1 is pointed somewhere else.
	code, body, hdr := apiCall(t, l.svc, tok, "GET", "/api/v1/ivrs/main", "", nil)
	require.Equal(t, 200, code, string(body))
	code, body, _ = apiCall(t, l.svc, tok, "PATCH", "/api/v1/ivrs/main", "application/json",
		[]byte(`{"keys":{"1":{"uri":"sip:newsales@pbx.example.net"}}}`), "If-Match", hdr.Get("ETag"))
	require.Equal(t, 200, code, string(body))
	waitConfig(t, l.svc, func(s *Node) bool {
		return s.snap.Load().Config.IVRByID("main").Keys["1"].Target == "sip:newsales@pbx.example.net"
	})

	var seq uint16
	sendEvent(t, c1, call1.Media, 101, '1', &seq, 1000)
	ref, err := c1.WaitRequest(sip.REFER, 5*time.Second)
	require.NoError(t, err)
	assert.Equal(t, "<sip:sales@pbx.example.net>", ref.GetHeader("Refer-To").Value(), "the running call keeps its menu")

	c2, err := siptest.NewCaller("tcp")
	require.NoError(t, err)
	defer c2.Close()
	call2, err := c2.Call(ctx, l.svc.sip.Addr("tcp"), "100")
	require.NoError(t, err)
	seq = 0
	sendEvent(t, c2, call2.Media, 101, '1', &seq, 1000)
	ref, err = c2.WaitRequest(sip.REFER, 5*time.Second)
	require.NoError(t, err)
	assert.Equal(t, "<sip:newsales@pbx.example.net>", ref.GetHeader("Refer-To").Value(), "the next call gets the new menu")
	assert.Contains(t, l.logs.String(), `msg=audit who=admin action=update kind=ivrs id=main before_version=1 after_version=2`)

	// Call 1 hangs up; its record is in the store once the call is over.
	require.NoError(t, call1.Dialog.Bye(ctx))
	id := call1.Dialog.InviteRequest.CallID().Value()
	rec := endedRecord(t, l.svc, id)
	assert.Equal(t, "main", rec.IVR)
	assert.Equal(t, cdr.Path{"main"}, rec.Path)
	assert.Equal(t, cdr.EndCallerHangup, rec.EndReason)
	assert.Equal(t, cdr.EndedByCaller, rec.EndedBy)
	require.Len(t, rec.Keys, 1)
	assert.Equal(t, "1", rec.Keys[0].Key)
	assert.Contains(t, transferDests(rec), `sales@pbx.example.net`)
}

// Restart with the same store: what the API made is still there, and the
// same file imported again does not undo it (the export of the same is
// cmd/ivrd's TestConfigExportValidatesAfterAPIEdits).
func TestStoreSurvivesRestart(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, `
server:
  sip: { listen: ["udp://127.0.0.1:0"] }
  media: { rtp_ports: "RTP_RANGE" }
prompts_dir: "PROMPTS"
ivrs:
  - { id: main, extensions: ["100"], prompt: beep, keys: { "1": { uri: "sip:a@127.0.0.1:5070" } } }
`)
	svc, err := newService(path, io.Discard, "warn")
	require.NoError(t, err)
	require.NoError(t, svc.Start(context.Background()))
	tok := firstToken(t, svc)

	tone := prompts.Tone("x", 600, 0, -18, 400, 0)
	var wav bytes.Buffer
	require.NoError(t, writeWAVTo(&wav, tone.PCM))
	code, body, _ := apiCall(t, svc, tok, "PUT", "/api/v1/prompts/hello", "audio/wav", wav.Bytes())
	require.Equal(t, 201, code, string(body))
	code, body, _ = apiCall(t, svc, tok, "POST", "/api/v1/ivrs", "application/json",
		[]byte(`{"id":"sales","extensions":["300"],"greeting":"hello","prompt":"beep","response_timeout":"2s","keys":{"#":"hangup"}}`))
	require.Equal(t, 201, code, string(body))
	code, body, _ = apiCall(t, svc, tok, "PATCH", "/api/v1/ivrs/main", "application/json", []byte(`{"digit_timeout":"4s"}`))
	require.Equal(t, 200, code, string(body))
	svc.Close()

	svc, err = newService(path, io.Discard, "warn")
	require.NoError(t, err)
	require.NoError(t, svc.Start(context.Background()))
	defer svc.Close()
	assert.Equal(t, tok, firstToken(t, svc), "the first token is not replaced")
	snap := svc.snap.Load()
	assert.True(t, svc.calls.Route("300"), "the API's IVR is back")
	assert.Equal(t, 4*time.Second, snap.Config.IVRByID("main").DigitTimeout.D(), "the API's edit survived the file's import")
	p, ok := snap.Prompts.Get("hello")
	require.True(t, ok, "the uploaded prompt plays after a restart")
	assert.Equal(t, 400*time.Millisecond, p.Duration())
	code, _, _ = apiCall(t, svc, tok, "GET", "/api/v1/ivrs/sales", "", nil)
	assert.Equal(t, 200, code)

}

func writeWAVTo(b *bytes.Buffer, pcm []int16) error {
	f, err := os.CreateTemp("", "ivrd-*.wav")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if err := audio.WriteWAV(f, pcm); err != nil {
		return err
	}
	data, err := os.ReadFile(f.Name())
	b.Write(data)
	return err
}

// With tls_cert and tls_key the API speaks HTTPS only.
func TestAPIOverTLS(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writeSelfSigned(t, certFile, keyFile)
	path := writeConfig(t, `
server:
  sip: { listen: ["udp://127.0.0.1:0"] }
  media: { rtp_ports: "RTP_RANGE" }
  api:
    tls_cert: CERT
    tls_key: KEY
    tokens: [{ name: ops, token: "tls-token-0123456789", scope: read }]
prompts_dir: "PROMPTS"
ivrs:
  - { id: main, extensions: ["100"], prompt: beep }
`, "CERT", certFile, "KEY", keyFile)
	svc, err := newService(path, io.Discard, "warn")
	require.NoError(t, err)
	require.NoError(t, svc.Start(context.Background()))
	defer svc.Close()
	_, err = os.Stat(filepath.Join(DataDir(path), "api-token"))
	assert.True(t, os.IsNotExist(err), "with a token in the file, none is created")

	pool := x509.NewCertPool()
	certPEM, err := os.ReadFile(certFile)
	require.NoError(t, err)
	require.True(t, pool.AppendCertsFromPEM(certPEM))
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	req, _ := http.NewRequest("GET", "https://"+svc.ctl.ln.Addr().String()+"/api/v1/ivrs", nil)
	req.Header.Set("Authorization", "Bearer tls-token-0123456789")
	resp, err := client.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	// Plain HTTP to the TLS port is refused.
	plain, err := client.Get("http://" + svc.ctl.ln.Addr().String() + "/api/v1/ivrs")
	require.NoError(t, err)
	plain.Body.Close()
	assert.Equal(t, 400, plain.StatusCode)
}

func writeSelfSigned(t *testing.T, certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	kder, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600))
}

// Two nodes sharing one PostgreSQL store: a change made through one
// node's API reaches the other node's new calls (it polls the version).
func TestTwoNodesSharePostgresStore(t *testing.T) {
	t.Parallel()
	url := storetest.Postgres(t)
	cfgText := strings.Replace(`
server:
  sip: { listen: ["udp://127.0.0.1:0"] }
  media: { rtp_ports: "RTP_RANGE" }
  store: "STORE"
  api: { tokens: [{ name: ops, token: "node-token-0123456789", scope: write }] }
prompts_dir: "PROMPTS"
ivrs:
  - { id: main, extensions: ["100"], prompt: beep, keys: { "1": { uri: "sip:a@127.0.0.1:5070" } } }
`, "STORE", url, 1)
	var nodes [2]*control
	var latest [2]atomic.Pointer[call.Snapshot]
	for i := range nodes {
		path := writeConfig(t, cfgText)
		ctl, snap, err := openControl(path, slog.New(slog.DiscardHandler), newObserver(), &prompts.Speaker{}, testOptions(path, io.Discard, "warn"), nil)
		require.NoError(t, err)
		ctl.attach(latest[i].Store, snap)
		require.NoError(t, ctl.start(snap.Config))
		t.Cleanup(ctl.close)
		nodes[i] = ctl
	}
	code, body, _ := nodetest.APICall(t, nodes[0].ln.Addr().String(), "node-token-0123456789", "PATCH", "/api/v1/ivrs/main", "application/json",
		[]byte(`{"keys":{"1":{"uri":"sip:b@127.0.0.1:5070"}}}`))
	require.Equal(t, 200, code, string(body))
	require.Eventually(t, func() bool {
		return latest[1].Load().Config.IVRByID("main").Keys["1"].Target == "sip:b@127.0.0.1:5070"
	}, 10*time.Second, 20*time.Millisecond, "node 2 never saw node 1's change")
}
