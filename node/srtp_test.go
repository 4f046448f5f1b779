package node

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The server's SRTP policy reaches the SIP layer: with server.media.srtp
// required, a served node refuses a caller that offers plain RTP with 488,
// naming why, and answers nothing in clear.
func TestServedNodeRequiresSRTP(t *testing.T) {
	t.Parallel()
	svc := startConfig(t, writeConfig(t, `
server:
  sip: { listen: ["udp://127.0.0.1:0"] }
  media: { rtp_ports: "RTP_RANGE", srtp: required, srtp_insecure_signalling: true }
prompts_dir: "PROMPTS"
ivrs:
  - { id: main, extensions: ["100"], prompt: beep, keys: { "#": hangup } }
`))
	c := newCaller(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := c.Call(ctx, svc.sip.Addr("udp"), "100")
	require.Error(t, err, "a plain RTP offer is not answered")
	assert.Contains(t, err.Error(), "488")
	assert.Zero(t, svc.sip.ActiveCalls())
}
