package call

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/sip"
)

// TestOutboundLegTakesItsTrunksSRTP: a bridge through a trunk offers SRTP
// as the trunk's srtp (else server.media.srtp) says.
func TestOutboundLegTakesItsTrunksSRTP(t *testing.T) {
	cfg, err := ivr.Parse([]byte(`
server: { media: { rtp_ports: "10000-19999", srtp: optional } }
trunks:
  - { name: secure, uri: "sips:gw.example.net", srtp: required }
  - { name: plain, uri: "sip:gw2.example.net", srtp: "off" }
  - { name: default, uri: "sip:gw3.example.net" }
`))
	require.NoError(t, err)
	r := &run{snap: &Snapshot{Config: cfg}}
	for trunk, want := range map[string]sip.SRTPMode{"secure": sip.SRTPRequired, "plain": sip.SRTPOff, "default": sip.SRTPOptional} {
		out, err := r.outbound(&ivr.Destination{Kind: ivr.KindExternal, Target: "5551234", Trunk: trunk})
		require.NoError(t, err)
		assert.Equal(t, want, out.SRTP, trunk)
	}
}
