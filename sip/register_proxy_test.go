package sip

import (
	"net/netip"
	"testing"

	"github.com/emiago/sipgo/sip"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/media"
)

// TestRegisterLockoutBehindAProxyCountsThePhone: REGISTERs relayed by a
// configured proxy (a source admitted as a trunk, as Kamailio is in a
// cluster) are counted against the phone's address the proxy names in
// X-Ivrd-Source: one phone guessing locks itself out, not the phone
// behind the same proxy that has the password. From a source that is no
// proxy the header is ignored: anyone could name any address in it.
func TestRegisterLockoutBehindAProxyCountsThePhone(t *testing.T) {
	t.Parallel()
	for _, trusted := range []bool{true, false} {
		name := "from a configured proxy"
		if !trusted {
			name = "from anywhere else"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := newRigWith(t, func(c *Config, _ *media.EngineConfig) {
				c.Credentials = func(ext string) (string, bool) { return "alice-secret", ext == "1001" }
				if trusted {
					c.Admit = func(a netip.Addr) (string, bool) {
						if a == netip.MustParseAddr("127.0.0.1") {
							return "kamailio", true
						}
						return "", true
					}
				}
			}, nil)
			_, cl := registrarRig(t, nil) // its client only
			guesser := sip.NewHeader(SourceHeader, "192.0.2.1")
			owner := sip.NewHeader(SourceHeader, "192.0.2.2")
			for range maxFailures {
				res := register(t, r, cl, "1001", "wrong", "<sip:alice@127.0.0.1:5081>", 60, guesser)
				require.Equal(t, 403, res.StatusCode)
			}
			res := register(t, r, cl, "1001", "alice-secret", "<sip:alice@127.0.0.1:5081>", 60, guesser)
			assert.Equal(t, 403, res.StatusCode, "the guesser is locked out, even with the password")
			res = register(t, r, cl, "1001", "alice-secret", "<sip:alice@127.0.0.1:5082>", 60, owner)
			if trusted {
				assert.Equal(t, 200, res.StatusCode, "the phone with the password, behind the same proxy, is not")
			} else {
				assert.Equal(t, 403, res.StatusCode, "the header is not believed: both are the one address locked out")
			}
		})
	}
}
