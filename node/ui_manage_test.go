package node

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/examples"
	"github.com/ivrd/ivrd/internal/testenv"
	"github.com/ivrd/ivrd/node/nodetest"
)

// startTeams is the example configuration with people, a ring group and
// a mailbox beside its two menus: what the templates and the key editor
// offer to send calls to.
func startTeams(t *testing.T) *Node {
	t.Helper()
	text := strings.NewReplacer(
		"udp://127.0.0.1:5060", "udp://127.0.0.1:0", "tcp://127.0.0.1:5060", "tcp://127.0.0.1:0",
		`"20000-20999"`, `"`+nodetest.RTPRange(t)+`"`,
	).Replace(string(examples.Main)) + `
extensions:
  - { number: "201", name: "Alice", password: "alice-secret" }
  - { number: "202", name: "Bob", password: "bob-secret" }
groups:
  - { id: sales, name: "Sales team", members: ["201", "202"], strategy: ringall, timeout: 30s }
voicemail_boxes:
  - { box: sales, pin: "2468" }
`
	path := filepath.Join(t.TempDir(), "teams.yaml")
	require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	return startConfig(t, path)
}

// clickText clicks the visible button (or label) whose text is text, as
// a user finds it.
func (b *browser) clickText(text string) {
	b.t.Helper()
	js := fmt.Sprintf(`(() => { const el = [...document.querySelectorAll('button, label')]
		.find((e) => e.offsetParent !== null && e.textContent.trim().startsWith(%s));
		if (!el) return false; el.click(); return true; })()`, jsString(text))
	b.waitFor("a visible "+text, js)
}

// byLabel is a CSS selector for the visible control a user finds by its
// label (a <label> or an aria-label).
func (b *browser) byLabel(label string) string {
	b.t.Helper()
	js := fmt.Sprintf(`(() => { const want = %s;
		const vis = (e) => e && e.offsetParent !== null;
		let el = [...document.querySelectorAll('[aria-label]')].find((e) => vis(e) && e.getAttribute('aria-label') === want);
		if (!el) { const l = [...document.querySelectorAll('label')].find((l) => vis(l) && l.textContent.trim() === want); el = l && (l.control || null); }
		if (!el) return '';
		if (!el.id) el.id = 'by-label-' + Math.random().toString(36).slice(2);
		return '#' + CSS.escape(el.id); })()`, jsString(label))
	b.waitFor("a control labelled "+label, js+` !== ''`)
	var sel string
	b.eval(js, &sel)
	return sel
}

// choose picks an option of the select labelled label, as a user does.
func (b *browser) choose(label, value string) {
	b.t.Helper()
	sel := b.byLabel(label)
	var ok bool
	b.eval(fmt.Sprintf(`(() => { const s = document.querySelector(%s);
		if (![...s.options].some((o) => o.value === %s)) return false;
		s.value = %s; s.dispatchEvent(new Event('change', {bubbles: true})); return true; })()`,
		jsString(sel), jsString(value), jsString(value)), &ok)
	require.True(b.t, ok, "%s offers %s", label, value)
}

// apiJSON is GET path decoded, checked against the OpenAPI document.
func apiJSON(t *testing.T, svc *Node, tok, path string, out any) int {
	t.Helper()
	status, body := checkedGet(t, svc, path, tok)
	if status == http.StatusOK {
		require.NoError(t, json.Unmarshal(body, out), "GET %s", path)
	}
	return status
}

type ivrList struct {
	Items []struct {
		ID         string                     `json:"id"`
		Schedule   string                     `json:"schedule"`
		Extensions []string                   `json:"extensions"`
		Keys       map[string]json.RawMessage `json:"keys"`
	} `json:"items"`
}

// Issue 25, point 2: an IVR made from a template in the page is on the
// chart and in the API; a menu copied under a new id keeps its keys and
// not its numbers; a menu still referenced is deleted only after the
// user chose what replaces the reference, and the referring key is
// updated.
func TestUICreateCopyDeleteMenus(t *testing.T) {
	testenv.SkipUnderRace(t, "a Chromium browser driving the web UI")
	if testing.Short() {
		t.Skip("starts a browser")
	}
	b := newBrowser(t)
	svc := startTeams(t)
	tok := firstToken(t, svc)
	signIn(b, "http://"+svc.ctl.ln.Addr().String()+"/ui/", tok)

	// A new IVR from the business-hours template.
	b.clickText("New IVR")
	b.clickText("Business hours with voicemail")
	b.typeInto(b.byLabel("Menu id"), "reception")
	b.typeInto(b.byLabel("Name"), "Reception")
	b.typeInto(b.byLabel("Dialled number"), "300")
	b.choose("Mailbox for messages", "sales")
	b.screenshot("ui-new-ivr.png", false)
	b.clickText("Create IVR")
	b.waitFor("created", `document.getElementById('status').textContent.includes('Created IVR reception')`)
	b.run("its chart", chromedp.WaitVisible(chromedp.CSS(`#chart .node[data-id="menu:reception"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#chart .node[data-id="gate:reception"]`)))
	var list ivrList
	apiJSON(t, svc, tok, "/api/v1/ivrs", &list)
	var found bool
	for _, m := range list.Items {
		if m.ID == "reception" {
			found = true
			assert.Equal(t, "reception-hours", m.Schedule, "the template's opening hours")
			assert.Equal(t, []string{"300"}, m.Extensions)
			assert.JSONEq(t, `{"voicemail": "sales"}`, string(m.Keys["2"]))
		}
	}
	require.True(t, found, "GET /api/v1/ivrs lists the new IVR: %+v", list)
	var sched map[string]any
	require.Equal(t, http.StatusOK, apiJSON(t, svc, tok, "/api/v1/schedules/reception-hours", &sched))

	// The Zendesk-style template makes a menu and its support sub-menu.
	b.clickText("New IVR")
	b.clickText("Zendesk-style menu")
	b.typeInto(b.byLabel("Menu id"), "help")
	b.clickText("Create IVR")
	b.run("the menu and its sub-menu", chromedp.WaitVisible(chromedp.CSS(`#chart .node[data-id="menu:help"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#chart .node[data-id="menu:help-support"]`)))

	// Copy the example's support menu.
	b.choose("IVR", "main")
	b.click(`#chart .node[data-id="menu:support"]`)
	b.clickText("Copy menu")
	b.typeInto(b.byLabel("New menu id"), "support2")
	b.clickText("Copy")
	b.run("the copy on the chart", chromedp.WaitVisible(chromedp.CSS(`#chart .node[data-id="menu:support2"]`)))
	var orig, cp struct {
		Extensions []string                   `json:"extensions"`
		Keys       map[string]json.RawMessage `json:"keys"`
	}
	apiJSON(t, svc, tok, "/api/v1/ivrs/support", &orig)
	require.Equal(t, http.StatusOK, apiJSON(t, svc, tok, "/api/v1/ivrs/support2", &cp))
	assert.Equal(t, orig.Keys, cp.Keys, "the copy has the same keys")
	assert.Empty(t, cp.Extensions, "and not the original's dialled numbers")

	// Delete support, which main's key 2 still sends calls to: the form
	// asks what replaces it.
	b.choose("IVR", "main")
	b.click(`#chart .node[data-id="menu:support"]`)
	b.clickText("Delete menu")
	b.choose("Replace in menu main key 2", "ivr:support2")
	b.screenshot("ui-delete-menu.png", false)
	b.clickText("Replace and delete")
	b.waitFor("deleted", `document.getElementById('status').textContent.includes('Deleted menu support')`)
	b.run("key 2 now reaches the copy", chromedp.WaitVisible(chromedp.CSS(`#chart .node[data-id="menu:support2"]`)))
	var gone map[string]any
	assert.Equal(t, http.StatusNotFound, apiJSON(t, svc, tok, "/api/v1/ivrs/support", &gone))
	var main struct {
		Keys map[string]json.RawMessage `json:"keys"`
	}
	apiJSON(t, svc, tok, "/api/v1/ivrs/main", &main)
	assert.JSONEq(t, `{"ivr": "support2"}`, string(main.Keys["2"]))
	assert.Nil(t, svc.snap.Load().Config.IVRByID("support"), "new calls no longer meet the deleted menu")
	assert.Empty(t, b.consoleErrors())
}

// Issue 25, points 3 and 7: every destination kind of the API's schema is
// offered; a key set to a ring group (with voicemail if nobody answers)
// and another to an internal number through the form are saved; every
// key's controls say which key they are; a target shows its whole value;
// keyboard focus looks different from selection.
func TestUIKeyToGroupAndInternal(t *testing.T) {
	testenv.SkipUnderRace(t, "a Chromium browser driving the web UI")
	if testing.Short() {
		t.Skip("starts a browser")
	}
	b := newBrowser(t)
	svc := startTeams(t)
	tok := firstToken(t, svc)
	signIn(b, "http://"+svc.ctl.ln.Addr().String()+"/ui/", tok)
	b.click(`#chart .node[data-id="menu:main"]`)

	kindSel := b.byLabel("key 1 destination kind")
	var kinds []string
	b.eval(`[...document.querySelector(`+jsString(kindSel)+`).options].map((o) => o.value)`, &kinds)
	for _, k := range []string{"group", "voicemail_check", "webhook", "set_language", "internal", "conference", "gather", "ask", "uri", "hangup"} {
		assert.Contains(t, kinds, k, "the key editor offers %s", k)
	}

	// A long SIP URI typed for key 1 is shown whole, not cut.
	uri := b.byLabel("key 1 destination SIP URI")
	b.typeInto(uri, "sip:2002@192.168.100.200:5070")
	var fits bool
	b.eval(`(() => { const e = document.querySelector(`+jsString(uri)+`);
		return e.value === 'sip:2002@192.168.100.200:5070' && e.scrollWidth <= e.clientWidth; })()`, &fits)
	assert.True(t, fits, "the target field shows its whole value")
	// No control of the key table is labelled just "key".
	var unnamed []string
	b.eval(`[...document.querySelectorAll('.keys input, .keys select, .keys button')]
		.map((e) => e.getAttribute('aria-label') || '').filter((l) => !/key [0-9*#A-D]+/.test(l))`, &unnamed)
	assert.Empty(t, unnamed, "every key control names its key")

	b.choose("key 1 destination kind", "group")
	b.choose("key 1 destination ring group", "sales")
	b.choose("key 1 destination if no answer kind", "voicemail")
	b.typeInto(b.byLabel("key 1 destination if no answer voicemail"), "sales")
	b.choose("key 2 destination kind", "internal")
	b.typeInto(b.byLabel("key 2 destination internal number"), "201")
	b.screenshot("ui-key-group.png", false)
	b.clickText("Publish")
	b.waitFor("saved", `document.getElementById('status').textContent.includes('Published menu main')`)

	var main struct {
		Keys map[string]json.RawMessage `json:"keys"`
	}
	apiJSON(t, svc, tok, "/api/v1/ivrs/main", &main)
	assert.JSONEq(t, `{"group": "sales", "overflow": {"voicemail": "sales"}}`, string(main.Keys["1"]))
	assert.JSONEq(t, `{"internal": "201"}`, string(main.Keys["2"]))
	b.run("the group on the chart", chromedp.WaitVisible(chromedp.CSS(`#chart .node.k-group`)))

	// The digits form is made from the schema's gather fields: a number
	// typed there is on the chart at once; Discard takes it back.
	b.choose("key 7 destination kind", "gather")
	b.typeInto(b.byLabel("key 7 destination max"), "4")
	var secret string
	b.eval(`document.querySelector(`+jsString(b.byLabel("key 7 destination secret"))+`).type`, &secret)
	assert.Equal(t, "checkbox", secret, "a boolean field of the schema is a checkbox")
	b.waitFor("the gather on the chart", `[...document.querySelectorAll('#chart .node.k-gather')].some((n) => n.textContent.includes('1–4 digits'))`)
	b.clickText("Discard changes")
	b.waitFor("discarded", `!document.querySelector('#chart .node.k-gather')`)

	// Focus by keyboard is drawn differently from the selection (menu
	// main is selected; Tab from the chart reaches the first box).
	b.run("focus the chart", chromedp.Focus(chromedp.CSS("#chart")), chromedp.KeyEvent("\t"))
	var look struct{ Focused, Selected, FocusID string }
	b.eval(`(() => { const f = document.activeElement; const sel = document.querySelector('#chart .node.selected .box');
		const dash = (e) => getComputedStyle(e).strokeDasharray + ' ' + getComputedStyle(e).stroke;
		return {FocusID: f.dataset.id || f.tagName, Focused: f.querySelector('.box') ? dash(f.querySelector('.box')) : '',
			Selected: sel ? dash(sel) : ''}; })()`, &look)
	require.NotEmpty(t, look.Focused, "Tab reached a box (%s)", look.FocusID)
	require.NotEmpty(t, look.Selected, "menu main is selected")
	assert.NotEqual(t, look.Selected, look.Focused, "focus and selection look different")
	assert.Empty(t, b.consoleErrors())
}
