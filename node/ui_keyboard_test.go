package node

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/internal/testenv"
)

// Issue 25, the chart from the keyboard: arrows move between connected
// boxes (not the view), the focus ring is visible and unlike selection,
// Enter opens, Delete removes a key and Ctrl+Z brings it back.
func TestUIKeyboardMovesBetweenBoxes(t *testing.T) {
	testenv.SkipUnderRace(t, "a Chromium browser driving the web UI")
	t.Parallel()
	if testing.Short() {
		t.Skip("starts a browser")
	}
	b := newBrowser(t)
	svc := startExample(t)
	tok := firstToken(t, svc)
	signIn(b, "http://"+svc.ctl.ln.Addr().String()+"/ui/", tok)

	var dir string
	b.eval(`document.querySelector('#chart .node[data-id="entry"]').getBoundingClientRect().y < document.querySelector('#chart .node[data-id="menu:main"]').getBoundingClientRect().y ? 'down' : 'right'`, &dir)
	forward, back := kb.ArrowDown, kb.ArrowUp
	if dir == "right" {
		forward, back = kb.ArrowRight, kb.ArrowLeft
	}
	focused := func() string {
		var id string
		b.eval(`document.activeElement.dataset ? document.activeElement.dataset.id || '' : ''`, &id)
		return id
	}
	var view string
	b.eval(`document.querySelector('#chart .viewport').getAttribute('transform')`, &view)
	b.run("tab to the entry", chromedp.Focus(chromedp.CSS("#chart")), chromedp.KeyEvent(kb.Tab))
	require.Equal(t, "entry", focused())
	b.run("arrow on", chromedp.KeyEvent(forward))
	require.Equal(t, "menu:main", focused(), "from the entry, the arrow reaches the menu it leads to")
	b.run("arrow on again", chromedp.KeyEvent(forward))
	child := focused()
	var linked bool
	b.eval(`[...document.querySelectorAll('#chart .edge')].some(e => e.dataset.to === `+jsString(child)+` && e.dataset.path.startsWith('ivrs[main].'))`, &linked)
	assert.True(t, linked, "the next box (%s) is one main leads to", child)
	var ring struct{ Dash, Selected string }
	b.eval(`({Dash: getComputedStyle(document.activeElement.querySelector('.box')).strokeDasharray})`, &ring)
	assert.NotEqual(t, "none", ring.Dash, "the keyboard focus is drawn (a dashed ring)")
	b.run("arrow back", chromedp.KeyEvent(back))
	require.Equal(t, "menu:main", focused())
	var after string
	b.eval(`document.querySelector('#chart .viewport').getAttribute('transform')`, &after)
	assert.Equal(t, view, after, "the arrows moved between boxes, not the view")

	b.run("Enter opens it", chromedp.KeyEvent(kb.Enter))
	b.waitFor("the menu's form", `document.querySelector('#panel h2')?.textContent === 'Menu main'`)
	b.run("focus elsewhere", chromedp.Focus(chromedp.CSS("#chart")))
	b.eval(`({Selected: getComputedStyle(document.querySelector('#chart .node.selected .box')).strokeDasharray})`, &ring)
	assert.Equal(t, "none", ring.Selected, "selection is drawn unlike focus")

	// Delete on key 7's bubble removes the key (an edit, not yet saved);
	// Ctrl+Z brings it back.
	const key7 = `#chart .elabel[data-path="ivrs[main].keys.7"]`
	b.run("focus key 7", chromedp.Focus(chromedp.CSS(key7)), chromedp.KeyEvent(kb.Delete))
	b.waitFor("key 7 removed", `!document.querySelector(`+jsString(key7)+`)`)
	assert.Contains(t, b.text("#status"), "Removed key 7 of main")
	assert.Equal(t, "menu:main", focused(), "the focus goes back to the menu")
	b.waitFor("Publish enabled", `!document.querySelector('#save').disabled`)
	b.run("undo", chromedp.KeyEvent("z", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	b.waitFor("key 7 back", `!!document.querySelector(`+jsString(key7)+`)`)
	assert.Empty(t, b.consoleErrors(), "the browser console")
}
