package sip

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/ivrd/ivrd/media"
)

// WebRTC offers (a browser's, RFC 8829's JSEP as SIP carries it): an
// UDP/TLS/RTP/SAVPF audio stream with ICE credentials, a DTLS
// fingerprint and rtcp-mux. ivrd answers as an ICE-lite agent with one
// host candidate (the call's RTP port on the advertised address),
// a=setup:passive (the browser starts the DTLS handshake) and its own
// certificate's fingerprint; the media session does the rest
// (media/webrtc.go). The codec is chosen as for any call, from the
// server's list: PCMU and PCMA, which every browser offers (Opus joins
// that list where the build has it, with nothing to change here).

// WebRTCSDP is the WebRTC side of a description: the offer's (parsed)
// or ours (answered). Strings only, so that a MediaChoice holding one
// stays comparable.
type WebRTCSDP struct {
	Ufrag, Pwd        string // a=ice-ufrag, a=ice-pwd
	FingerprintHash   string // a=fingerprint hash name ("sha-256")
	FingerprintValue  string // its hex digest
	Setup             string // a=setup
	Mid               string // a=mid of the audio stream ("": none)
	Bundle            bool   // the offer groups streams (a=group:BUNDLE)
	Mux               bool   // a=rtcp-mux
	Candidates        string // the IPs of the offer's candidates, space-separated
	RejectedCandidate int    // candidates that named no IP address (mDNS names), left out
}

// isDTLSProto reports whether an m= line's profile is DTLS-SRTP.
func isDTLSProto(proto string) bool { return strings.HasPrefix(proto, "UDP/TLS/RTP/SAVP") }

// on reports whether the description carries WebRTC attributes.
func (w WebRTCSDP) on() bool { return w.Ufrag != "" || w.FingerprintValue != "" }

// parseAttr reads one a= line of the WebRTC kind (false: not one).
func (w *WebRTCSDP) parseAttr(name, arg string) bool {
	switch name {
	case "ice-ufrag":
		w.Ufrag = strings.TrimSpace(arg)
	case "ice-pwd":
		w.Pwd = strings.TrimSpace(arg)
	case "fingerprint":
		hash, value, _ := strings.Cut(strings.TrimSpace(arg), " ")
		w.FingerprintHash, w.FingerprintValue = strings.ToLower(hash), strings.TrimSpace(value)
	case "setup":
		w.Setup = strings.ToLower(strings.TrimSpace(arg))
	case "mid":
		w.Mid = strings.TrimSpace(arg)
	case "rtcp-mux":
		w.Mux = true
	case "group":
		w.Bundle = w.Bundle || strings.HasPrefix(strings.TrimSpace(arg), "BUNDLE")
	case "candidate":
		// foundation component transport priority address port typ ...
		f := strings.Fields(arg)
		if len(f) < 6 || !strings.EqualFold(f[2], "udp") {
			return true
		}
		a, err := netip.ParseAddr(f[4])
		if err != nil {
			w.RejectedCandidate++
			return true
		}
		if !strings.Contains(" "+w.Candidates+" ", " "+a.String()+" ") {
			w.Candidates = strings.TrimSpace(w.Candidates + " " + a.String())
		}
	default:
		return false
	}
	return true
}

// checkWebRTCOffer refuses a DTLS-SRTP offer ivrd cannot answer.
func checkWebRTCOffer(offer *SessionDescription) error {
	w := offer.WebRTC
	switch {
	case w.Ufrag == "" || w.Pwd == "":
		return &SRTPError{Warn: 306, Err: errors.New("DTLS-SRTP offer without a=ice-ufrag and a=ice-pwd")}
	case w.FingerprintValue == "":
		return &SRTPError{Warn: 306, Err: errors.New("DTLS-SRTP offer without a=fingerprint")}
	case w.Setup == "passive":
		return &SRTPError{Warn: 306, Err: errors.New("a=setup:passive offered: ivrd answers only as the DTLS server")}
	case !w.Mux:
		return &SRTPError{Warn: 306, Err: errors.New("DTLS-SRTP offer without a=rtcp-mux")}
	}
	return nil
}

// webrtcPeer is what the media session needs of the offer: its
// credentials, fingerprint, and the addresses checks may come from (its
// candidates and the signalling source).
func webrtcPeer(w WebRTCSDP, signal netip.Addr) media.WebRTCPeer {
	p := media.WebRTCPeer{Ufrag: w.Ufrag, Pwd: w.Pwd, Fingerprint: media.Fingerprint{Hash: w.FingerprintHash, Value: w.FingerprintValue}}
	for _, s := range strings.Fields(w.Candidates) {
		if a, err := netip.ParseAddr(s); err == nil {
			p.Candidates = append(p.Candidates, a)
		}
	}
	if signal.IsValid() {
		p.Candidates = append(p.Candidates, signal)
	}
	return p
}

// answerWebRTC is our side of a WebRTC answer.
func answerWebRTC(offer WebRTCSDP, local media.WebRTCLocal) WebRTCSDP {
	return WebRTCSDP{Ufrag: local.Ufrag, Pwd: local.Pwd, FingerprintHash: local.Fingerprint.Hash,
		FingerprintValue: local.Fingerprint.Value, Setup: "passive", Mid: offer.Mid, Bundle: offer.Bundle, Mux: true}
}

// enableWebRTC readies the call's session for the offer's WebRTC side
// and puts ours in the choice (before the answer is written).
func (c *Call) enableWebRTC(signal netip.Addr) error {
	c.mu.Lock()
	offer := c.choice.WebRTC
	c.mu.Unlock()
	local, err := c.Media.EnableWebRTC(webrtcPeer(offer, signal))
	if err != nil {
		return &SRTPError{Warn: 306, Err: err}
	}
	c.mu.Lock()
	c.choice.WebRTC = answerWebRTC(offer, local)
	c.mu.Unlock()
	return nil
}

// awaitDTLS waits, after the ACK, for a WebRTC call's DTLS handshake to
// give it keys, at most the un-ACKed call timeout: a browser that never
// finishes it holds the call's ports no longer than one that never ACKs.
func (c *Call) awaitDTLS(wait time.Duration) error {
	ready := c.Media.WebRTCReady()
	if ready == nil {
		return nil
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ready:
		return nil
	case <-t.C:
		return fmt.Errorf("%w after %s", errNoDTLS, wait)
	case <-c.ctx.Done():
		return c.ctx.Err()
	}
}

// errNoDTLS is a WebRTC call whose DTLS handshake did not finish.
var errNoDTLS = errors.New("no DTLS handshake")

// writeWebRTC writes our WebRTC attributes into an answer's audio
// section: the ICE-lite agent's credentials and one host candidate, the
// DTLS fingerprint and role, rtcp-mux.
func (d SessionDescription) writeWebRTC(b *strings.Builder) {
	w := d.WebRTC
	if w.Mid != "" {
		fmt.Fprintf(b, "a=mid:%s\r\n", w.Mid)
	}
	fmt.Fprintf(b, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\n", w.Ufrag, w.Pwd)
	fmt.Fprintf(b, "a=fingerprint:%s %s\r\na=setup:%s\r\n", w.FingerprintHash, w.FingerprintValue, w.Setup)
	fmt.Fprintf(b, "a=rtcp-mux\r\n")
	// One host candidate: foundation 1, component 1 (RTP, RTCP muxed),
	// the highest host priority (RFC 8445 5.1.2.1, local preference 65535).
	fmt.Fprintf(b, "a=candidate:1 1 udp 2130706431 %s %d typ host\r\na=end-of-candidates\r\n", d.Addr, d.Port)
}
