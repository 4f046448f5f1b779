package node

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The start log says how many media pacers run and on how many Go
// processors: the pacer count ivrd serve's processor plan chose
// (Options.Pacers) reaches the engine.
func TestStartLogSaysThePacers(t *testing.T) {
	for _, pacers := range []int{1, 3} {
		_, logs := startLogged(t, writeConfig(t, `
server:
  sip: { listen: ["udp://127.0.0.1:0"] }
  media: { rtp_ports: "RTP_RANGE" }
ivrs:
  - id: m
    extensions: ["300"]
    prompt: goodbye
`), func(o *Options) { o.Pacers = pacers })
		assert.Contains(t, logs.String(), fmt.Sprintf("msg=\"media pacers\" pacers=%d ", pacers), "Options.Pacers=%d", pacers)
	}
}
