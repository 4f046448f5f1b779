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

// TestSRTPPolicyFollowsTheConfiguration: the server's mode and the
// insecure-signalling switch come from server.media; a trunk's own srtp
// is read from the configuration in force when the call comes (a reload
// applies), else the server's mode holds.
func TestSRTPPolicyFollowsTheConfiguration(t *testing.T) {
	parse := func(trunkMode string) *Snapshot {
		cfg, err := ivr.Parse([]byte(`
server: { media: { rtp_ports: "10000-19999", srtp: optional, srtp_insecure_signalling: true } }
trunks: [{ name: carrier, uri: "sip:gw.example.net", srtp: ` + trunkMode + ` }, { name: other, uri: "sip:gw2.example.net" }]
`))
		require.NoError(t, err)
		return &Snapshot{Config: cfg}
	}
	current := parse("required")
	p := SRTPPolicy(current.Config.MediaSettings(), func() *Snapshot { return current })
	assert.Equal(t, sip.SRTPOptional, p.Mode)
	assert.True(t, p.InsecureSignalling)
	assert.Equal(t, sip.SRTPRequired, p.ModeFor("carrier"))
	assert.Equal(t, sip.SRTPOptional, p.ModeFor("other"), "no srtp of its own: the server's")
	assert.Equal(t, sip.SRTPOptional, p.ModeFor("unknown"))
	current = parse(`"off"`)
	assert.Equal(t, sip.SRTPOff, p.ModeFor("carrier"), "a reloaded trunk's mode applies to the next call")
}
