package media

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
)

// SRTPProfile is an SRTP crypto suite (RFC 4568 section 6.2, RFC 7714
// section 14.2). The zero value is plain RTP.
type SRTPProfile uint8

// The suites a session can protect its streams with.
const (
	PlainRTP SRTPProfile = iota
	AESCM128HMACSHA1_80
	AESCM128HMACSHA1_32
	AEADAES128GCM
)

// String is the suite's name as SDP writes it.
func (p SRTPProfile) String() string {
	switch p {
	case AESCM128HMACSHA1_80:
		return "AES_CM_128_HMAC_SHA1_80"
	case AESCM128HMACSHA1_32:
		return "AES_CM_128_HMAC_SHA1_32"
	case AEADAES128GCM:
		return "AEAD_AES_128_GCM"
	}
	return "RTP"
}

// KeyLen is the length of the suite's master key and master salt
// together, as an SDES inline key carries them (30 or 28 bytes).
func (p SRTPProfile) KeyLen() int {
	switch p {
	case AESCM128HMACSHA1_80, AESCM128HMACSHA1_32:
		return 16 + 14
	case AEADAES128GCM:
		return 16 + 12
	}
	return 0
}

func (p SRTPProfile) pion() srtp.ProtectionProfile {
	switch p {
	case AESCM128HMACSHA1_32:
		return srtp.ProtectionProfileAes128CmHmacSha1_32
	case AEADAES128GCM:
		return srtp.ProtectionProfileAeadAes128Gcm
	}
	return srtp.ProtectionProfileAes128CmHmacSha1_80
}

// srtpOverhead is the most SRTP adds to an RTP packet (GCM's 16-byte tag;
// no MKI on what we send), srtcpOverhead what SRTCP adds (index and tag).
const (
	srtpOverhead  = 16
	srtcpOverhead = 4 + 16
)

// SRTPKeys are a session's negotiated SRTP keys: the suite, the master key
// and salt we protect our packets with, and the peer's, with the peer's
// MKI when it sends one. Comparable, so a negotiation result holding it
// can be compared with the last; its String and LogValue never show the
// keys, so logging a Params or a negotiation result does not leak them.
type SRTPKeys struct {
	Profile SRTPProfile
	local   string // master key || master salt, raw bytes
	remote  string
	mki     string // the peer's MKI, raw bytes ("": none)
}

// NewSRTPKeys checks the keys' lengths against the suite. remoteMKI is the
// peer's master key identifier (nil: none).
func NewSRTPKeys(p SRTPProfile, local, remote, remoteMKI []byte) (SRTPKeys, error) {
	if p == PlainRTP || p.KeyLen() == 0 {
		return SRTPKeys{}, fmt.Errorf("srtp: unknown suite %d", p)
	}
	if len(local) != p.KeyLen() || len(remote) != p.KeyLen() {
		return SRTPKeys{}, fmt.Errorf("srtp: %s takes %d bytes of key and salt", p, p.KeyLen())
	}
	if len(remoteMKI) > 128 {
		return SRTPKeys{}, errors.New("srtp: MKI longer than 128 bytes")
	}
	return SRTPKeys{Profile: p, local: string(local), remote: string(remote), mki: string(remoteMKI)}, nil
}

// On reports whether the keys protect anything (false: plain RTP).
func (k SRTPKeys) On() bool { return k.Profile != PlainRTP }

// String names the suite only: keys are never printed.
func (k SRTPKeys) String() string { return k.Profile.String() }

// GoString is String: %#v must not print the keys either.
func (k SRTPKeys) GoString() string { return k.String() }

// LogValue is the suite's name: keys are never logged.
func (k SRTPKeys) LogValue() slog.Value { return slog.StringValue(k.String()) }

// srtpState is a session's SRTP contexts: one protects what we send (RTP
// and RTCP, both under the session's lock), and one per receiving socket
// unprotects what the peer sends (each used by one reader at a time:
// the pacer loop on Linux, a goroutine per socket elsewhere). Replay
// protection is pion's window on both receiving contexts.
type srtpState struct {
	keys   SRTPKeys
	tx     *srtp.Context
	rxRTP  *srtp.Context
	rxRTCP *srtp.Context
	txHdr  rtp.Header  // scratch for EncryptRTP's parse of our header
	rtcpH  rtcp.Header // scratch for SRTCP
}

// replayWindow is the packets of the peer's stream remembered for
// replay protection (RFC 3711 section 3.3.2 asks for at least 64).
const replayWindow = 128

// newSRTPState builds the contexts for keys; PlainRTP keys give nil.
func newSRTPState(k SRTPKeys) (*srtpState, error) {
	if !k.On() {
		return nil, nil
	}
	st := &srtpState{keys: k}
	var err error
	if st.tx, err = k.context(k.local, ""); err != nil {
		return nil, err
	}
	if st.rxRTP, err = k.context(k.remote, k.mki); err != nil {
		return nil, err
	}
	if st.rxRTCP, err = k.context(k.remote, k.mki); err != nil {
		return nil, err
	}
	return st, nil
}

// rekey moves st to new keys, keeping what did not change: our sending
// context goes on as long as our key does (a new context on the same key
// would start its packet index again and reuse keystream).
func (st *srtpState) rekey(k SRTPKeys) (*srtpState, error) {
	if st == nil || !k.On() {
		return newSRTPState(k)
	}
	if k == st.keys {
		return st, nil
	}
	next := &srtpState{keys: k, tx: st.tx, rxRTP: st.rxRTP, rxRTCP: st.rxRTCP}
	var err error
	if k.Profile != st.keys.Profile || k.local != st.keys.local {
		if next.tx, err = k.context(k.local, ""); err != nil {
			return nil, err
		}
	}
	if k.Profile != st.keys.Profile || k.remote != st.keys.remote || k.mki != st.keys.mki {
		if next.rxRTP, err = k.context(k.remote, k.mki); err != nil {
			return nil, err
		}
		if next.rxRTCP, err = k.context(k.remote, k.mki); err != nil {
			return nil, err
		}
	}
	return next, nil
}

func (k SRTPKeys) context(keySalt, mki string) (*srtp.Context, error) {
	p := k.Profile.pion()
	keyLen, err := p.KeyLen()
	if err != nil {
		return nil, err
	}
	b := []byte(keySalt)
	opts := []srtp.ContextOption{srtp.SRTPReplayProtection(replayWindow), srtp.SRTCPReplayProtection(replayWindow)}
	if mki != "" {
		opts = append(opts, srtp.MasterKeyIndicator([]byte(mki)))
	}
	c, err := srtp.CreateContext(b[:keyLen], b[keyLen:], p, opts...)
	if err != nil {
		// pion's errors name the profile and lengths, never the key.
		return nil, fmt.Errorf("srtp: %s: %w", k.Profile, err)
	}
	return c, nil
}

// protectRTP encrypts the RTP packet buf[:n] in place and returns the
// SRTP packet (buf's array must have room for srtpOverhead more bytes).
// It allocates nothing.
func (st *srtpState) protectRTP(buf []byte, n int) ([]byte, error) {
	return st.tx.EncryptRTP(buf[:n], buf[:n], &st.txHdr)
}

// protectRTCP encrypts the compound RTCP packet pkt in place (its array
// must have room for srtcpOverhead more bytes).
func (st *srtpState) protectRTCP(pkt []byte) ([]byte, error) {
	return st.tx.EncryptRTCP(pkt, pkt, &st.rtcpH)
}

// unprotectRTP authenticates and decrypts an SRTP packet in place into
// the RTP packet it returns, parsing its header into h. It allocates
// nothing for a good packet.
func (st *srtpState) unprotectRTP(pkt []byte, h *rtp.Header) ([]byte, error) {
	return st.rxRTP.DecryptRTP(pkt, pkt, h)
}

// unprotectRTCP authenticates and decrypts an SRTCP packet in place.
func (st *srtpState) unprotectRTCP(pkt []byte, h *rtcp.Header) ([]byte, error) {
	return st.rxRTCP.DecryptRTCP(pkt, pkt, h)
}

// srtpFailure says which counter an unprotect error goes to: a packet
// that fails authentication (another key, or forged) or any other
// refusal (a replay, a packet too short to hold a tag).
func srtpFailure(err error) (unauthenticated bool) {
	return errors.Is(err, srtp.ErrFailedToVerifyAuthTag)
}

// LocalKey is our master key and salt, for the SDP that gives them to the
// peer (SDES). Never log it.
func (k SRTPKeys) LocalKey() []byte { return []byte(k.local) }
