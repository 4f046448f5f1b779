package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"math/big"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/bench/ivrload"
	"github.com/ivrd/ivrd/internal/testenv"
	"github.com/ivrd/ivrd/node/nodetest"
	"github.com/ivrd/ivrd/sip/siptest"
)

// buildIvrd builds the server as an operator does, into a temporary
// folder.
func buildIvrd(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go tool not in PATH: cannot build ivrd")
	}
	bin := filepath.Join(t.TempDir(), "ivrd")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/ivrd").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// tlsNode is an ivrd process of the TLS test, serving text (with DIR,
// its folder, filled in).
type tlsNode struct {
	dir, log string
	cmd      *exec.Cmd
	done     chan struct{}
}

func startTLSNode(t *testing.T, bin, dir, text string) *tlsNode {
	t.Helper()
	n := &tlsNode{dir: dir, log: filepath.Join(dir, "ivrd.log"), done: make(chan struct{})}
	cfg := filepath.Join(dir, "ivrd.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte(strings.ReplaceAll(text, "DIR", dir)), 0o600))
	logf, err := os.Create(n.log)
	require.NoError(t, err)
	n.cmd = exec.Command(bin, "serve", "--config", cfg, "--log-level", "info")
	n.cmd.Stdout, n.cmd.Stderr = logf, logf
	require.NoError(t, n.cmd.Start())
	go func() { _ = n.cmd.Wait(); logf.Close(); close(n.done) }() // stopped by the cleanup: no exit status to check
	t.Cleanup(func() {
		_ = n.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-n.done:
		case <-time.After(10 * time.Second):
			_ = n.cmd.Process.Kill()
			<-n.done
		}
	})
	n.waitLog(t, "ivrd serving")
	return n
}

func (n *tlsNode) logText() string {
	data, _ := os.ReadFile(n.log)
	return string(data)
}

func (n *tlsNode) waitLog(t *testing.T, s string) {
	t.Helper()
	nodetest.WaitUntil(t, nodetest.Patience, func() bool {
		select {
		case <-n.done:
			t.Fatalf("ivrd exited before logging %q:\n%s", s, tailFile(n.log, 3000))
		default:
		}
		return strings.Contains(n.logText(), s)
	}, func() string { return fmt.Sprintf("%q not in %s:\n%s", s, n.log, tailFile(n.log, 3000)) })
}

// farConfig: the trunk's server, a second ivrd on a tls:// listener: its
// menu at 200 answers with a 1 kHz tone, SRTP if offered.
const farConfig = `
server:
  node_id: far
  sip:
    listen: ["tls://FARADDR"]
    tls: { cert: "DIR/far.pem", key: "DIR/far.key" }
  media: { rtp_ports: "FARRTP", overload_guard: false, srtp: optional }
  api: { listen: "FARAPI" }
  store: "sqlite://DIR/ivrd.db"
prompts_dir: "DIR"
ivrs:
  - id: agent
    extensions: ["200"]
    prompt: high
    prompt_repeat: 5
    response_timeout: 10s
`

// nearConfig: the ivrd under test, callers on a tls:// listener; its
// menu at 100 greets with 440 Hz and on 2 bridges to the trunk, reached
// over TLS (sips:) with its certificate checked against the test CA and
// SRTP required on that leg.
const nearConfig = `
server:
  node_id: near
  sip:
    listen: ["tls://NEARADDR"]
    tls: { cert: "DIR/near.pem", key: "DIR/near.key" }
  media: { rtp_ports: "NEARRTP", overload_guard: false }
  api: { listen: "NEARAPI" }
  store: "sqlite://DIR/ivrd.db"
prompts_dir: "DIR"
trunks:
  - name: carrier
    uri: "sips:FARADDR"
    tls: { ca_file: "CAFILE" }
    srtp: required
ivrs:
  - id: main
    extensions: ["100"]
    prompt: low
    prompt_repeat: 5
    response_timeout: 10s
    transfer: bridge
    keys:
      "2": { external: "200", trunk: carrier, transfer: bridge }
`

// heardTone waits until the caller has heard freq among the tones of its
// packets.
func heardTone(t *testing.T, c *siptest.Caller, freq float64, why string, log func() string) {
	t.Helper()
	nodetest.WaitUntil(t, nodetest.Patience, func() bool { return slices.Contains(nodetest.Heard(c.Packets()), freq) },
		func() string {
			return fmt.Sprintf("%s: no %v Hz; heard %v\n%s", why, freq, nodetest.Heard(c.Packets()), log())
		})
}

// The served binary over SIP/TLS end to end: a caller that verifies
// ivrd's certificate against a test CA calls its tls:// listener, hears
// the menu and presses 2; ivrd bridges the call to a trunk reached over
// TLS, checking the trunk server's certificate against the CA pinned in
// the trunk (the system's CAs would refuse it), with SRTP on that leg;
// the caller hears the trunk's side. Then the certificate is renewed and
// ivrd told with SIGHUP: a new connection gets the new certificate (its
// serial), and the call set up before goes on over its connection (audio
// still comes, the caller's BYE is answered).
func TestTLSThroughServedNode(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the TLS test runs two ivrd processes")
	}
	testenv.SkipUnderRace(t, "two ivrd processes")
	bin := buildIvrd(t)
	dir := t.TempDir()
	ca, err := ivrload.NewLabCA(dir)
	require.NoError(t, err)
	lo := []netip.Addr{netip.MustParseAddr("127.0.0.1")}
	firstSerial, err := ca.IssueServer(filepath.Join(dir, "near.pem"), filepath.Join(dir, "near.key"), lo)
	require.NoError(t, err)
	_, err = ca.IssueServer(filepath.Join(dir, "far.pem"), filepath.Join(dir, "far.key"), lo)
	require.NoError(t, err)
	nodetest.WriteTone(t, filepath.Join(dir, "low.wav"), 440, 2*time.Second)
	nodetest.WriteTone(t, filepath.Join(dir, "high.wav"), 1000, 3*time.Second)

	rtpLo, _, _ := strings.Cut(nodetest.RTPRange(t), "-")
	base, err := strconv.Atoi(rtpLo)
	require.NoError(t, err)
	port := func() string { return "127.0.0.1:" + strconv.Itoa(freePortOn(t, "127.0.0.1")) }
	nearAddr, farAddr := port(), port()
	repl := strings.NewReplacer("NEARADDR", nearAddr, "FARADDR", farAddr, "NEARAPI", port(), "FARAPI", port(),
		"NEARRTP", fmt.Sprintf("%d-%d", base, base+39), "FARRTP", fmt.Sprintf("%d-%d", base+40, base+79), "CAFILE", ca.CAFile)
	farDir, nearDir := filepath.Join(dir, "far"), filepath.Join(dir, "near")
	for _, d := range []string{farDir, nearDir} {
		require.NoError(t, os.Mkdir(d, 0o700))
		for _, f := range []string{"low.wav", "high.wav", "near.pem", "near.key", "far.pem", "far.key"} {
			require.NoError(t, os.Link(filepath.Join(dir, f), filepath.Join(d, f)))
		}
	}
	far := startTLSNode(t, bin, farDir, repl.Replace(farConfig))
	near := startTLSNode(t, bin, nearDir, repl.Replace(nearConfig))
	logs := func() string {
		return "near:\n" + tailFile(near.log, 2500) + "\nfar:\n" + tailFile(far.log, 1500)
	}

	roots := x509.NewCertPool()
	caPEM, err := os.ReadFile(ca.CAFile)
	require.NoError(t, err)
	require.True(t, roots.AppendCertsFromPEM(caPEM))
	c, err := siptest.NewTLSCaller(&tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	call, err := c.Call(ctx, netip.MustParseAddrPort(nearAddr), "100")
	require.NoError(t, err, "the call over TLS\n%s", logs())
	near.waitLog(t, "transport=tls")
	heardTone(t, c, 440, "the menu", logs)

	var seq uint16
	nodetest.SendEvent(t, c, call.Media, 101, '2', &seq, 8000)
	nodetest.WaitUntil(t, nodetest.Patience, func() bool { return strings.Contains(far.logText(), "call incoming") },
		func() string { return "the bridged call never reached the trunk's server\n" + logs() })
	assert.Regexp(t, `call incoming.* to=200 transport=tls`, far.logText(), "the bridged leg came over TLS")
	assert.Regexp(t, `srtp=AES_CM|srtp=AEAD`, far.logText(), "the bridged leg is SRTP")
	c.ResetPackets()
	heardTone(t, c, 1000, "the trunk's side through the bridge", logs)

	// The certificate renewed in place, then SIGHUP.
	tmpCert, tmpKey := filepath.Join(dir, "renewed.pem"), filepath.Join(dir, "renewed.key")
	renewedSerial, err := ca.IssueServer(tmpCert, tmpKey, lo)
	require.NoError(t, err)
	require.NotEqual(t, firstSerial, renewedSerial)
	require.NoError(t, os.Rename(tmpKey, filepath.Join(nearDir, "near.key")))
	require.NoError(t, os.Rename(tmpCert, filepath.Join(nearDir, "near.pem")))
	require.NoError(t, near.cmd.Process.Signal(syscall.SIGHUP))
	near.waitLog(t, "tls certificate reloaded")
	assert.Equal(t, renewedSerial, servedSerial(t, nearAddr, roots), "a new connection gets the renewed certificate")

	c.ResetPackets()
	heardTone(t, c, 1000, "the call set up before the reload", logs)
	require.NoError(t, call.Dialog.Bye(ctx), "the caller's BYE over its first connection is answered\n%s", logs())
	far.waitLog(t, "call ended")
}

// servedSerial is the serial of the certificate a new TLS connection to
// addr gets, verified against roots.
func servedSerial(t *testing.T, addr string, roots *x509.CertPool) *big.Int {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12})
	require.NoError(t, err)
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].SerialNumber
}
