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
		time.Sleep(20 * time.Millisecond)
	}
}

func TestEveryDigitMethodHeardExactlyOnce(t *testing.T) {
	svc := startConfig(t, writeConfig(t, chainConfig))
	c := newCaller(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	call, err := c.Call(ctx, svc.sip.Addr("udp"), "100")
	require.NoError(t, err)
	d, remote := call.Dialog, call.Media
	time.Sleep(300 * time.Millisecond)

	var seq uint16 = 1
	var ts uint32 = 1000
	// 1: RFC 4733 only.
	sendEvent(t, c, remote, 101, '1', &seq, ts)
	time.Sleep(400 * time.Millisecond)
	// 2: SIP INFO.
	info := sip.NewRequest(sip.INFO, d.InviteResponse.Contact().Address)
	info.AppendHeader(sip.NewHeader("Content-Type", "application/dtmf-relay"))
	info.SetBody([]byte("Signal=2\r\nDuration=160\r\n"))
	res, err := d.Do(ctx, info)
	require.NoError(t, err)
	require.Equal(t, 200, res.StatusCode)
	time.Sleep(400 * time.Millisecond)
	// 3: RFC 4733 and the same tone in-band at once, as many gateways
	// send: heard twice, the 3 would reach menu m4 and hang up.
	ts += 8000
	done := make(chan struct{})
	go func() {
		defer close(done)
		s2 := seq + 1000
		t2 := ts
		sendTone(t, c, remote, '3', &s2, &t2)
	}()
	time.Sleep(20 * time.Millisecond)
	sendEvent(t, c, remote, 101, '3', &seq, ts+4000)
	<-done
	time.Sleep(300 * time.Millisecond)
	// 4: in-band tone only.
	ts += 8000
	sendTone(t, c, remote, '4', &seq, &ts)
	ref, err := c.WaitRequest(sip.REFER, 3*time.Second)
	require.NoError(t, err, "the chain 1-2-3-4 was heard exactly once each")
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
