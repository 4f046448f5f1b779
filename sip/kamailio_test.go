package sip

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/media"
)

// kamailioRegistrar is a Kamailio configuration of a provider's edge: a
// registrar (usrloc in memory, no authentication) that routes INVITEs for
// a registered user to its contact, record-routing.
const kamailioRegistrar = `#!KAMAILIO
debug=2
log_stderror=yes
children=1
listen=udp:%s
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
modparam("usrloc", "db_mode", 0)
request_route {
	if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
	if (is_method("OPTIONS") && uri == myself && $rU == $null) { sl_send_reply("200", "OK"); exit; }
	if (is_method("REGISTER")) { if (!save("location")) { sl_reply_error(); } exit; }
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

// startKamailio runs Kamailio as a registrar on addr (skipping when it is
// not installed) and waits until it answers OPTIONS.
func startKamailio(t *testing.T, ip string) string {
	t.Helper()
	if _, err := exec.LookPath("kamailio"); err != nil {
		t.Skip("kamailio not installed (apt-get install kamailio; .ci/run does)")
	}
	probe := newRawUDP(t, "127.0.0.1")
	pc, err := net.ListenPacket("udp", ip+":0")
	require.NoError(t, err)
	addr := pc.LocalAddr().String()
	pc.Close() // Kamailio binds it next
	dir := t.TempDir()
	cfg := filepath.Join(dir, "kamailio.cfg")
	require.NoError(t, os.WriteFile(cfg, []byte(fmt.Sprintf(kamailioRegistrar, addr)), 0o644))
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
	dst := netip.MustParseAddrPort(addr)
	n := 0
	ok := assert.Eventually(t, func() bool {
		n++
		probe.send(dst, rawRequest("OPTIONS", "sip:"+addr, probe.local(), "kam-probe-"+strconv.Itoa(n), 1, nil, ""))
		return codeOf(probe.final(200*time.Millisecond)) == 200
	}, 15*time.Second, 50*time.Millisecond)
	if !ok {
		b, _ := os.ReadFile(logPath)
		t.Fatalf("kamailio did not answer OPTIONS on %s\n%s", addr, tail(string(b), 3000))
	}
	return addr
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// ivrd registers with Kamailio's registrar; a caller then calls the
// account through Kamailio, which routes the INVITE to ivrd's registered
// contact: the call is admitted as the trunk although no inbound_from
// lists Kamailio, and is answered through it.
func TestRegistrationWithKamailio(t *testing.T) {
	kam := startKamailio(t, "127.0.0.2")
	h := allCalls{calls: make(chan *Call, 1)}
	r := newRigWith(t, func(c *Config, _ *media.EngineConfig) {
		c.Admit = guarded(nil)
		c.Trunks = []Trunk{{Name: "provider", URI: "sip:" + kam, Registration: &Registration{Username: "acme", Expires: 120 * time.Second}}}
	}, h)
	waitFor(t, "registered with kamailio", func() bool { return registrationState(r.srv, "provider").Status == RegRegistered })
	st := registrationState(r.srv, "provider")
	assert.Equal(t, fmt.Sprintf("sip:acme@%s", r.srv.Addr("udp")), st.Contact)

	caller := r.caller("udp")
	d, err := caller.Invite(ctx5(t), netip.MustParseAddrPort(kam), "acme", caller.Offer("", 0))
	require.NoError(t, err, "the call through Kamailio to the registered contact")
	require.NoError(t, d.Ack(ctx5(t)))
	select {
	case c := <-h.calls:
		assert.Equal(t, "provider", c.Trunk)
		assert.True(t, strings.HasPrefix(c.dlg.InviteRequest.Source(), "127.0.0.2:"), "it came from Kamailio: %s", c.dlg.InviteRequest.Source())
	case <-time.After(5 * time.Second):
		t.Fatal("the call never reached the handler")
	}
}
