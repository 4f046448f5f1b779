package node

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/emiago/sipgo/sip"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/examples"
	"github.com/ivrd/ivrd/internal/testenv"
	"github.com/ivrd/ivrd/node/nodetest"
)

// startExample serves the bundled example (examples/main.yaml) as `make
// run` does, on free loopback ports.
func startExample(t *testing.T) *Node {
	t.Helper()
	text := strings.NewReplacer(
		"udp://127.0.0.1:5060", "udp://127.0.0.1:0", "tcp://127.0.0.1:5060", "tcp://127.0.0.1:0",
		`"20000-20999"`, `"`+nodetest.RTPRange(t)+`"`,
	).Replace(string(examples.Main))
	path := filepath.Join(t.TempDir(), "main.yaml")
	require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	return startConfig(t, path)
}

// The acceptance test of the web UI (issue 14): log in, see the example's
// graph, retarget a key and save, hear the change on a real SIP call, see
// a validation problem on its node and a conflicting save refused, run a
// simulation and see its path, and no console error on the way.
func TestUIEndToEnd(t *testing.T) {
	testenv.SkipUnderRace(t, "a Chromium browser driving the web UI")
	t.Parallel()
	if testing.Short() {
		t.Skip("starts a browser")
	}
	b := newBrowser(t)
	svc := startExample(t)
	tok := firstToken(t, svc)
	url := "http://" + svc.ctl.ln.Addr().String() + "/ui/"

	// Without a token only the login form is there.
	b.run("open the UI", chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS("#login-form")))
	var appHidden bool
	b.eval(`document.getElementById('app').hidden && !document.querySelector('#chart .node')`, &appHidden)
	require.True(t, appHidden, "nothing but the login form before signing in")

	// A wrong token is refused on the page.
	b.typeInto("#token", "not-a-token")
	b.click("#login-btn")
	b.waitFor("the refusal", `document.getElementById('login-error').textContent.includes('not valid')`)

	// Log in: the bundled example's graph.
	b.typeInto("#token", tok)
	b.click("#login-btn")
	b.run("sign in", chromedp.WaitVisible(chromedp.CSS(`#chart .node[data-id="menu:main"]`)))
	var nodes, labels []string
	b.eval(`[...document.querySelectorAll('#chart .node')].map(n => n.dataset.id)`, &nodes)
	b.eval(`[...document.querySelectorAll('#chart .elabel')].map(l => l.dataset.path + '=' + l.querySelector('text').textContent)`, &labels)
	for _, n := range []string{"entry", "menu:main", "menu:support", "d:ivrs[main].keys.1", "d:ivrs[main].keys.#", "d:ivrs[support].keys.2"} {
		assert.Contains(t, nodes, n)
	}
	for _, l := range []string{"ivrs[main].keys.1=1", "ivrs[main].keys.2=2", "ivrs[main].keys.7=7", "ivrs[main].keys.#=#",
		"ivrs[support].keys.8=8", "ivrs[main].on_failure=✗ 3 invalid", "ivrs[main].on_failure=… 3 no key"} {
		assert.Contains(t, labels, l)
	}
	assert.Contains(t, b.text(`#chart .node[data-id="d:ivrs[main].keys.1"]`), "sip:sales@127.0.0.1:5070")
	// Key 2 leads to the support menu: its edge ends there.
	var to string
	b.eval(`(() => { const e = document.querySelector('#chart .edge[data-path="ivrs[main].keys.2"]'); return e && e.dataset.to; })()`, &to)
	assert.Equal(t, "menu:support", to)
	b.screenshot("graph.png", true)

	// Retarget key 1 by clicking its label and typing the new URI; save.
	b.click(`#chart .elabel[data-path="ivrs[main].keys.1"]`)
	b.waitFor("the menu form", `document.querySelector('#panel h2')?.textContent === 'Menu main'`)
	b.typeInto("#k-0-target", "sip:newsales@127.0.0.1:5070")
	b.waitFor("the chart to follow the draft", `document.querySelector('#chart .node[data-id="d:ivrs[main].keys.1"]').textContent.includes('newsales')`)
	b.click("#save")
	b.waitFor("the save", `document.getElementById('status').textContent.startsWith('Published menu main (version 2)')`)

	// A real call: key 1 now REFERs to the new URI.
	waitConfig(t, svc, func(s *Node) bool {
		return s.snap.Load().Config.IVRByID("main").Keys["1"].Target == "sip:newsales@127.0.0.1:5070"
	})
	c := newCaller(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	call, err := c.Call(ctx, svc.sip.Addr("udp"), "100")
	require.NoError(t, err)
	waitPrompt(t, c) // the menu listens from its prompt on, as a caller would hear
	var seq uint16
	sendEvent(t, c, call.Media, 101, '1', &seq, 4000)
	ref, err := c.WaitRequest(sip.REFER, 5*time.Second)
	require.NoError(t, err)
	assert.Equal(t, "<sip:newsales@127.0.0.1:5070>", ref.GetHeader("Refer-To").Value())

	// A timeout out of range: refused with 422, shown on the menu's node.
	b.click(`#chart .node[data-id="menu:main"]`)
	b.typeInto("#m-response_timeout", "30s")
	b.click("#save")
	b.waitFor("the problem on the node", `document.querySelector('#chart .node[data-id="menu:main"]').classList.contains('problem')`)
	assert.Contains(t, b.text(`#chart .node[data-id="menu:main"] .badges`), "⚠ 1")
	assert.Contains(t, b.text("#status"), "ivrs[main].response_timeout")
	assert.Contains(t, b.text("#panel .problems"), "out of range")
	code, body, _ := apiCall(t, svc, tok, "GET", "/api/v1/ivrs/main", "", nil)
	require.Equal(t, 200, code)
	assert.NotContains(t, string(body), "30s", "nothing was applied")
	b.screenshot("problem.png", false)
	b.click("#revert")

	// A key pointed at a missing extension: the problem is on its edge.
	b.run("choose extension for key 2", chromedp.SetValue(chromedp.CSS("#k-1-kind"), "extension"))
	b.eval(`document.getElementById('k-1-kind').dispatchEvent(new Event('change'))`, new(bool))
	b.typeInto("#k-1-target", "999")
	b.click("#save")
	b.waitFor("the problem on the edge", `document.querySelector('#chart .elabel[data-path="ivrs[main].keys.2"]').classList.contains('problem')`)
	assert.Contains(t, b.text("#status"), `unknown extension "999"`)
	b.click("#revert")

	// Someone else changes the menu meanwhile: the UI's save is refused
	// (412) and says so; the other change stays.
	code, body, _ = apiCall(t, svc, tok, "PATCH", "/api/v1/ivrs/main", "application/json", []byte(`{"name":"Changed elsewhere"}`))
	require.Equal(t, 200, code, string(body))
	b.typeInto("#m-prompt_repeat", "2")
	b.click("#save")
	b.waitFor("the conflict", `!!document.getElementById('conflict')`)
	assert.Contains(t, b.text("#conflict"), "someone else changed menu main")
	code, body, _ = apiCall(t, svc, tok, "GET", "/api/v1/ivrs/main", "", nil)
	require.Equal(t, 200, code)
	assert.Contains(t, string(body), "Changed elsewhere")
	assert.NotContains(t, string(body), `"prompt_repeat": 2`)
	b.click("#load-theirs")
	b.waitFor("their version", `document.getElementById('m-name').value === 'Changed elsewhere'`)

	// Add a key, then remove it; point key 7 at the support menu by
	// clicking "pick" and then the menu on the chart; discard.
	b.click("#add-key")
	b.waitFor("the new key's edge", `!!document.querySelector('#chart .elabel[data-path="ivrs[main].keys.3"]')`)
	b.click(`#panel button[aria-label="Remove key 3"]`)
	b.waitFor("the key gone", `!document.querySelector('#chart .elabel[data-path="ivrs[main].keys.3"]')`)
	b.click(`#panel button[aria-label="Pick on the chart the menu key 7 goes to"]`)
	b.click(`#chart .node[data-id="menu:support"]`)
	b.waitFor("key 7 retargeted", `document.querySelector('#chart .edge[data-path="ivrs[main].keys.7"]')?.dataset.to === 'menu:support'`)
	b.click("#revert")
	b.waitFor("the draft dropped", `document.querySelector('#chart .edge[data-path="ivrs[main].keys.7"]')?.dataset.to === 'd:ivrs[main].keys.7'`)

	// Keyboard: from the canvas, Tab goes to the call's entry, then to the
	// first menu; Enter on a node opens it.
	b.run("tab into the chart", chromedp.Focus(chromedp.CSS("#chart")), chromedp.KeyEvent(kb.Tab))
	var focused string
	b.eval(`document.activeElement.dataset.id`, &focused)
	assert.Equal(t, "entry", focused)
	b.run("tab on", chromedp.KeyEvent(kb.Tab))
	b.eval(`document.activeElement.dataset.id`, &focused)
	assert.Equal(t, "menu:main", focused)
	b.run("space opens it", chromedp.KeyEvent(" "))
	b.waitFor("the main form", `document.querySelector('#panel h2')?.textContent === 'Menu main'`)
	b.run("focus support", chromedp.Focus(chromedp.CSS(`#chart .node[data-id="menu:support"]`)), chromedp.KeyEvent(kb.Enter))
	b.waitFor("the support form", `document.querySelector('#panel h2')?.textContent === 'Menu support'`)

	// Simulate: 2 then 1 goes to support and hands off to tech.
	b.click("#btn-sim")
	b.typeInto("#sim-input", "2,1")
	b.click("#sim-run")
	b.waitFor("the simulation to finish", `document.getElementById('sim').classList.contains('sim-done')`)
	var lit []string
	b.eval(`[...document.querySelectorAll('#chart .visited')].map(e => e.dataset.id ? (e.classList.contains('edge') ? 'edge ' + e.dataset.path : e.dataset.id) : 'label ' + e.dataset.path)`, &lit)
	for _, want := range []string{"entry", "menu:main", "menu:support", "d:ivrs[support].keys.1", "edge ivrs[main].keys.2", "edge ivrs[support].keys.1"} {
		assert.Contains(t, lit, want)
	}
	assert.NotContains(t, lit, "d:ivrs[main].keys.1", "a path not taken stays dark")
	var current []string
	b.eval(`[...document.querySelectorAll('#chart .node.hl')].map(e => e.dataset.id)`, &current)
	assert.Equal(t, []string{"d:ivrs[support].keys.1"}, current, "the last step is the hand-off")
	assert.Contains(t, b.text("#sim-trace"), "refer → sip:tech@127.0.0.1:5070")
	b.screenshot("simulation.png", true)

	// The live overlay on a server without the endpoints: a note.
	b.click("#btn-live")
	b.waitFor("the live note", `document.getElementById('live-note').textContent !== ''`)
	t.Logf("live overlay: %s", b.text("#live-note"))
	b.click("#btn-live")

	// A read-only token sees the graph and no edit controls.
	rtok, _, err := svc.ctl.st.CreateToken(context.Background(), "viewer", "read")
	require.NoError(t, err)
	// The chart of the session signed out stays in the page until the new
	// session has loaded its graph and drawn it anew (and reset the
	// panel): mark it, and click only on the new one.
	var marked bool
	b.eval(`(document.querySelector('#chart .viewport').dataset.old = '1') === '1'`, &marked)
	require.True(t, marked)
	b.click("#btn-logout")
	b.typeInto("#token", rtok)
	b.click("#login-btn")
	const readOnlyMain = `#chart .viewport:not([data-old]) .node[data-id="menu:main"]`
	b.run("sign in read-only", chromedp.WaitVisible(chromedp.CSS(readOnlyMain)))
	b.click(readOnlyMain)
	b.waitFor("the read-only form", `document.querySelector('#panel h2')?.textContent === 'Menu main'`)
	var editable bool
	b.eval(`[...document.querySelectorAll('#save, #add-key, .edit-only')].some(e => e.offsetParent !== null) ||
		[...document.querySelectorAll('#panel input, #panel select')].some(e => !e.disabled)`, &editable)
	assert.False(t, editable, "no edit control for a read token")

	assert.Empty(t, b.consoleErrors(), "the browser console")
}
