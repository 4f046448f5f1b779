package node

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/dtmf/dtmftest"
	"github.com/ivrd/ivrd/node/nodetest"
	"github.com/ivrd/ivrd/sip/siptest"
)

// A chain of menus: each accepts one key and sends any other key to a
// hang-up, so a digit heard twice or not at all stops the chain before the
// REFER at its end.
const chainConfig = `
server:
  sip: { listen: ["udp://127.0.0.1:0"] }
  media: { rtp_ports: "RTP_RANGE", inband: always }
prompts_dir: "PROMPTS"
ivrs:
  - { id: m1, extensions: ["100"], prompt: beep, response_timeout: 5s, keys: { "1": { ivr: m2 }, default: hangup, "*": hangup, "#": hangup } }
  - { id: m2, prompt: beep, response_timeout: 5s, keys: { "2": { ivr: m3 }, default: hangup, "*": hangup, "#": hangup } }
  - { id: m3, prompt: beep, response_timeout: 5s, keys: { "3": { ivr: m4 }, default: hangup, "*": hangup, "#": hangup } }
  - { id: m4, prompt: beep, response_timeout: 5s, keys: { "4": { uri: "sip:done@127.0.0.1" }, default: hangup, "*": hangup, "#": hangup } }
`

// sendTone streams a DTMF tone as PCMU audio packets in real time.
func sendTone(t *testing.T, c *siptest.Caller, to netip.AddrPort, key byte, seq *uint16, ts *uint32) {
	t.Helper()
	pcm := dtmftest.Signal{}.Tone(dtmftest.ToneSpec{Key: key, Ms: 100, LowDBm0: -10, HighDBm0: -10}).Silence(100).PCM()
	for i := 0; i+160 <= len(pcm); i += 160 {
		payload := make([]byte, 160)
		audio.EncodeG711(payload, pcm[i:i+160], audio.PCMU)
		*seq++
		*ts += 160
		require.NoError(t, c.SendRTP(to, rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: *seq, Timestamp: *ts, SSRC: 0xBEEF}, payload))
		time.Sleep(20 * time.Millisecond) // a phone's pace: 20 ms of audio a packet, not a wait for the server
	}
}

// sendSilence streams d of silence as PCMU audio packets in real time.
func sendSilence(t *testing.T, c *siptest.Caller, to netip.AddrPort, d time.Duration, seq *uint16, ts *uint32) {
	t.Helper()
	payload := make([]byte, 160)
	audio.EncodeG711(payload, make([]int16, 160), audio.PCMU)
	for range d / (20 * time.Millisecond) {
		*seq++
		*ts += 160
		require.NoError(t, c.SendRTP(to, rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: *seq, Timestamp: *ts, SSRC: 0xBEEF}, payload))
		time.Sleep(20 * time.Millisecond) // a phone's pace: 20 ms of audio a packet, not a wait for the server
	}
}

func TestEveryDigitMethodHeardExactlyOnce(t *testing.T) {
	t.Parallel()
	svc, logs := startLogged(t, writeConfig(t, chainConfig))
	c := newCaller(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	call, err := c.Call(ctx, svc.sip.Addr("udp"), "100")
	require.NoError(t, err)
	d, remote := call.Dialog, call.Media
	// Each menu of the chain logs its prompt as it starts it: the n-th
	// is menu n listening.
	const menuStarts = " prompt=beep barge_in="
	waitLogCount(t, logs, menuStarts, 1)

	var seq uint16 = 1
	var ts uint32 = 1000
	// 1: RFC 4733 only.
	sendEvent(t, c, remote, 101, '1', &seq, ts)
	waitLogCount(t, logs, menuStarts, 2)
	// 2: SIP INFO.
	info := sip.NewRequest(sip.INFO, d.InviteResponse.Contact().Address)
	info.AppendHeader(sip.NewHeader("Content-Type", "application/dtmf-relay"))
	info.SetBody([]byte("Signal=2\r\nDuration=160\r\n"))
	res, err := d.Do(ctx, info)
	require.NoError(t, err)
	require.Equal(t, 200, res.StatusCode)
	waitLogCount(t, logs, menuStarts, 3)
	// 3: RFC 4733 and the same tone in-band at once, as many gateways
	// send: heard twice, the 3 would reach menu m4 and hang up.
	ts += 8000
	// The in-band audio is one stream of its own (its SSRC, sequence and
	// clock), which goes on with the 4 below.
	audioSeq, audioTS := seq+1000, ts
	done := make(chan struct{})
	go func() {
		defer close(done)
		sendTone(t, c, remote, '3', &audioSeq, &audioTS)
	}()
	// The gateway's event starts a frame after its tone: the scenario's
	// timing, not a wait for the server.
	time.Sleep(20 * time.Millisecond)
	sendEvent(t, c, remote, 101, '3', &seq, ts+4000)
	<-done
	// Menu m4 listens. A second 3 would come from packets sent before the
	// 4 below, which the server reads in order: m4 would take it first.
	waitLogCount(t, logs, menuStarts, 4)
	// 4: in-band tone only, after 400 ms of the caller's silence: in-band
	// digits within 300 ms of telephone-events are taken for the same
	// press sent twice (dtmf's event shadow), and a caller's next key
	// comes later than that.
	sendSilence(t, c, remote, 400*time.Millisecond, &audioSeq, &audioTS)
	sendTone(t, c, remote, '4', &audioSeq, &audioTS)
	ref, err := c.WaitRequest(sip.REFER, 3*time.Second)
	require.NoError(t, err, "the chain 1-2-3-4 was heard exactly once each:\n%s", nodetest.Tail(logs.String(), 3000))
	require.Equal(t, "<sip:done@127.0.0.1>", ref.GetHeader("Refer-To").Value())
}

func containsTone(tones []float64, f float64) bool {
	for _, x := range tones {
		if x == f {
			return true
		}
	}
	return false
}
