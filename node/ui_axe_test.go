package node

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/internal/testenv"
)

// axeViolation is one failed rule of an axe-core audit, with where.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target  []any  `json:"target"`
		Summary string `json:"failureSummary"`
	} `json:"nodes"`
}

// audit runs axe-core (vendored under testdata/axe-core, make
// ui-test-vendor) on the page as it is, and returns its serious and
// critical violations, each said on one line.
func (b *browser) audit(what string) []string {
	b.t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", "axe-core", "axe.min.js"))
	require.NoError(b.t, err)
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	// Injected over the DevTools protocol, as a tester's extension would:
	// the page's own policy (script-src 'self') does not load it.
	_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { if (!window.axe) { `+string(src)+`
	} return true; })()`))
	require.NoError(b.t, err, "injecting axe-core")
	js, err := chromedp.Run(ctx, chromedp.Evaluate[string](`axe.run(document, {resultTypes: ['violations']}).then(r => JSON.stringify(r.violations))`,
		chromedp.EvalAwaitPromise))
	require.NoError(b.t, err, "running axe-core on %s", what)
	var vs []axeViolation
	require.NoError(b.t, json.Unmarshal([]byte(js), &vs))
	var out []string
	for _, v := range vs {
		line := v.Impact + " " + v.ID + " (" + v.Help + ") on " + what + ":"
		for _, n := range v.Nodes {
			tj, _ := json.Marshal(n.Target)
			line += " " + string(tj) + " " + strings.ReplaceAll(n.Summary, "\n", " ")
		}
		if v.Impact == "serious" || v.Impact == "critical" {
			out = append(out, line)
		} else {
			b.t.Logf("axe (not serious): %s", line)
		}
	}
	return out
}

// Issue 25, accessibility: an automated audit (axe-core) of the pages a
// user goes through finds nothing serious or critical.
func TestUIAccessibilityAudit(t *testing.T) {
	testenv.SkipUnderRace(t, "a Chromium browser driving the web UI")
	t.Parallel()
	if testing.Short() {
		t.Skip("starts a browser")
	}
	b := newBrowser(t)
	svc := startExample(t)
	tok := firstToken(t, svc)
	url := "http://" + svc.ctl.ln.Addr().String() + "/ui/"

	b.run("open the UI", chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS("#login-form")))
	var found []string
	found = append(found, b.audit("the sign-in form")...)
	signIn(b, url, tok)
	found = append(found, b.audit("the chart")...)
	b.click(`#chart .node[data-id="menu:main"]`)
	b.waitFor("the menu form", `document.querySelector('#panel h2')?.textContent === 'Menu main'`)
	b.typeInto("#m-name", "Audit desk")
	found = append(found, b.audit("the menu form with an unsaved edit")...)
	b.click("#save-draft")
	b.waitFor("the draft", `!!document.getElementById('draft-badge')`)
	found = append(found, b.audit("the menu form with a draft")...)
	b.click("#btn-revisions")
	b.waitFor("the revisions", `!!document.getElementById('revision-list')`)
	found = append(found, b.audit("the revisions")...)
	b.click(`#revision-list button[aria-label="Roll back to revision 2"]`)
	b.waitFor("the roll-back", `document.querySelectorAll('#revision-list li').length === 3`)
	b.click(`#revision-list button[aria-label="Compare with live: revision 1"]`)
	b.waitFor("the comparison", `document.querySelector('#revision-list li[data-n="1"] .changes[role=status]').textContent !== ''`)
	found = append(found, b.audit("the revisions after a roll-back, compared")...)
	b.click("#btn-calls")
	b.waitFor("the calls", `!!document.getElementById('call-id')`)
	found = append(found, b.audit("the calls")...)
	b.click("#btn-sched")
	found = append(found, b.audit("the schedules")...)
	b.click("#btn-new-ivr")
	found = append(found, b.audit("the new IVR form")...)
	b.click("#btn-sim")
	b.run("the simulator", chromedp.WaitVisible(chromedp.CSS("#sim-input")))
	found = append(found, b.audit("the simulator")...)
	assert.Empty(t, found, "serious or critical accessibility violations")
	assert.Empty(t, b.consoleErrors(), "the browser console")
}
