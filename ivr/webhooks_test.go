package ivr

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWebhookValidation(t *testing.T) {
	t.Parallel()
	cfg, err := Parse([]byte(`
server: { store_retention_days: -1 }
webhooks:
  - { url: "ftp://x", secret: "short", events: [call.ended, call.exploded] }
  - { url: "https://crm.example.com/ivrd", secret: "0123456789abcdef" }
  - { url: "https://crm.example.com/ivrd", secret: "0123456789abcdef" }
  - { url: "http://crm.example.com/ivrd", secret: "0123456789abcdef", events: [digit] }
ivrs:
  - { id: main, extensions: ["100"], prompt: main-choices, keys: { "1": hangup } }
`))
	require.NoError(t, err)
	var msgs []string
	for _, p := range cfg.Validate() {
		msgs = append(msgs, p.String())
	}
	all := strings.Join(msgs, "\n")
	assert.Contains(t, all, "server.store_retention_days")
	assert.Contains(t, all, "webhooks[0].url")
	assert.Contains(t, all, "webhooks[0].secret")
	assert.Contains(t, all, `webhooks[0].events[1]: unknown event "call.exploded"`)
	assert.Contains(t, all, "webhooks[2].url")
	assert.Contains(t, all, "webhooks[3].url: warning")
	assert.NotContains(t, all, "webhooks[1]")
	assert.True(t, cfg.Webhooks[3].Wants("digit"))
	assert.False(t, cfg.Webhooks[3].Wants("call.ended"))
	assert.True(t, cfg.Webhooks[1].Wants("call.ended"))
}
