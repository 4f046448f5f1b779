package sip

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"

	"github.com/ivrd/ivrd/media"
)

// SRTP with SDES keys: which calls get it (SRTPPolicy), the answer to an
// offer's RTP/SAVP profile and a=crypto attributes (answerSRTP), and the
// offers ivrd makes itself (sdesOffer: bridge legs, late offers,
// re-offers). Keys go in SDP, so they are given only over signalling that
// is encrypted itself (TLS) unless the configuration explicitly allows
// plain UDP/TCP.

// SRTPMode is whether calls' media is encrypted.
type SRTPMode uint8

// The modes.
const (
	SRTPOff      SRTPMode = iota // plain RTP; an RTP/SAVP offer is refused
	SRTPOptional                 // SRTP when the peer offers keys, plain RTP otherwise
	SRTPRequired                 // SRTP or no call
)

// ParseSRTPMode reads "off", "optional" or "required" ("" is off).
func ParseSRTPMode(s string) (SRTPMode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "off":
		return SRTPOff, nil
	case "optional":
		return SRTPOptional, nil
	case "required":
		return SRTPRequired, nil
	}
	return SRTPOff, fmt.Errorf("srtp %q: want off, optional or required", s)
}

func (m SRTPMode) String() string {
	switch m {
	case SRTPOptional:
		return "optional"
	case SRTPRequired:
		return "required"
	}
	return "off"
}

// SRTPPolicy is Config.SRTP: the mode for calls (Mode, or a trunk's own
// from TrunkMode), and whether SDES keys may travel over unencrypted SIP.
type SRTPPolicy struct {
	Mode SRTPMode
	// TrunkMode, when set, gives a trunk's own mode (ok false: Mode). It
	// is asked for each new call, so it may follow a reloaded
	// configuration; it must not block.
	TrunkMode func(trunk string) (mode SRTPMode, ok bool)
	// InsecureSignalling allows SDES keys over UDP and TCP, where anyone
	// on the path can read them (labs, or a trusted private network).
	InsecureSignalling bool
}

// ModeFor is the mode of a call on trunk ("": no trunk).
func (p SRTPPolicy) ModeFor(trunk string) SRTPMode {
	if p.TrunkMode != nil && trunk != "" {
		if m, ok := p.TrunkMode(trunk); ok {
			return m
		}
	}
	return p.Mode
}

// SecureTransport reports whether SIP over transport ("udp", "TLS", ...)
// is encrypted, so SDES keys in its SDP stay private.
func SecureTransport(transport string) bool {
	switch strings.ToLower(transport) {
	case "tls", "wss":
		return true
	}
	return false
}

// srtpTerms are what applies to one dialog.
type srtpTerms struct {
	mode SRTPMode
	// keysAllowed: the signalling is encrypted, or InsecureSignalling.
	keysAllowed bool
}

func (p SRTPPolicy) terms(trunk, transport string) srtpTerms {
	return srtpTerms{mode: p.ModeFor(trunk), keysAllowed: SecureTransport(transport) || p.InsecureSignalling}
}

// SRTPError is an offer or answer whose SRTP ivrd cannot go along with
// (answered 488, its Warning code and text saying why).
type SRTPError struct {
	Warn int // 302 incompatible transport protocol, 306 attribute not understood
	Err  error
}

func (e *SRTPError) Error() string { return e.Err.Error() }
func (e *SRTPError) Unwrap() error { return e.Err }

var errInsecureKeys = errors.New("SDES keys (a=crypto) over unencrypted SIP are refused: call over TLS, or set server.media.srtp_insecure_signalling")

// isSAVP reports whether an m= line's profile is secure RTP.
func isSAVP(proto string) bool { return strings.HasPrefix(proto, "RTP/SAVP") }

// answerSRTP decides the SRTP side of our answer to offer and fills it in
// mc: the keys, the tag of the crypto attribute chosen and the profile the
// answer names. prev is the dialog's keys so far: while the suite stays,
// our key stays (our stream's packet index goes on).
func answerSRTP(offer *SessionDescription, t srtpTerms, prev media.SRTPKeys, mc *MediaChoice) error {
	mc.Proto, mc.SRTP, mc.CryptoTag = offer.Proto, media.SRTPKeys{}, 0
	if isDTLSProto(offer.Proto) {
		// Keys come from the DTLS handshake (webrtc.go), never from SDP,
		// and the media is always encrypted: allowed whatever the mode.
		return checkWebRTCOffer(offer)
	}
	savp, hasKeys := isSAVP(offer.Proto), len(offer.Crypto) > 0
	switch {
	case t.mode == SRTPOff && savp:
		return &SRTPError{Warn: 302, Err: fmt.Errorf("%s offered, but SRTP is off here", offer.Proto)}
	case t.mode == SRTPOff:
		return nil
	case !savp && !hasKeys && t.mode == SRTPRequired:
		return &SRTPError{Warn: 302, Err: errors.New("SRTP is required here: the offer has no a=crypto keys")}
	case !savp && !hasKeys:
		return nil
	case !t.keysAllowed && (savp || t.mode == SRTPRequired):
		return &SRTPError{Warn: 302, Err: errInsecureKeys}
	case !t.keysAllowed:
		return nil // answered as plain RTP: our key is not sent in clear
	case !hasKeys:
		return &SRTPError{Warn: 302, Err: fmt.Errorf("%s offered without a=crypto (DTLS-SRTP is not supported)", offer.Proto)}
	}
	attr, err := pickCrypto(offer.Crypto)
	if err != nil {
		return &SRTPError{Warn: 306, Err: err}
	}
	local := prev.LocalKey()
	if !prev.On() || prev.Profile != attr.Suite {
		if local, err = newKey(attr.Suite); err != nil {
			return err
		}
	}
	keys, err := media.NewSRTPKeys(attr.Suite, local, attr.key, attr.mki)
	if err != nil {
		return &SRTPError{Warn: 306, Err: fmt.Errorf("%s: %w", attr, err)}
	}
	mc.SRTP, mc.CryptoTag = keys, attr.Tag
	return nil
}

// pickCrypto is the first attribute we can use, in the offer's order (the
// offerer's preference). One that is malformed refuses the offer; one
// asking for what we do not do is passed over, and names the refusal
// when none is left.
func pickCrypto(lines CryptoLines) (CryptoAttr, error) {
	var firstErr error
	for _, l := range lines {
		a, err := ParseCrypto(l)
		if err == nil {
			return a, nil
		}
		var ce *CryptoError
		if errors.As(err, &ce) && !ce.Unsupported {
			return CryptoAttr{}, err
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return CryptoAttr{}, firstErr
}

func newKey(p media.SRTPProfile) ([]byte, error) {
	k := make([]byte, p.KeyLen())
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("srtp: key: %w", err)
	}
	return k, nil
}

// WithSRTP puts the SRTP side of an answer into d: the profile the offer
// named and, when SRTP was chosen, our crypto attribute.
func (d SessionDescription) WithSRTP(mc MediaChoice) SessionDescription {
	d.Proto = mc.Proto
	d.Crypto = nil
	d.WebRTC = mc.WebRTC
	if mc.SRTP.On() {
		d.Crypto = CryptoLines{formatCrypto(mc.CryptoTag, mc.SRTP.Profile, mc.SRTP.LocalKey())}
	}
	return d
}

// sdesOffer is the SRTP side of an offer ivrd makes: one crypto attribute
// per suite, each with its own key. Required offers RTP/SAVP; optional
// offers RTP/AVP with the keys (as SBCs do), so a peer without SRTP still
// answers.
type sdesOffer struct {
	required bool
	keys     []offeredKey
}

type offeredKey struct {
	tag   int
	suite media.SRTPProfile
	key   []byte
}

// offeredSuites are the suites we offer, in our order of preference.
var offeredSuites = [...]media.SRTPProfile{media.AESCM128HMACSHA1_80, media.AEADAES128GCM, media.AESCM128HMACSHA1_32}

// newSDESOffer is the crypto to offer under t (nil: a plain offer).
func newSDESOffer(t srtpTerms) (*sdesOffer, error) {
	if t.mode == SRTPOff {
		return nil, nil
	}
	if !t.keysAllowed {
		if t.mode == SRTPRequired {
			return nil, &SRTPError{Warn: 302, Err: errInsecureKeys}
		}
		return nil, nil
	}
	o := &sdesOffer{required: t.mode == SRTPRequired}
	for i, s := range offeredSuites {
		k, err := newKey(s)
		if err != nil {
			return nil, err
		}
		o.keys = append(o.keys, offeredKey{tag: i + 1, suite: s, key: k})
	}
	return o, nil
}

// reofferOf offers again the keys in use (a re-INVITE): the same suite,
// tag and our same key, so our stream goes on under it.
func reofferOf(mc MediaChoice) *sdesOffer {
	if !mc.SRTP.On() {
		return nil
	}
	return &sdesOffer{required: true, keys: []offeredKey{{tag: mc.CryptoTag, suite: mc.SRTP.Profile, key: mc.SRTP.LocalKey()}}}
}

// describe puts the offer's profile and crypto attributes into d.
func (o *sdesOffer) describe(d SessionDescription) SessionDescription {
	if o == nil {
		return d
	}
	d.Proto = "RTP/AVP"
	if o.required {
		d.Proto = "RTP/SAVP"
	}
	d.Crypto = make(CryptoLines, 0, len(o.keys))
	for _, k := range o.keys {
		d.Crypto = append(d.Crypto, formatCrypto(k.tag, k.suite, k.key))
	}
	return d
}

// accept reads the SRTP side of the answer to o into mc: the attribute
// the answerer chose among ours, with its key.
func (o *sdesOffer) accept(answer *SessionDescription, mc *MediaChoice) error {
	mc.Proto, mc.SRTP, mc.CryptoTag = answer.Proto, media.SRTPKeys{}, 0
	if o == nil {
		if isSAVP(answer.Proto) {
			return &SRTPError{Warn: 302, Err: fmt.Errorf("%s answered to a plain RTP offer", answer.Proto)}
		}
		return nil
	}
	if len(answer.Crypto) == 0 {
		if o.required || isSAVP(answer.Proto) {
			return &SRTPError{Warn: 302, Err: errors.New("the answer has no a=crypto keys, and SRTP is required")}
		}
		return nil
	}
	a, err := ParseCrypto(answer.Crypto[0])
	if err != nil {
		return &SRTPError{Warn: 306, Err: err}
	}
	for _, k := range o.keys {
		if k.tag == a.Tag && k.suite == a.Suite {
			keys, err := media.NewSRTPKeys(a.Suite, k.key, a.key, a.mki)
			if err != nil {
				return &SRTPError{Warn: 306, Err: fmt.Errorf("%s: %w", a, err)}
			}
			mc.SRTP, mc.CryptoTag = keys, a.Tag
			return nil
		}
	}
	return &SRTPError{Warn: 306, Err: fmt.Errorf("%s: not one we offered", a)}
}
