package node

import (
	"encoding/json"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Issue 25's first complaint, as a user meets it: typing in a menu's
// field (without leaving it) marks the menu changed at once, Save and
// Discard come alive and look it (a disabled button looks disabled),
// Undo and Redo step the edit back and forth, and Save stores it.
func TestUITypedEditEnablesSaveAndUndo(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	b := newBrowser(t)
	svc := startExample(t)
	tok := firstToken(t, svc)
	signIn(b, "http://"+svc.ctl.ln.Addr().String()+"/ui/", tok)
	b.click(`#chart .node[data-id="menu:main"]`)
	b.run("the menu's form", chromedp.WaitVisible(chromedp.CSS("#m-name")))

	var state struct {
		Save, Revert, Undo bool
		Dirty              bool
		SaveBG, EnabledBG  string
	}
	read := func() {
		b.eval(`(() => { const q = (s) => document.querySelector(s);
			return {Save: !q('#save').disabled, Revert: !q('#revert').disabled, Undo: !q('#undo').disabled,
				Dirty: !q('#dirty').hidden, SaveBG: getComputedStyle(q('#save')).backgroundColor,
				EnabledBG: getComputedStyle(q('#btn-sim')).backgroundColor}; })()`, &state)
	}
	read()
	require.False(t, state.Save, "nothing changed yet: Save is disabled")
	assert.False(t, state.Dirty)
	disabledBG := state.SaveBG

	var before string
	b.eval(`document.querySelector('#m-name').value`, &before)
	// Type, and stay in the field: no Tab, no change event.
	b.eval(`(() => { const e = document.querySelector('#m-name'); e.focus(); e.select(); return true; })()`, new(bool))
	b.run("typing a name", chromedp.SendKeys(chromedp.CSS("#m-name"), "Front desk"))
	b.waitFor("Save enabled while typing", `!document.querySelector('#save').disabled`)
	read()
	assert.True(t, state.Revert, "Discard is enabled too")
	assert.True(t, state.Dirty, "the unsaved mark shows")
	assert.True(t, state.Undo)
	assert.NotEqual(t, disabledBG, state.SaveBG, "an enabled Save does not look like a disabled one")

	// One undo takes the whole typed value back (a run of keystrokes in
	// one field is one step); redo brings it again.
	b.click("#undo")
	b.waitFor("undone", `document.querySelector('#m-name').value === `+jsString(before)+` && document.querySelector('#save').disabled`)
	b.click("#redo")
	b.waitFor("redone", `document.querySelector('#m-name').value === 'Front desk' && !document.querySelector('#save').disabled`)

	b.click("#save")
	b.waitFor("saved", `document.getElementById('status').textContent.includes('Published menu main')`)
	read()
	assert.False(t, state.Save, "saved: nothing left to save")
	assert.False(t, state.Dirty)
	assert.Equal(t, "Front desk", svc.snap.Load().Config.IVRByID("main").Name, "the running configuration has the typed name")
	assert.Empty(t, b.consoleErrors())
}

// jsString is s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
