package node

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/internal/testenv"
)

// Issue 25, revisions: a draft saved in the editor stays off the calls
// (and survives a reload, marked on the chart) until Publish; the
// revisions list says who changed what; rolling back publishes an older
// revision.
func TestUIDraftPublishRollback(t *testing.T) {
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
	original := svc.snap.Load().Config.IVRByID("main").Name

	b.click(`#chart .node[data-id="menu:main"]`)
	b.typeInto("#m-name", "Draft desk")
	b.waitFor("Save draft enabled", `!document.querySelector('#save-draft').disabled`)
	b.click("#save-draft")
	b.waitFor("the draft saved", `document.getElementById('status').textContent.startsWith('Saved a draft of menu main')`)
	assert.Equal(t, original, svc.snap.Load().Config.IVRByID("main").Name, "calls do not get a draft")
	code, body, _ := apiCall(t, svc, tok, "GET", "/api/v1/ivrs/main", "", nil)
	require.Equal(t, 200, code)
	assert.NotContains(t, string(body), "Draft desk")

	// Reopened, the page shows the draft, marked on the chart and in the form.
	b.run("reload", chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(`#chart .node[data-id="menu:main"]`)))
	b.waitFor("the chart's draft mark", `!!document.querySelector('#chart .node[data-id="menu:main"] .b-draft')`)
	b.click(`#chart .node[data-id="menu:main"]`)
	b.waitFor("the form of the draft", `document.querySelector('#m-name').value === 'Draft desk'`)
	assert.Contains(t, b.text("#draft-badge"), "Draft differs from live")
	b.screenshot("draft.png", true)

	// Publish: live now.
	b.click("#save")
	b.waitFor("published", `document.getElementById('status').textContent.startsWith('Published menu main (version 2)')`)
	waitConfig(t, svc, func(s *Node) bool { return s.snap.Load().Config.IVRByID("main").Name == "Draft desk" })
	b.waitFor("the draft mark gone", `!document.querySelector('#chart .node[data-id="menu:main"] .b-draft') && !document.getElementById('draft-badge')`)

	// The revisions: newest first, who and what changed; roll back to 1.
	b.click("#btn-revisions")
	b.waitFor("the revisions", `document.querySelectorAll('#revision-list li').length === 2`)
	var first struct{ N, Text string }
	b.eval(`(() => { const li = document.querySelector('#revision-list li'); return {N: li.dataset.n, Text: li.textContent}; })()`, &first)
	assert.Equal(t, "2", first.N)
	assert.Contains(t, first.Text, "live")
	assert.Contains(t, first.Text, "name changed")
	assert.Contains(t, first.Text, "draft by admin")
	b.click(`#revision-list button[aria-label="Compare with live: revision 1"]`)
	b.waitFor("the comparison", `(document.querySelector('#revision-list li[data-n="1"]').textContent || '').includes('From the live revision 2 to this one: name changed')`)
	b.screenshot("revisions.png", true)
	b.click(`#revision-list button[aria-label="Roll back to revision 1"]`)
	b.waitFor("rolled back", `document.getElementById('status').textContent.startsWith('Rolled menu main back to revision 1')`)
	waitConfig(t, svc, func(s *Node) bool { return s.snap.Load().Config.IVRByID("main").Name == original })
	b.waitFor("the new revision", `document.querySelectorAll('#revision-list li').length === 3`)
	assert.Contains(t, b.text("#revision-list li:first-child"), "rolled back to revision 1")
	assert.Empty(t, b.consoleErrors(), "the browser console")
}
