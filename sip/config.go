package sip

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/ivrd/ivrd/audio"
)

// Config is what the signalling layer needs to serve.
type Config struct {
	// Listen holds URIs like "udp://127.0.0.1:5060", "tcp://0.0.0.0:5060",
	// "tls://0.0.0.0:5061" (needs TLS), "ws://0.0.0.0:8088" and
	// "wss://0.0.0.0:8089" (SIP over WebSocket, RFC 7118; wss needs TLS).
	// Port 0 picks an ephemeral port (tests).
	Listen []string
	// ExternalAddr is advertised in Contact and SDP; empty: the listen
	// address, or the address the request arrived on when that is a wildcard.
	ExternalAddr string
	UserAgent    string
	Codecs       []audio.Codec // preference order
	// SRTP says which calls' media is encrypted and whether SDES keys may
	// go over unencrypted SIP (srtp.go).
	SRTP SRTPPolicy
	// TrunkCodecs, when set, gives a trunk's own codec preference (its
	// configuration's codecs list) for calls admitted as that trunk; nil
	// or an empty list: Codecs.
	TrunkCodecs func(trunk string) []audio.Codec
	// MinSE is the smallest session interval we accept (RFC 4028: >= 90 s).
	MinSE time.Duration
	// RingTime, when set, sends 180 Ringing and waits that long before
	// answering (lets a caller CANCEL, like Asterisk's Ringing()+Wait()).
	RingTime time.Duration
	// ReferTimeout bounds the wait for the final NOTIFY after a 202.
	ReferTimeout time.Duration
	// AckTimeout bounds the wait for the ACK of our 200 to INVITE; a call
	// never ACKed is released then (its RTP port freed). 0: 8 s.
	AckTimeout time.Duration
	// Admit decides whether a new call from source may come in, and as
	// which trunk ("" for none). nil admits everyone.
	Admit func(source netip.Addr) (trunk string, ok bool)
	// Credentials gives the password of an extension that may REGISTER.
	Credentials func(extension string) (password string, ok bool)
	// Bindings keeps the registrar's bindings: the store every node of a
	// cluster shares, so that a call on one node reaches a phone that
	// registered through another. nil: the server's own, in memory.
	Bindings Bindings
	// Node names this server in the bindings it makes (the node_id).
	Node string
	// Limits bound what one source address may take (limits.go).
	Limits Limits
	// TLS is the certificate and key of tls:// listeners (tls.go).
	TLS TLSFiles
	// WebSocket is how browser callers on ws:// and wss:// are let in
	// (websocket.go, browser.go).
	WebSocket WebSocketPolicy
	// Trunks are the trunks' TLS settings and outbound registrations at
	// start; SetTrunks replaces them on a reload (trunks.go).
	Trunks []Trunk
	// OnResponse, when set, hears every response ivrd sends (its
	// request's method and the status code), on the goroutine sending
	// it: it must not block. Metrics count them (sip/observe.go).
	OnResponse func(method string, code int)
	// Refuse, when set, says why the node takes no new call now (nil: it
	// does): asked for every INVITE, OPTIONS and call placed, it answers
	// them 503 with its error, as the overload guard does (a node whose
	// store is far behind: ErrBacklogged). It must be cheap and not block.
	Refuse func() error
}

func (c *Config) defaults() {
	if c.UserAgent == "" {
		c.UserAgent = "ivrd"
	}
	if len(c.Codecs) == 0 {
		c.Codecs = []audio.Codec{audio.PCMU, audio.PCMA}
	}
	if c.MinSE == 0 {
		c.MinSE = 90 * time.Second // RFC 4028's floor; tests may set less
	}
	if c.AckTimeout <= 0 {
		c.AckTimeout = 8 * time.Second
	}
	if c.ReferTimeout == 0 {
		c.ReferTimeout = 10 * time.Second
	}
	c.Limits.defaults()
}

// listenSpec is one parsed Listen entry.
type listenSpec struct {
	network string // "udp", "tcp", "tls", "ws" or "wss"
	addr    netip.AddrPort
}

func parseListen(s string) (listenSpec, error) {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return listenSpec{}, fmt.Errorf("listen %q: want udp://HOST:PORT, tcp://, tls://, ws:// or wss://HOST:PORT", s)
	}
	network := strings.ToLower(u.Scheme)
	switch network {
	case "udp", "tcp", "tls", "ws", "wss":
	default:
		return listenSpec{}, fmt.Errorf("listen %q: transport %q is not supported (udp, tcp, tls, ws, wss)", s, u.Scheme)
	}
	ap, err := netip.ParseAddrPort(u.Host)
	if err != nil {
		return listenSpec{}, fmt.Errorf("listen %q: %w", s, err)
	}
	return listenSpec{network: network, addr: ap}, nil
}
