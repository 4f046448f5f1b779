package sip

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"net/netip"
	"time"
)

// nonceState is what a nonce presented in an Authorization header turns
// out to be.
type nonceState int

const (
	// nonceBad: not one of ours, or issued to another address. It earns a
	// fresh challenge, nothing else.
	nonceBad nonceState = iota
	// nonceFresh: ours, issued to this address, within its life.
	nonceFresh
	// nonceStale: ours and for this address, but older than its life; the
	// client may retry with a new one without asking its user (stale=true).
	nonceStale
)

// nonceSkew tolerates a nonce stamped slightly in the future: the clock
// may step back between issue and use.
const nonceSkew = 5 * time.Second

// nonceSigner issues and checks digest nonces without keeping any: a nonce
// is its issue time and an HMAC of that time and the source address under
// a key that lives as long as the process. A flood of challenges therefore
// costs no memory, and a nonce replayed from another address is worthless.
type nonceSigner struct {
	key  [32]byte
	life time.Duration
}

func newNonceSigner(life time.Duration) *nonceSigner {
	n := &nonceSigner{life: life}
	if _, err := rand.Read(n.key[:]); err != nil {
		// crypto/rand does not fail on the systems Go supports; a fixed
		// key would make nonces forgeable, so refuse to run instead.
		panic("sip: no randomness for the nonce key: " + err.Error())
	}
	return n
}

// nonceLen is the length of a nonce: 16 hex digits of time, 32 of MAC.
const nonceLen = 16 + 32

func (n *nonceSigner) mac(stamp uint64, src netip.Addr) []byte {
	h := hmac.New(sha256.New, n.key[:])
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], stamp)
	h.Write(b[:])
	a := src.Unmap().As16()
	h.Write(a[:])
	return h.Sum(nil)[:16]
}

// issue makes a nonce for src at now.
func (n *nonceSigner) issue(src netip.Addr, now time.Time) string {
	stamp := uint64(now.Unix())
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], stamp)
	return hex.EncodeToString(b[:]) + hex.EncodeToString(n.mac(stamp, src))
}

// check says whether nonce is one issued to src and still fresh at now.
func (n *nonceSigner) check(nonce string, src netip.Addr, now time.Time) nonceState {
	if len(nonce) != nonceLen {
		return nonceBad
	}
	raw, err := hex.DecodeString(nonce)
	if err != nil {
		return nonceBad
	}
	stamp := binary.BigEndian.Uint64(raw[:8])
	if !hmac.Equal(raw[8:], n.mac(stamp, src)) {
		return nonceBad
	}
	issued := time.Unix(int64(stamp), 0)
	switch {
	case issued.After(now.Add(nonceSkew)):
		return nonceBad // a MAC we made, but never for a time still to come
	case now.Sub(issued) > n.life:
		return nonceStale
	}
	return nonceFresh
}
