package node

import (
	"context"
	"net/netip"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/bench/ivrload"
	"github.com/ivrd/ivrd/internal/testenv"
)

// TestIvrloadOverTLSConnections: the load generator's TLS mode against a
// served node on a tls:// listener whose certificate a lab CA signed.
// Six calls share two TLS connections (three each), verified against
// that CA; each hears the menu, presses 1 and is transferred: ivrd's
// REFER and BYE come back over the connection the call went out on
// (ivrload has no TLS listener at all). ivrd saw the calls come from
// exactly two sources, and no connection was dialled again.
func TestIvrloadOverTLSConnections(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ca, err := ivrload.NewLabCA(dir)
	require.NoError(t, err)
	cert, key := filepath.Join(dir, "sip.pem"), filepath.Join(dir, "sip.key")
	_, err = ca.IssueServer(cert, key, []netip.Addr{netip.MustParseAddr("127.0.0.1")})
	require.NoError(t, err)
	logs := &testenv.Buffer{}
	path := writeConfig(t, `
server:
  sip:
    listen: ["tls://127.0.0.1:0"]
    tls: { cert: "CERT", key: "KEY" }
  media: { rtp_ports: "RTP_RANGE" }
prompts_dir: "PROMPTS"
trunks:
  - { name: loadgen, uri: "sip:127.0.0.1:5070", inbound_from: ["127.0.0.1"] }
ivrs:
  - id: main
    extensions: ["100"]
    prompt: beep
    prompt_repeat: 5
    response_timeout: 10s
    transfer: refer
    keys:
      "1": { uri: "sip:sales@127.0.0.1:5070" }
`, "CERT", cert, "KEY", key)
	svc, err := newService(path, logs, "info")
	require.NoError(t, err)
	require.NoError(t, svc.Start(context.Background()))
	t.Cleanup(svc.Close)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const calls = 6
	res, err := ivrload.Run(ctx, ivrload.Config{
		Target: svc.sip.Addr("tls").String(), To: "100", Transport: ivrload.TransportTLS, Connections: 2, TLSCAFile: ca.CAFile,
		Calls: calls, Rate: 20, Hold: 5 * time.Second, Digit: '1', DigitAfter: 2500 * time.Millisecond,
		TelephoneEvent: 101, Workers: 1,
	})
	require.NoError(t, err)
	t.Log(res.Summary())
	require.Zero(t, res.Failed, "failures: %v\n%s", res.Failures, logs.String())
	assert.Equal(t, calls, res.Succeeded)
	assert.Equal(t, 2, res.Connections)
	assert.Zero(t, res.Redialled, "every call went over its connection as first dialled")
	require.NotNil(t, res.Digit)
	assert.Equal(t, calls, res.Digit.Actions, "every call was referred (the REFER came back over its connection)")
	assert.Equal(t, calls, res.RTP.Streams)
	assert.Zero(t, res.RTP.StreamsSilent, "every call heard the menu")

	// ivrd's side: the calls came in over TLS from two sources only.
	sources := map[string]int{}
	for _, m := range regexp.MustCompile(`call incoming.*transport=tls source=(127\.0\.0\.1:\d+)`).FindAllStringSubmatch(logs.String(), -1) {
		sources[m[1]]++
	}
	assert.Len(t, sources, 2, "calls by source: %v", sources)
	for src, n := range sources {
		assert.Equal(t, calls/2, n, "calls over %s", src)
	}

	// A caller that does not trust the lab CA gets no connection at all.
	_, err = ivrload.Run(ctx, ivrload.Config{Target: svc.sip.Addr("tls").String(), Transport: ivrload.TransportTLS,
		Calls: 1, Rate: 1, Hold: time.Second, Workers: 1})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "certificate")
}
