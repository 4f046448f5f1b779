package ivr

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/audio/opus"
)

// opus in a codecs list is taken by a binary with libopus and refused,
// saying why, by one built without it: the server's list and a trunk's.
func TestOpusCodecNeedsABinaryWithOpus(t *testing.T) {
	server := strings.Replace(validBase, `rtp_ports: "10000-19999"`, `rtp_ports: "10000-19999", codecs: [opus, G722, PCMU]`, 1)
	trunk := strings.Replace(validBase, `uri: "sip:gw.example.net" }`, `uri: "sip:gw.example.net", codecs: [OPUS, PCMA] }`, 1)
	for name, yaml := range map[string]string{"server.media.codecs[0]": server, "trunks[pstn].codecs[0]": trunk} {
		c, err := Parse([]byte(yaml))
		require.NoError(t, err, name)
		probs := c.Validate()
		if !opus.Available {
			require.Len(t, probs, 1, name)
			assert.Contains(t, probs[0].String(), name+`: codec "`)
			assert.Contains(t, probs[0].String(), "built without Opus")
			continue
		}
		require.Empty(t, probs, name)
		if name == "server.media.codecs[0]" {
			assert.Equal(t, []audio.Codec{audio.Opus, audio.G722, audio.PCMU}, c.MediaSettings().Codecs)
		} else {
			assert.Equal(t, []audio.Codec{audio.Opus, audio.PCMA}, c.TrunkCodecs("pstn"))
		}
	}
}
