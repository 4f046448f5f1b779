package ivr

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRestartNeeded(t *testing.T) {
	t.Parallel()
	base := `
server:
  sip: { listen: ["udp://127.0.0.1:5060"] }
  media: { rtp_ports: "10000-10999", codecs: [PCMU, PCMA] }
ivrs:
  - { id: main, extensions: ["100"], prompt: menu }
`
	parse := func(y string) *Config {
		c, err := Parse([]byte(y))
		require.NoError(t, err)
		return c
	}
	old := parse(base)
	assert.Empty(t, RestartNeeded(old, parse(base)))
	// Menus, extensions, trunks: a reload takes them.
	assert.Empty(t, RestartNeeded(old, parse(strings.Replace(base, `["100"]`, `["100", "200"]`, 1)+
		"trunks: [{ name: pstn, uri: \"sip:gw\" }]\nextensions: [{ number: \"1001\" }]\n")))
	// Defaults written out are no change; case in codec names neither.
	assert.Empty(t, RestartNeeded(old, parse(strings.Replace(base, "codecs: [PCMU, PCMA] }", "codecs: [pcmu, PCMA], dtmf: [rfc4733, inband, info], inband: auto }", 1))))

	changed := parse(strings.NewReplacer(
		"udp://127.0.0.1:5060", "udp://127.0.0.1:5080",
		"10000-10999", "20000-20999",
		"codecs: [PCMU, PCMA]", "codecs: [PCMA, PCMU], dtmf: [info]",
	).Replace(base) + "  \n")
	changed.Server.API.Listen = "127.0.0.1:9090"
	changed.Server.Store = "postgres://db/ivrd"
	assert.Equal(t, []string{"server.sip.listen", "server.media.rtp_ports", "server.media.codecs", "server.media.dtmf",
		"server.api.listen", "server.store"}, RestartNeeded(old, changed))
}
