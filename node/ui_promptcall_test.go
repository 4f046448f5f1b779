package node

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/internal/testenv"
	"github.com/ivrd/ivrd/sip/siptest"
)

// clickExact clicks the visible button whose whole text is text
// (Prompts, not a longer name that starts with it).
func (b *browser) clickExact(text string) {
	b.t.Helper()
	js := fmt.Sprintf(`(() => { const el = [...document.querySelectorAll('button')]
		.find((e) => e.offsetParent !== null && !e.disabled && e.textContent.trim() === %s);
		if (!el) return false; el.click(); return true; })()`, jsString(text))
	b.waitFor("a visible "+text+" button", js)
}

// Issue 25: a prompt recorded by phone from the page. The user opens the
// prompts, names the prompt, gives the phone and presses Call and record; the page
// follows the call (ringing, reviewing) while a Go phone answers, speaks
// after the beep and keeps the take with 1; the page says it is saved and
// the prompt is listed and plays in the page.
func TestUIRecordPromptByPhone(t *testing.T) {
	testenv.SkipUnderRace(t, "a Chromium browser driving the web UI")
	t.Parallel()
	if testing.Short() {
		t.Skip("starts a browser")
	}
	b := newBrowser(t)
	svc, tok, _ := startPlacer(t)
	phone := siptest.NewFarEnd(t, "answer")
	phone.SetTone(0)
	signIn(b, "http://"+svc.ctl.ln.Addr().String()+"/ui/", tok)

	b.clickExact("Prompts")
	b.typeInto(b.byLabel("Prompt name to record"), "desk-hello")
	b.typeInto(b.byLabel("Phone to call"), phone.URI())
	assert.Empty(t, b.audit("the prompts with the record-by-phone form"), "serious or critical accessibility violations")
	b.clickExact("Call and record")
	// Ringing lasts as long as the phone takes to answer: the page may
	// already be past it, but never says the call was refused.
	b.waitFor("the call placed", `/^(Ringing sip:|Answered|Recording)/.test(document.getElementById('rp-msg').textContent)`)

	speakAfterBeep(t, phone)
	b.waitFor("the review", `[...document.querySelectorAll('[role=status]')].some((e) => e.textContent.startsWith('Reviewing: on the phone, press 1 to keep'))`)
	require.NoError(t, phone.PressKey('1', 16000))
	b.waitFor("saved", `document.getElementById('status').textContent === 'Saved prompt desk-hello (recorded by phone).'`)
	b.waitFor("the listed prompt", `[...document.querySelectorAll('#prompt-list li')].some((li) => li.textContent.startsWith('desk-hello'))`)
	b.click(b.byLabel("Play desk-hello"))
	b.waitFor("the player", `document.getElementById('player').dataset.prompt === 'desk-hello' && document.getElementById('player').src.startsWith('blob:')`)
	code, _, _ := apiCall(t, svc, tok, "GET", "/api/v1/prompts/desk-hello", "", nil)
	assert.Equal(t, http.StatusOK, code)
	assert.Empty(t, b.consoleErrors(), "the browser console")
}
