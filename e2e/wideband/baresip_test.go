package wideband

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/audio"
)

// TestBaresipG722HearsWidebandPromptAndPressesAKey: baresip, a real
// softphone with only its G.722 codec loaded, calls the IVR. ivrd answers
// in G.722 and plays the 16 kHz prompt: what baresip decoded (its sndfile
// recording) is 16 kHz audio holding both of the prompt's tones, the
// 5 kHz one too, which no 8 kHz path carries, at the prompt's level.
// Its user presses 4 (baresip sends an RFC 4733 event); the menu hears
// it once and transfers the call by REFER, which baresip carries out.
func TestBaresipG722HearsWidebandPromptAndPressesAKey(t *testing.T) {
	bin := needBaresip(t, "g722.so")
	srv := startIvrd(t, buildIvrd(t), "auto")
	srv.waitAcceptingCalls(t)
	bs := startBaresip(t, bin, baresipOptions{codecs: []string{"g722.so"}, record: true, console: true,
		dial: fmt.Sprintf("sip:100@127.0.0.1:%d", srv.sipPort)})
	hearPromptPressKeyAndTransfer(t, srv, bs)
}

// TestBaresipTLSSRTPG722HearsPromptAndPressesAKey is a softphone set up
// as a careful user would on the internet: baresip calls over SIP on TLS
// (ivrd's certificate from a CA made by the test, which baresip trusts),
// with SRTP mandatory on its account and G.722 its only codec, and ivrd
// requires SRTP. ivrd answers in G.722 with SRTP; baresip decrypts and
// decodes the 16 kHz prompt (both tones, at their level); its user
// presses 4, sent as an RFC 4733 event inside SRTP, and the menu acts on
// it: one digit, and a REFER, over the TLS connection, that baresip
// carries out.
func TestBaresipTLSSRTPG722HearsPromptAndPressesAKey(t *testing.T) {
	bin := needBaresip(t, "g722.so", "srtp.so")
	ca := newTestCA(t)
	cert := ca.serverCert(t)
	srv := startIvrdWith(t, buildIvrd(t), ivrdOptions{inband: "auto", tls: &cert, srtp: "required"})
	srv.waitAcceptingCalls(t)
	bs := startBaresip(t, bin, baresipOptions{codecs: []string{"g722.so"}, caFile: ca.caFile, mediaenc: "srtp-mand",
		record: true, console: true, dial: fmt.Sprintf("sip:100@127.0.0.1:%d;transport=tls", srv.tlsPort)})
	hearPromptPressKeyAndTransfer(t, srv, bs)
	answered := srv.callAnswered(t)
	t.Logf("ivrd: %s", answered)
	require.Contains(t, answered, "srtp=AES_CM_128_HMAC_SHA1_", "ivrd answered with SRTP")
	require.Contains(t, answered, "codec=G722")
	ended := srv.callEnded(t)
	t.Logf("ivrd: %s", ended)
	require.Contains(t, ended, " srtp_auth_failed=0 ", "every SRTP packet baresip sent authenticated")
	require.Contains(t, bs.log.String(), "TLS 127.0.0.1:", "baresip's SIP went over TLS")
	require.Contains(t, bs.log.String(), "RTP/SAVP", "baresip offered SRTP")
	require.NotContains(t, bs.log.String(), "UDP 127.0.0.1:"+strconv.Itoa(srv.sipPort), "no SIP over UDP")
	// baresip's SIP trace: ivrd's REFER came from its TLS listener, over
	// the connection baresip opened.
	l := bs.log.String()
	refer := strings.Index(l, "REFER sip:alice")
	require.Positive(t, refer, "ivrd's REFER reached baresip:\n%s", tail(l, 3000))
	require.Contains(t, l[max(0, refer-200):refer], fmt.Sprintf("TLS 127.0.0.1:%d -> ", srv.tlsPort))
}

// hearPromptPressKeyAndTransfer: baresip's call is answered in G.722, it
// records two seconds of the prompt, presses 4, the menu hears the key
// once and transfers the call by REFER to the key's destination, and what
// baresip decoded is the wideband prompt.
func hearPromptPressKeyAndTransfer(t *testing.T, srv *server, bs *baresipPhone) {
	t.Helper()
	bs.waitLog(t, "call established", "Call established", 15*time.Second)
	// baresip is established at the 200; ivrd logs the answer once the ACK is in.
	waitFor(t, "ivrd to answer in G.722", 10*time.Second, func() bool { return strings.Contains(srv.log.String(), "codec=G722") }, srv.log.String)
	// Two seconds of the prompt decoded (16 kHz, 16 bits), then the key.
	waitFor(t, "two seconds of audio recorded", 15*time.Second, func() bool {
		decs, _ := filepath.Glob(filepath.Join(bs.dir, "dump-*-dec.wav"))
		if len(decs) == 0 {
			return false
		}
		st, err := os.Stat(decs[0])
		return err == nil && st.Size() >= 2*32000
	}, bs.log.String)
	bs.press(t, "4")
	bs.waitLog(t, "transfer", "transferring call", 15*time.Second)
	require.Contains(t, bs.log.String(), "<sip:sales@127.0.0.1:5070>", "to the key's destination")
	require.Equal(t, 1, strings.Count(srv.log.String(), "msg=digit "), "one digit heard:\n%s", tail(srv.log.String(), 3000))
	require.Contains(t, srv.log.String(), "key=4 method=rfc4733")
	bs.stop() // it closes its recordings
	pcm, rate := bs.decoded(t)
	requireHeardWidebandPrompt(t, pcm, rate, toneAmp, 10)
}

// TestBaresipG722InbandKey: ivrd's G.722 decoder meets another encoder.
// baresip (G.722 only) sends a recording: silence, then key 4's tone
// pair, at 16 kHz. ivrd decodes baresip's G.722, its in-band detector
// hears the 4 (inband: always, so the telephone-event baresip offers
// does not switch it off), and the menu transfers the call by REFER.
func TestBaresipG722InbandKey(t *testing.T) {
	bin := needBaresip(t, "g722.so")
	srv := startIvrd(t, buildIvrd(t), "always")
	srv.waitAcceptingCalls(t)
	key4 := filepath.Join(t.TempDir(), "key4.wav")
	writeKeyRecording(t, key4)
	bs := startBaresip(t, bin, baresipOptions{codecs: []string{"g722.so"}, source: key4,
		dial: fmt.Sprintf("sip:100@127.0.0.1:%d", srv.sipPort)})
	bs.waitLog(t, "call established", "Call established", 15*time.Second)
	// baresip is established at the 200; ivrd logs the answer once the ACK is in.
	waitFor(t, "ivrd to answer in G.722", 10*time.Second, func() bool { return strings.Contains(srv.log.String(), "codec=G722") }, srv.log.String)
	waitFor(t, "transfer", 15*time.Second, func() bool { return strings.Contains(bs.log.String(), "transferring call") }, func() string {
		return bs.log.String() + "\n--- ivrd:\n" + tail(srv.log.String(), 2000)
	})
	require.Contains(t, srv.log.String(), "key=4 method=inband", "heard in the audio, through ivrd's G.722 decoder")
	require.Equal(t, 1, strings.Count(srv.log.String(), "msg=digit "), "one digit heard:\n%s", tail(srv.log.String(), 3000))
}

// writeKeyRecording writes a 16 kHz WAV: 1.5 s of silence, key 4 (770 and
// 1209 Hz at -10 dBm0 each) for 150 ms, then 10 s of silence.
func writeKeyRecording(t *testing.T, path string) {
	t.Helper()
	const rate = 16000
	pcm := make([]int16, rate*23/2+rate*15/100)
	amp := 32767 * math.Pow(10, (-10-3.14)/20)
	start := rate * 3 / 2
	for i := start; i < start+rate*15/100; i++ {
		ts := float64(i-start) / rate
		pcm[i] = int16(amp*math.Sin(2*math.Pi*770*ts) + amp*math.Sin(2*math.Pi*1209*ts))
	}
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, audio.WriteWAVAt(f, pcm, rate))
	require.NoError(t, f.Close())
}
