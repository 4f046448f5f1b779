package node

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/internal/testenv"
)

// center is the middle of the first element sel matches, in page pixels.
func (b *browser) center(sel string) (x, y float64) {
	b.t.Helper()
	var c struct{ X, Y float64 }
	b.eval(`(() => { const r = document.querySelector(`+jsString(sel)+`).getBoundingClientRect(); return {X: r.x + r.width / 2, Y: r.y + r.height / 2}; })()`, &c)
	return c.X, c.Y
}

// Issue 25, connections and layout by hand: drag a key's bubble onto a
// menu to send the key there; drag a box and the layout is saved with
// the IVR (a reload shows it), until "Auto layout" forgets it.
func TestUIDragToConnectAndSavedLayout(t *testing.T) {
	testenv.SkipUnderRace(t, "a Chromium browser driving the web UI")
	t.Parallel()
	if testing.Short() {
		t.Skip("starts a browser")
	}
	b := newBrowser(t)
	svc := startExample(t)
	tok := firstToken(t, svc)
	url := "http://" + svc.ctl.ln.Addr().String() + "/ui/"
	signIn(b, url, tok)

	// Key 1 of main (a SIP URI today) dragged onto the support menu.
	const key1 = `#chart .elabel[data-path="ivrs[main].keys.1"]`
	const support = `#chart .node[data-id="menu:support"]`
	b.run("drag key 1 onto support", chromedp.DragAndDrop(chromedp.CSS(key1), chromedp.CSS(support)))
	b.waitFor("key 1 goes to support", `document.querySelector('#chart .edge[data-path="ivrs[main].keys.1"]')?.dataset.to === 'menu:support'`)
	assert.Contains(t, b.text("#status"), "Key 1 of main now goes to menu support")
	b.waitFor("Publish enabled", `!document.querySelector('#save').disabled`)
	b.click("#save")
	b.waitFor("published", `document.getElementById('status').textContent.startsWith('Published menu main')`)
	waitConfig(t, svc, func(s *Node) bool { return s.snap.Load().Config.IVRByID("main").Keys["1"].Target == "support" })

	// Move the support box down and right: the layout is saved.
	var before string
	b.eval(`document.querySelector(`+jsString(support)+`).getAttribute('transform')`, &before)
	x, y := b.center(support)
	b.run("drag the support box", chromedp.DragAndDropXY(x, y, x+140, y+90))
	b.waitFor("the layout saved", `document.getElementById('status').textContent.startsWith('Layout of main saved')`)
	var moved string
	b.eval(`document.querySelector(`+jsString(support)+`).getAttribute('transform')`, &moved)
	require.NotEqual(t, before, moved, "the box moved")
	code, body, _ := apiCall(t, svc, tok, "GET", "/api/v1/ivrs/main/layout", "", nil)
	require.Equal(t, 200, code)
	assert.Contains(t, string(body), `"menu:support"`)
	// The edge into it follows the box: it ends on the box's border.
	var ends bool
	b.eval(`(() => { const box = document.querySelector(`+jsString(support)+` + ' .box').getBoundingClientRect();
		const line = document.querySelector('#chart .edge[data-path="ivrs[main].keys.2"] .line');
		const len = line.getTotalLength(); const p = line.getPointAtLength(len);
		const m = line.getScreenCTM(); const sx = p.x * m.a + m.e, sy = p.y * m.d + m.f;
		return sx >= box.left - 3 && sx <= box.right + 3 && sy >= box.top - 3 && sy <= box.bottom + 3; })()`, &ends)
	assert.True(t, ends, "key 2's edge ends at the moved box")

	// Reopened: the same place.
	b.run("reload", chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(support)))
	var again string
	b.eval(`document.querySelector(`+jsString(support)+`).getAttribute('transform')`, &again)
	assert.Equal(t, moved, again, "the saved layout is the one shown")

	// Auto layout: back where dagre puts it, and forgotten by the server.
	b.click("#btn-auto-layout")
	b.waitFor("laid out again", `document.querySelector(`+jsString(support)+`).getAttribute('transform') === `+jsString(before))
	b.waitFor("the layout dropped", `document.getElementById('status').textContent.startsWith('Laid out automatically')`)
	_, body, _ = apiCall(t, svc, tok, "GET", "/api/v1/ivrs/main/layout", "", nil)
	assert.NotContains(t, string(body), `"menu:support"`)
	assert.Empty(t, b.consoleErrors(), "the browser console")
}
