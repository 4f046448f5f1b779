package siptest

import (
	"crypto/tls"

	"github.com/emiago/sipgo"
)

// NewTLSCaller is a caller over SIP/TLS that checks the server's
// certificate as cfg says (RootCAs: the CA that signed it). It listens
// for no connection: its INVITE opens one to the server, and the
// server's requests in the call (BYE, REFER) come back over it, as they
// do to a phone behind NAT. Its Contact names no port (the server must
// not need one).
func NewTLSCaller(cfg *tls.Config) (*Caller, error) {
	return newCaller("tls", sipgo.WithUserAgenTLSConfig(cfg))
}

// noListener is the TLS caller's nothing to close.
type noListener struct{}

func (noListener) Close() error { return nil }
