package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/api"
	"github.com/ivrd/ivrd/cdr"
	"github.com/ivrd/ivrd/internal/testenv"
	"github.com/ivrd/ivrd/node/nodetest"
	"github.com/ivrd/ivrd/sip/siptest"
)

// A provider's edge as small as it gets, on Debian's Kamailio: a
// registrar with digest authentication for one account, a location table
// in memory, and INVITEs for a registered user routed to its contact
// (record-routed, so the whole dialog passes through it), 404 for a user
// not registered.
//
// Authentication is the auth module's pv_www_authenticate with the
// account's password written in the configuration: Kamailio's own digest
// check (challenge, nonce, response), without a subscriber table. auth_db
// over db_text would check the same digest, after a table file and its
// version row; nothing this test asserts depends on where the password is
// kept. A wrong password (return code -2) is answered 403, as providers
// do, rather than challenged again.
const regKamailioConfig = `#!KAMAILIO
debug=2
log_stderror=yes
children=1
listen=udp:ADDR
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "auth.so"
modparam("usrloc", "db_mode", 0)
request_route {
	if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
	if (is_method("OPTIONS") && uri == myself && $rU == $null) { sl_send_reply("200", "OK"); exit; }
	if (is_method("REGISTER")) {
		pv_www_authenticate("$td", "PASSWORD", "0");
		$var(rc) = $rc;
		if ($var(rc) == -2) { sl_send_reply("403", "Wrong Password"); exit; }
		if ($var(rc) < 0) { www_challenge("$td", "0"); exit; }
		if ($au != "USER" || $tU != "USER") { sl_send_reply("403", "Not Your Account"); exit; }
		consume_credentials();
		if (!save("location")) { sl_reply_error(); }
		exit;
	}
	if (has_totag()) {
		if (loose_route()) { t_relay(); exit; }
		if (is_method("ACK")) { t_relay(); exit; }
		sl_send_reply("404", "Not Here");
		exit;
	}
	if (is_method("CANCEL")) { t_relay(); exit; }
	if (is_method("INVITE")) {
		record_route();
		if (!lookup("location")) { sl_send_reply("404", "Not Registered"); exit; }
		t_relay();
		exit;
	}
	sl_send_reply("405", "Method Not Allowed");
}
`

// regKamailioIP is the registrar's own loopback address: calls relayed
// by it come from an address no caller of the test uses.
const regKamailioIP = "127.0.0.30"

// startRegistrar runs Kamailio as the registrar of user/password and
// waits until it answers OPTIONS; it returns its IP:PORT.
func startRegistrar(t *testing.T, dir, user, password string) string {
	t.Helper()
	addr := regKamailioIP + ":" + strconv.Itoa(freePortOn(t, regKamailioIP))
	cfg := filepath.Join(dir, "kamailio.cfg")
	text := strings.NewReplacer("ADDR", addr, "PASSWORD", password, "USER", user).Replace(regKamailioConfig)
	require.NoError(t, os.WriteFile(cfg, []byte(text), 0o644))
	logPath := filepath.Join(dir, "kamailio.log")
	logf, err := os.Create(logPath)
	require.NoError(t, err)
	cmd := exec.Command("kamailio", "-DD", "-E", "-m", "32", "-M", "4", "-f", cfg,
		"-Y", dir, "-w", dir, "-P", filepath.Join(dir, "kamailio.pid"))
	cmd.Stdout, cmd.Stderr = logf, logf
	// Its own process group: Kamailio forks its workers; the cleanup
	// kills the group it started, by its id.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	require.NoError(t, cmd.Start())
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); logf.Close(); close(done) }() // it is killed: no exit status to check
	pgid := cmd.Process.Pid
	t.Cleanup(func() {
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-done
	})
	probe := &cluster{t: t} // for its OPTIONS probe (cluster_harness_test.go), which needs nothing else of a cluster
	nodetest.WaitUntil(t, 15*time.Second, func() bool { return probe.optionsAnswered(addr) },
		func() string {
			return fmt.Sprintf("kamailio did not answer OPTIONS on %s\n%s", addr, tailFile(logPath, 3000))
		})
	return addr
}

// regNode is one ivrd process of these tests.
type regNode struct {
	sip, api string // IP:PORT
	log      string
	cmd      *exec.Cmd
	done     chan struct{}
}

// regNodeConfig: a trunk registering with the registrar (digest), and a
// menu at 100 that greets with a 440 Hz tone and hangs up on '#'.
const regNodeConfig = `
server:
  node_id: reg-node
  sip: { listen: ["udp://SIPADDR"] }
  media: { rtp_ports: "RTPRANGE", overload_guard: false }
  api:
    listen: "APIADDR"
    tokens: [{ name: test, token: "TOKEN", scope: write }]
  store: "sqlite://DIR/ivrd.db"
  drain_timeout: 30s
prompts_dir: "DIR"
trunks:
  - name: provider
    uri: "sip:REGISTRAR"
    register: { username: acme, password: "PASSWORD", expires: 120s }
ivrs:
  - id: main
    extensions: ["100"]
    greeting: low
    prompt: low
    prompt_repeat: 5
    response_timeout: 10s
    keys:
      "#": hangup
`

// startRegNode writes the configuration with password and serves it with
// the binary; the process is killed at the end if still running.
func startRegNode(t *testing.T, bin, registrar, password string) *regNode {
	t.Helper()
	dir := t.TempDir()
	nodetest.WriteTone(t, filepath.Join(dir, "low.wav"), 440, 2*time.Second)
	n := &regNode{sip: "127.0.0.1:" + strconv.Itoa(freePortOn(t, "127.0.0.1")), api: "127.0.0.1:" + strconv.Itoa(freePortOn(t, "127.0.0.1")),
		log: filepath.Join(dir, "ivrd.log"), done: make(chan struct{})}
	text := strings.NewReplacer("SIPADDR", n.sip, "APIADDR", n.api, "TOKEN", clusterToken, "DIR", dir,
		"RTPRANGE", nodetest.RTPRange(t), "REGISTRAR", registrar, "PASSWORD", password).Replace(regNodeConfig)
	cfg := filepath.Join(dir, "ivrd.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte(text), 0o600))
	logf, err := os.Create(n.log)
	require.NoError(t, err)
	n.cmd = exec.Command(bin, "serve", "--config", cfg, "--log-level", "info")
	n.cmd.Stdout, n.cmd.Stderr = logf, logf
	require.NoError(t, n.cmd.Start())
	go func() { _ = n.cmd.Wait(); logf.Close(); close(n.done) }() // its exit is checked where the test stops it
	t.Cleanup(func() {
		_ = n.cmd.Process.Kill() // gone already when the test stopped it
		<-n.done
	})
	nodetest.WaitUntil(t, 30*time.Second, func() bool {
		data, _ := os.ReadFile(n.log)
		return strings.Contains(string(data), "ivrd serving")
	}, func() string { return "ivrd did not start:\n" + tailFile(n.log, 3000) })
	return n
}

// trunk is the trunk's registration as GET /api/v1/trunks/status shows it.
func (n *regNode) trunk(t *testing.T, name string) api.TrunkStatus {
	t.Helper()
	code, body, _ := nodetest.APICall(t, n.api, clusterToken, "GET", "/api/v1/trunks/status", "", nil)
	require.Equal(t, 200, code, "%s", body)
	var out struct {
		Trunks []api.TrunkStatus `json:"trunks"`
	}
	require.NoError(t, json.Unmarshal(body, &out))
	for _, s := range out.Trunks {
		if s.Trunk == name {
			return s
		}
	}
	t.Fatalf("no trunk %q in %s", name, body)
	return api.TrunkStatus{}
}

func (n *regNode) waitTrunk(t *testing.T, status string) api.TrunkStatus {
	t.Helper()
	var last api.TrunkStatus
	nodetest.WaitUntil(t, 20*time.Second, func() bool {
		last = n.trunk(t, "provider")
		return last.Status == status
	}, func() string { return fmt.Sprintf("trunk never %s: %+v\n%s", status, last, tailFile(n.log, 3000)) })
	return last
}

func needRegistrarTest(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the registrar test starts Kamailio and ivrd")
	}
	if _, err := exec.LookPath("kamailio"); err != nil {
		t.Skip("kamailio not installed (apt-get install kamailio; .ci/run does)")
	}
	return buildIvrd(t) // tls_test.go
}

// callAcme calls the account through the registrar: the Request-URI is
// the registered user (what the registrar looks up), the To header the
// number of the menu (what ivrd routes a call on its registration by).
func callAcme(t *testing.T, c interface {
	Invite(context.Context, netip.AddrPort, string, []byte, ...sip.Header) (*sipgo.DialogClientSession, error)
	Offer(string, ...int) []byte
}, registrar string,
) (*sipgo.DialogClientSession, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	kam := netip.MustParseAddrPort(registrar)
	to := &sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: "100", Host: kam.Addr().String(), Port: int(kam.Port())}}
	return c.Invite(ctx, kam, "acme", c.Offer("", 0, 101), to)
}

// statusOf is a failed INVITE's final status (0: not a SIP answer).
func statusOf(err error) int {
	var p *sipgo.ErrDialogResponse
	if errors.As(err, &p) {
		return p.Res.StatusCode
	}
	return 0
}

// ivrd registers with Kamailio's registrar, answering its digest
// challenge; a call to the account reaches ivrd through Kamailio's
// location lookup and is admitted as the trunk (no inbound_from lists
// Kamailio), plays the menu, hears its key and is recorded as the
// trunk's; on SIGTERM ivrd removes its contact while a call is still up,
// so the next call to the account gets Kamailio's 404.
func TestRegistrationWithKamailioDigest(t *testing.T) {
	bin := needRegistrarTest(t)
	testenv.SkipUnderRace(t, "Kamailio and an ivrd process")
	registrar := startRegistrar(t, t.TempDir(), "acme", "s3cret-pw")
	n := startRegNode(t, bin, registrar, "s3cret-pw")
	st := n.waitTrunk(t, "registered")
	assert.Equal(t, "sip:acme@"+n.sip, st.Contact)
	assert.Equal(t, 200, st.LastCode)
	assert.NotNil(t, st.Expires)

	// A call on the registration: it plays the menu, '#' hangs up.
	c := newCaller(t)
	d, err := callAcme(t, c, registrar)
	require.NoError(t, err, "the call through Kamailio to the registered contact\n%s", tailFile(n.log, 3000))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, d.Ack(ctx))
	media, err := siptest.MediaAddr(d.InviteResponse.Body())
	require.NoError(t, err)
	nodetest.WaitToneOver(t, c, 440)
	code, body, _ := nodetest.APICall(t, n.api, clusterToken, "GET", "/api/v1/calls", "", nil)
	require.Equal(t, 200, code)
	var live struct {
		Items []api.LiveCall `json:"items"`
	}
	require.NoError(t, json.Unmarshal(body, &live), "%s", body)
	require.Len(t, live.Items, 1, "%s", body)
	assert.Equal(t, "provider", live.Items[0].Trunk, "admitted as the trunk it registered")
	assert.Equal(t, "main", live.Items[0].IVR)
	var seq uint16
	nodetest.SendEvent(t, c, media, 101, '#', &seq, 1000)
	_, err = c.WaitRequest(sip.BYE, 10*time.Second)
	require.NoError(t, err, "'#' hangs up: ivrd's BYE reaches the caller through Kamailio\n%s", tailFile(n.log, 3000))
	callID := d.InviteRequest.CallID().Value()
	var rec cdr.Record
	nodetest.WaitUntil(t, 10*time.Second, func() bool {
		code, body, _ := nodetest.APICall(t, n.api, clusterToken, "GET", "/api/v1/calls/history/"+callID, "", nil)
		return code == 200 && json.Unmarshal(body, &rec) == nil && rec.State == cdr.StateEnded
	}, func() string { return fmt.Sprintf("no completed record of %s: %+v", callID, rec) })
	assert.Equal(t, cdr.SourceTrunk, rec.Source)
	assert.Equal(t, "provider", rec.SourceName)
	require.NotEmpty(t, rec.Keys)
	assert.Equal(t, "#", rec.Keys[0].Key)

	// Drain with a call up: the contact goes (Expires: 0) at once, the
	// call goes on, the next call to the account finds no one.
	c2 := newCaller(t)
	d2, err := callAcme(t, c2, registrar)
	require.NoError(t, err)
	require.NoError(t, d2.Ack(ctx))
	nodetest.WaitPrompt(t, c2)
	require.NoError(t, n.cmd.Process.Signal(syscall.SIGTERM))
	nodetest.WaitUntil(t, 15*time.Second, func() bool {
		c3 := newCaller(t)
		_, err := callAcme(t, c3, registrar)
		return statusOf(err) == 404
	}, func() string {
		return "calls to the account still reach someone after the drain began\n" + tailFile(n.log, 3000)
	})
	c2.ResetPackets()
	nodetest.WaitPrompt(t, c2) // the call up before the drain still gets audio
	require.NoError(t, d2.Bye(ctx))
	select {
	case <-n.done:
		assert.True(t, n.cmd.ProcessState.Success(), "ivrd exit: %v\n%s", n.cmd.ProcessState, tailFile(n.log, 3000))
	case <-time.After(20 * time.Second):
		t.Fatalf("ivrd did not exit after its last call\n%s", tailFile(n.log, 3000))
	}
	assert.Contains(t, tailFile(n.log, 100000), "registration: removed", "the log says the contact was removed")
}

// A wrong password: the registrar answers 403, the trunk shows failed
// with the registrar's answer, and ivrd keeps trying (with back-off).
func TestRegistrationRefusedByKamailio(t *testing.T) {
	bin := needRegistrarTest(t)
	testenv.SkipUnderRace(t, "Kamailio and an ivrd process")
	registrar := startRegistrar(t, t.TempDir(), "acme", "right-pw")
	n := startRegNode(t, bin, registrar, "wrong-pw")
	st := n.waitTrunk(t, "failed")
	assert.Equal(t, 403, st.LastCode)
	assert.Contains(t, st.LastError, "403")
	assert.NotNil(t, st.NextAttempt, "a retry is planned")
	assert.GreaterOrEqual(t, st.Failures, 1)
	assert.NotContains(t, tailFile(n.log, 100000), "wrong-pw", "the password is never logged")
	c := newCaller(t)
	_, err := callAcme(t, c, registrar)
	assert.Equal(t, 404, statusOf(err), "no contact registered: %v", err)
}
