package sip

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ivrd/ivrd/internal/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// baresip, a real softphone, calls ivrd over TLS (;transport=tls), with
// the test CA that signed ivrd's certificate as its CA: the call is set
// up, and ivrd's BYE goes back over the connection baresip opened (its
// Contact names a port it does not listen on for TLS).
func TestBaresipCallsOverTLS(t *testing.T) {
	bin, err := exec.LookPath("baresip")
	if err != nil {
		t.Skip("baresip not installed (apt-get install baresip; .ci/run does)")
	}
	ca := newTestCA(t)
	r := tlsRig(t, ca.valid(t, "ivrd"), nil)
	dir := t.TempDir()
	bsPort := testenv.BaresipPort(t)
	conf := fmt.Sprintf(`poll_method epoll
sip_listen 127.0.0.1:%d
sip_cafile %s
net_interface 127.0.0.1
module_path /usr/lib/baresip/modules
module g711.so
module aubridge.so
module menu.so
module account.so
audio_player aubridge,nowhere
audio_source aubridge,nowhere
audio_alert aubridge,nowhere
`, bsPort, ca.CAFile)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "config"), []byte(conf), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "accounts"), []byte(fmt.Sprintf("<sip:alice@127.0.0.1:%d>;regint=0\n", bsPort)), 0o644))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	target := fmt.Sprintf("sip:100@%s;transport=tls", r.srv.Addr("tls"))
	bs := exec.CommandContext(ctx, bin, "-s", "-f", dir, "-t", "20", "-e", "/dial "+target)
	log := &testenv.Buffer{}
	bs.Stdout, bs.Stderr = log, log
	require.NoError(t, bs.Start())
	t.Cleanup(func() { _ = bs.Process.Kill(); _ = bs.Wait() })

	var c *Call
	select {
	case c = <-r.handler.calls:
	case <-time.After(15 * time.Second):
		t.Fatalf("baresip's TLS call never reached ivrd:\n%s", tail(log.String(), 2000))
	}
	assert.Equal(t, "tls", c.lst.network, "the call came in on the tls:// listener")
	require.Eventually(t, func() bool { return strings.Contains(log.String(), "Call established") }, 10*time.Second, 50*time.Millisecond,
		"baresip:\n%s", tail(log.String(), 2000))
	// ivrd hangs up: the BYE reaches baresip over the connection it opened.
	c.Hangup()
	require.Eventually(t, func() bool { return strings.Contains(log.String(), "session closed") }, 10*time.Second, 50*time.Millisecond,
		"baresip's call did not end:\n%s", tail(log.String(), 2000))
	// baresip's SIP trace (-s): the BYE came from ivrd's TLS listener,
	// over the connection baresip opened, and baresip answered it.
	l := log.String()
	bye := strings.Index(l, "BYE sip:alice")
	require.Positive(t, bye, "baresip got a BYE:\n%s", tail(l, 3000))
	assert.Contains(t, l[max(0, bye-200):bye], fmt.Sprintf("TLS %s -> ", r.srv.Addr("tls")))
	answer := strings.Index(l[bye:], "SIP/2.0 200 OK")
	require.Positive(t, answer, "baresip answered the BYE")
	assert.Contains(t, l[bye+answer:], " BYE\r\n", "the 200 is the BYE's (its CSeq)")
	assert.Zero(t, r.srv.TLSHandshakeFailures())
}
