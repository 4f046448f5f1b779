package node

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/ivrd/ivrd/internal/testenv"
)

// The key editor offers a stream: its URL, track, format and whether
// the bot's audio plays are set in a form, the step is on the chart with
// its then (hang up by default), and Publish stores it as configuration.
func TestUIKeyToStream(t *testing.T) {
	testenv.SkipUnderRace(t, "a Chromium browser driving the web UI")
	if testing.Short() {
		t.Skip("starts a browser")
	}
	b := newBrowser(t)
	svc := startTeams(t)
	tok := firstToken(t, svc)
	signIn(b, "http://"+svc.ctl.ln.Addr().String()+"/ui/", tok)
	b.click(`#chart .node[data-id="menu:main"]`)

	b.choose("key 7 destination kind", "stream")
	b.typeInto(b.byLabel("key 7 destination stream url"), "wss://bot.example.com/media")
	b.choose("key 7 destination stream track", "both")
	b.click(b.byLabel("key 7 destination stream bidirectional"))
	b.waitFor("the stream on the chart", `[...document.querySelectorAll('#chart .node.k-stream')].some((n) =>
		n.textContent.includes('wss://bot.example.com/media') && n.textContent.includes('both ways'))`)
	b.click("#save") // Publish: the menu goes live
	b.waitFor("published", `document.getElementById('status').textContent.includes('Published menu main')`)

	var main struct {
		Keys map[string]json.RawMessage `json:"keys"`
	}
	apiJSON(t, svc, tok, "/api/v1/ivrs/main", &main)
	assert.JSONEq(t, `{"stream": {"url": "wss://bot.example.com/media", "track": "both", "bidirectional": true}}`, string(main.Keys["7"]))
	assert.Empty(t, b.consoleErrors())
}
