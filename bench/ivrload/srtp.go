package ivrload

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/pion/srtp/v3"
)

// SRTP calls (--srtp): each call offers RTP/SAVP with one SDES key
// (RFC 4568) of the chosen suite, protects what it sends and checks what
// it gets with the key of the target's answer. Encryption and decryption
// are in place in the worker's buffers: nothing is allocated per packet.

// srtpSuite is one suite --srtp can name.
type srtpSuite struct {
	sdpName string
	profile srtp.ProtectionProfile
	keyLen  int // master key + salt
}

// srtpOverhead is the most a protected RTP packet grows by (GCM's tag).
const srtpOverhead = 16

// srtpSuites are --srtp's values.
var srtpSuites = map[string]srtpSuite{
	"aes_cm_80": {"AES_CM_128_HMAC_SHA1_80", srtp.ProtectionProfileAes128CmHmacSha1_80, 30},
	"aes_cm_32": {"AES_CM_128_HMAC_SHA1_32", srtp.ProtectionProfileAes128CmHmacSha1_32, 30},
	"gcm":       {"AEAD_AES_128_GCM", srtp.ProtectionProfileAeadAes128Gcm, 28},
}

// callKeys are one call's SRTP: our key (offered) and the contexts made
// once the answer gave the target's.
type callKeys struct {
	suite srtpSuite
	ours  []byte
	tx    *srtp.Context
	rx    *srtp.Context
}

func newCallKeys(name string) (*callKeys, error) {
	s, ok := srtpSuites[name]
	if !ok {
		return nil, fmt.Errorf("ivrload: srtp %q: want aes_cm_80, aes_cm_32 or gcm", name)
	}
	k := &callKeys{suite: s, ours: make([]byte, s.keyLen)}
	if _, err := rand.Read(k.ours); err != nil {
		return nil, err
	}
	return k, nil
}

// cryptoAttr is our a=crypto line (nil keys: none).
func (k *callKeys) cryptoAttr() string {
	if k == nil {
		return ""
	}
	return fmt.Sprintf("a=crypto:1 %s inline:%s\r\n", k.suite.sdpName, base64.StdEncoding.EncodeToString(k.ours))
}

// accept reads the answer's a=crypto value ("1 SUITE inline:KEY[|...]")
// and makes the call's contexts.
func (k *callKeys) accept(crypto string) error {
	f := strings.Fields(crypto)
	if len(f) < 3 || f[0] != "1" || f[1] != k.suite.sdpName {
		return fmt.Errorf("sdp: the answer's a=crypto is not tag 1 %s", k.suite.sdpName)
	}
	b64, _, _ := strings.Cut(strings.TrimPrefix(f[2], "inline:"), "|")
	enc := base64.StdEncoding
	if !strings.HasSuffix(b64, "=") {
		enc = base64.RawStdEncoding
	}
	theirs, err := enc.DecodeString(b64)
	if err != nil || len(theirs) != k.suite.keyLen {
		return fmt.Errorf("sdp: the answer's %s key is not %d bytes of base64", k.suite.sdpName, k.suite.keyLen)
	}
	n := 16 // AES-128 master key; the rest is salt
	if k.tx, err = srtp.CreateContext(k.ours[:n], k.ours[n:], k.suite.profile); err != nil {
		return err
	}
	k.rx, err = srtp.CreateContext(theirs[:n], theirs[n:], k.suite.profile, srtp.SRTPReplayProtection(128))
	return err
}
