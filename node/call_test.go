package node

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zaf/g711"

	"github.com/ivrd/ivrd/examples"
	"github.com/ivrd/ivrd/internal/testenv"
	"github.com/ivrd/ivrd/node/nodetest"
	"github.com/ivrd/ivrd/prompts"
	"github.com/ivrd/ivrd/sip/siptest"
)

type liveIVR struct {
	svc      *Node
	greeting []int16
	logs     *testenv.Buffer
}

const liveConfig = `
server:
  sip:
    listen: ["udp://127.0.0.1:0", "tcp://127.0.0.1:0"]
    # The load-generator tests call from one address many times at once:
    # one source, over the per-source defaults (README, "Security").
    limits: { invite_rate: 200, invite_burst: 200, calls_in_setup: 100, calls: 200 }
  media:
    rtp_ports: "RTP_RANGE"
prompts_dir: "PROMPTS"
ivrs:
  - id: main
    extensions: ["100"]
    greeting: welcome
    prompt: main-choices
    invalid_prompt: invalid
    response_timeout: 1s
    prompt_repeat: 2
    transfer: refer
    keys:
      "1": { uri: "sales@pbx.example.net" }
      "2": { ivr: support }
      "#": hangup
  - id: support
    extensions: ["200"]
    prompt: support-choices
    transfer: refer
    keys:
      "1": { uri: "sip:support@pbx.example.net" }
      "9": top
`

func startLive(t *testing.T) *liveIVR {
	t.Helper()
	dir := t.TempDir()
	l := &liveIVR{}
	l.greeting = writeTone(t, filepath.Join(dir, "welcome.wav"), 440, 600*time.Millisecond)
	writeTone(t, filepath.Join(dir, "main-choices.wav"), 1000, 800*time.Millisecond)
	writeTone(t, filepath.Join(dir, "support-choices.wav"), 700, 800*time.Millisecond)
	writeTone(t, filepath.Join(dir, "invalid.wav"), 300, 200*time.Millisecond)
	text := strings.NewReplacer("PROMPTS", dir, "RTP_RANGE", nodetest.RTPRange(t)).Replace(liveConfig)
	cfgPath := filepath.Join(dir, "ivrd.yaml")
	require.NoError(t, os.WriteFile(cfgPath, []byte(text), 0o644))
	l.logs = &testenv.Buffer{}
	svc, err := newService(cfgPath, l.logs, "info")
	require.NoError(t, err)
	require.NoError(t, svc.Start(context.Background()))
	t.Cleanup(svc.Close)
	l.svc = svc
	return l
}

func TestLiveCallPromptDigitRefer(t *testing.T) {
	t.Parallel()
	l := startLive(t)
	c, err := siptest.NewCaller("udp")
	require.NoError(t, err)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	call, err := c.Call(ctx, l.svc.sip.Addr("udp"), "100")
	require.NoError(t, err)
	d, remote := call.Dialog, call.Media

	// A second of audio: the greeting, then the menu prompt (its pace is
	// the stream's timestamps, 20 ms a packet; send rates under load are
	// the pacing benchmark's).
	require.Eventually(t, func() bool { return len(c.Packets()) >= 55 }, 10*time.Second, 10*time.Millisecond)
	pkts := c.Packets()
	assert.True(t, pkts[0].Header.Marker, "marker on the first packet")
	for i := 1; i < len(pkts); i++ {
		assert.Equal(t, pkts[i-1].Header.SequenceNumber+1, pkts[i].Header.SequenceNumber, "seq at %d", i)
		assert.Equal(t, pkts[i-1].Header.Timestamp+160, pkts[i].Header.Timestamp, "ts at %d", i)
		assert.Equal(t, pkts[0].Header.SSRC, pkts[i].Header.SSRC)
	}
	// The audio is the greeting: decode and compare sample by sample
	// (µ-law keeps a 16-bit sample within a few percent).
	var got []int16
	for _, p := range pkts {
		if got == nil && bytes.Count(p.Payload, []byte{0xFF}) == len(p.Payload) {
			continue // silence sent before the greeting started
		}
		for _, b := range p.Payload {
			got = append(got, g711.DecodeUlawFrame(b))
		}
		if len(got) >= len(l.greeting) {
			break
		}
	}
	require.GreaterOrEqual(t, len(got), len(l.greeting))
	for i, want := range l.greeting {
		assert.InDelta(t, float64(want), float64(got[i]), 300, "greeting sample %d", i)
		if t.Failed() {
			break
		}
	}

	// Press 1: the menu sends REFER to the key's URI.
	var seq uint16 = 100
	sendEvent(t, c, remote, 101, '1', &seq, 48000)
	ref, err := c.WaitRequest(sip.REFER, 3*time.Second)
	require.NoError(t, err)
	assert.Equal(t, "<sip:sales@pbx.example.net>", ref.GetHeader("Refer-To").Value())
	require.NotNil(t, ref.GetHeader("Referred-By"))
	for _, frag := range []string{"SIP/2.0 100 Trying\r\n", "SIP/2.0 200 OK\r\n"} {
		req := sip.NewRequest(sip.NOTIFY, d.InviteResponse.Contact().Address)
		req.AppendHeader(sip.NewHeader("Event", "refer"))
		req.AppendHeader(sip.NewHeader("Content-Type", "message/sipfrag;version=2.0"))
		req.SetBody([]byte(frag))
		res, err := d.Do(ctx, req)
		require.NoError(t, err)
		require.Equal(t, 200, res.StatusCode)
	}
	_, err = c.WaitRequest(sip.BYE, 3*time.Second)
	require.NoError(t, err, "ivrd ends its side after the transfer")
	// The menu's call record sums the call up, and the call's last log
	// line says how its media went.
	require.Eventually(t, func() bool { return strings.Contains(l.logs.String(), `msg="call record"`) }, 3*time.Second, 10*time.Millisecond)
	assert.Regexp(t, `msg="call record" call_id=\S+ ivr=main path=main keys=1 invalid=0 timeouts=0 failed_transfers=0 outcome="transfer uri sales@pbx.example.net done" menu_time=`, l.logs.String())
	require.Eventually(t, func() bool { return strings.Contains(l.logs.String(), `msg="call ended"`) }, 3*time.Second, 10*time.Millisecond)
	assert.Regexp(t, `msg="call ended" .*reason=transferred.* rtp_sent=[1-9]\d* rtp_received=[1-9]\d* lost=0 jitter=`, l.logs.String())
}

func TestLiveInvalidKeyAndRefusedReferReturnToMenu(t *testing.T) {
	t.Parallel()
	l := startLive(t)
	c, err := siptest.NewCaller("udp")
	require.NoError(t, err)
	defer c.Close()
	c.SetReferResponse(603)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	call, err := c.Call(ctx, l.svc.sip.Addr("udp"), "100")
	require.NoError(t, err)
	remote := call.Media
	var seq uint16
	// Each key is pressed once the caller hears the menu (a key during the
	// greeting would be typed ahead, which is another test's).
	waitHeard(t, c, 440, 1000)                    // greeting (600 ms), then the menu starts
	sendEvent(t, c, remote, 101, '5', &seq, 1000) // no such key
	waitHeard(t, c, 440, 1000, 300, 1000)         // invalid prompt (200 ms), menu again
	sendEvent(t, c, remote, 101, '1', &seq, 9000) // REFER, refused by the caller
	ref, err := c.WaitRequest(sip.REFER, 3*time.Second)
	require.NoError(t, err)
	require.NotNil(t, ref)
	// Heard: greeting, menu (cut by 5), invalid, menu (cut by 1), invalid, menu.
	waitHeard(t, c, 440, 1000, 300, 1000, 300, 1000)
	sendEvent(t, c, remote, 101, '#', &seq, 20000)
	_, err = c.WaitRequest(sip.BYE, 3*time.Second)
	require.NoError(t, err, "# hangs up")
}

// TestBundledExampleAnswersWithItsPrompts serves what `make run` serves
// (examples/main.yaml with the bundled prompts; only the ports moved off
// 5060 and 20000): a call to 100 hears the bundled greeting, and 1
// transfers to sales by REFER.
func TestBundledExampleAnswersWithItsPrompts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	text := strings.NewReplacer(
		"udp://127.0.0.1:5060", "udp://127.0.0.1:0", "tcp://127.0.0.1:5060", "tcp://127.0.0.1:0",
		`"20000-20999"`, `"`+nodetest.RTPRange(t)+`"`,
	).Replace(string(examples.Main))
	require.NotEqual(t, string(examples.Main), text)
	path := filepath.Join(dir, "main.yaml")
	require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	svc, logs := startLogged(t, path)

	c := newCaller(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	call, err := c.Call(ctx, svc.sip.Addr("udp"), "100")
	require.NoError(t, err)
	// Half a second of the greeting (however long the machine takes to send it).
	var got []int16
	require.Eventually(t, func() bool {
		got = got[:0]
		for _, p := range c.Packets() {
			if len(got) == 0 && bytes.Count(p.Payload, []byte{0xFF}) == len(p.Payload) {
				continue // silence sent before the greeting started
			}
			for _, b := range p.Payload {
				got = append(got, g711.DecodeUlawFrame(b))
			}
		}
		return len(got) > 4000
	}, 10*time.Second, 20*time.Millisecond)
	welcome, ok := prompts.Builtin().Get("welcome")
	require.True(t, ok)
	require.Greater(t, len(got), 4000)
	for i := 0; i < 4000; i++ {
		// µ-law keeps a sample within about 3% of full scale's step
		if d := int(got[i]) - int(welcome.PCM[i]); d > 1100 || d < -1100 {
			t.Fatalf("sample %d: heard %d, the bundled greeting has %d", i, got[i], welcome.PCM[i])
		}
	}
	// 1 during the greeting, which plays on (no barge-in): the menu takes
	// the key typed ahead once the greeting has ended.
	var seq uint16
	sendEvent(t, c, call.Media, 101, '1', &seq, 4000)
	ref, err := c.WaitRequest(sip.REFER, welcome.Duration()+5*time.Second)
	require.NoError(t, err, nodetest.Tail(logs.String(), 4000))
	assert.Equal(t, "<sip:sales@127.0.0.1:5070>", ref.GetHeader("Refer-To").Value())
}

func TestLiveCallThroughSubmenuToRefer(t *testing.T) {
	t.Parallel()
	l := startLive(t)
	c, err := siptest.NewCaller("tcp")
	require.NoError(t, err)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	call, err := c.Call(ctx, l.svc.sip.Addr("tcp"), "100")
	require.NoError(t, err)
	remote := call.Media
	var seq uint16
	waitHeard(t, c, 440, 1000)                    // the greeting, then the main menu
	sendEvent(t, c, remote, 101, '2', &seq, 1000) // support menu
	waitHeard(t, c, 440, 1000, 700)               // the support menu plays
	sendEvent(t, c, remote, 101, '1', &seq, 9000)
	ref, err := c.WaitRequest(sip.REFER, 3*time.Second)
	require.NoError(t, err)
	assert.Equal(t, "<sip:support@pbx.example.net>", ref.GetHeader("Refer-To").Value())
	// Heard: greeting, main menu (cut by 2), the support menu (cut by 1).
	assert.Equal(t, []float64{440, 1000, 700}, heard(c.Packets()))
}
