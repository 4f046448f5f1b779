package wideband

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestLinphoneTLSSRTPG722HearsPromptAndPressesAKey: linphone, the other
// softphone users install, set up for the internet: SIP over TLS only,
// verifying ivrd's certificate against a CA made by the test (name
// included), SRTP mandatory, G.722 its only codec, and ivrd requires
// SRTP. ivrd answers in G.722 with SRTP; what linphone decrypted and
// decoded is the 16 kHz prompt, both tones (the 5 kHz one too); its user
// types 4, sent as an RFC 4733 event inside SRTP, and the menu acts on
// it: one digit, a REFER over the TLS connection, which linphone carries
// out by calling the key's destination.
//
// The level linphone hears is twice the prompt's: mediastreamer2's
// G.722 filters halve samples before encoding and double them after
// decoding (its msg722.c, scale_down/scale_up), so a G.722 stream from
// any other encoder plays 6 dB louder in linphone. The test expects
// that level: anything else would mean ivrd's stream changed.
func TestLinphoneTLSSRTPG722HearsPromptAndPressesAKey(t *testing.T) {
	bin := needLinphone(t)
	ca := newTestCA(t)
	cert := ca.serverCert(t)
	srv := startIvrdWith(t, buildIvrd(t), ivrdOptions{inband: "auto", tls: &cert, srtp: "required"})
	srv.waitAcceptingCalls(t)
	lp := startLinphone(t, bin, linphoneOptions{tls: true, caFile: ca.caFile, srtp: true, codec: "G722",
		dial: fmt.Sprintf("sip:100@127.0.0.1:%d;transport=tls", srv.tlsPort)})

	lp.waitOut(t, "call connected", "Media streams established", 15*time.Second)
	answered := srv.callAnswered(t)
	t.Logf("ivrd: %s", answered)
	require.Contains(t, answered, "codec=G722")
	require.Contains(t, answered, "srtp=AES_CM_128_HMAC_SHA1_", "ivrd answered with SRTP")
	require.Contains(t, srv.log.String(), "transport=tls", "the call came in on the tls:// listener")
	log := lp.log()
	require.Contains(t, log, "Connected at TCP level, now doing TLS handshake", "linphone's SIP went over TLS")
	require.Contains(t, log, "RTP/SAVP 9 ", "linphone offered SRTP with G.722 first")

	lp.waitRecorded(t, 2, 16000)
	lp.send(t, "4")
	lp.waitOut(t, "the transfer carried out", "Establishing call id to sip:sales@127.0.0.1:5070", 15*time.Second)
	require.Equal(t, 1, strings.Count(srv.log.String(), "msg=digit "), "one digit heard:\n%s", tail(srv.log.String(), 3000))
	require.Contains(t, srv.log.String(), "key=4 method=rfc4733")
	lp.stop(t)
	ended := srv.callEnded(t)
	t.Logf("ivrd: %s", ended)
	// linphone sends STUN binding requests (20 bytes, magic cookie
	// 2112a442) to both media ports as NAT keep-alives even without ICE;
	// ivrd drops them quietly (media's demuxKind, RFC 7983). Authentication failures
	// would be real trouble.
	require.Contains(t, ended, " srtp_auth_failed=0 ", "every SRTP packet linphone sent authenticated")
	pcm, rate := lp.recorded(t)
	requireHeardWidebandPrompt(t, pcm, rate, 2*toneAmp, 10)
}

// TestLinphoneUDPPCMUHearsPromptAndPressesAKey is the first call most
// users try: linphone in the simplest shape, SIP over UDP,
// plain RTP, G.711 µ-law only, calling the same menu. ivrd answers in
// PCMU and plays the 16 kHz prompt cut to 8 kHz: linphone hears the
// 1 kHz tone at the prompt's level and nothing of the 5 kHz one (not
// even folded back to 3 kHz, which a resampler without its low-pass
// filter would leave); its user types 4 and the menu transfers the call.
func TestLinphoneUDPPCMUHearsPromptAndPressesAKey(t *testing.T) {
	bin := needLinphone(t)
	srv := startIvrd(t, buildIvrd(t), "auto")
	srv.waitAcceptingCalls(t)
	lp := startLinphone(t, bin, linphoneOptions{codec: "PCMU", dial: fmt.Sprintf("sip:100@127.0.0.1:%d", srv.sipPort)})

	lp.waitOut(t, "call connected", "Media streams established", 15*time.Second)
	answered := srv.callAnswered(t)
	t.Logf("ivrd: %s", answered)
	require.Contains(t, answered, "codec=PCMU")
	require.Contains(t, answered, "srtp=RTP")
	require.Contains(t, lp.log(), "RTP/AVP 0 ", "linphone offered plain RTP with PCMU first")

	lp.waitRecorded(t, 2, 8000)
	lp.send(t, "4")
	lp.waitOut(t, "the transfer carried out", "Establishing call id to sip:sales@127.0.0.1:5070", 15*time.Second)
	require.Equal(t, 1, strings.Count(srv.log.String(), "msg=digit "), "one digit heard:\n%s", tail(srv.log.String(), 3000))
	require.Contains(t, srv.log.String(), "key=4 method=rfc4733")
	lp.stop(t)
	pcm, rate := lp.recorded(t)
	require.Equal(t, 8000, rate, "linphone decoded 8 kHz audio")
	var seen []string
	windows := 0
	for i := 0; i+800 <= len(pcm); i += 800 {
		w := pcm[i : i+800]
		if rms(w) < toneAmp/2 {
			continue
		}
		lo, alias := amplitudeAt(w, 8000, lowTone), amplitudeAt(w, 8000, 8000-highTone)
		seen = append(seen, fmt.Sprintf("%.0f/%.0f", lo, alias))
		if lo > toneAmp*0.9 && lo < toneAmp*1.1 && alias < toneAmp*0.05 {
			windows++
		}
	}
	t.Logf("1 kHz/3 kHz amplitude per loud 100 ms window: %v", seen)
	require.GreaterOrEqual(t, windows, 10, "the prompt in narrowband: 1 kHz/3 kHz amplitudes per window %v (want ~%v and ~0)", seen, toneAmp)
}
