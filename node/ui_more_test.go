package node

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/internal/testenv"
	"github.com/ivrd/ivrd/ui"
)

// signIn opens the UI at url and signs in with tok; the chart of the first
// IVR is drawn when it returns.
func signIn(b *browser, url, tok string) {
	b.t.Helper()
	b.run("open the UI", chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS("#login-form")))
	b.typeInto("#token", tok)
	b.click("#login-btn")
	b.run("the chart", chromedp.WaitVisible(chromedp.CSS(`#chart .node.t-menu`)))
}

// A store with four departments, sub-menus, two schedules with holidays
// and hand-offs of every kind: over 50 nodes, none overlapping another or
// a key's label; the schedule gate's branches; a holiday simulated; a
// holiday added and saved; a prompt uploaded and played in the page.
func TestUILargeGraphAndSchedules(t *testing.T) {
	testenv.SkipUnderRace(t, "a Chromium browser driving the web UI")
	t.Parallel()
	if testing.Short() {
		t.Skip("starts a browser")
	}
	b := newBrowser(t)
	text, err := os.ReadFile(filepath.Join("testdata", "ui-50.yaml"))
	require.NoError(t, err)
	svc := startConfig(t, writeConfig(t, string(text)))
	tok := firstToken(t, svc)
	signIn(b, "http://"+svc.ctl.ln.Addr().String()+"/ui/", tok)
	b.waitFor("the store's chart", `!!document.querySelector('#chart .node[data-id="menu:store"]')`)

	var n int
	b.eval(`document.querySelectorAll('#chart .node').length`, &n)
	assert.GreaterOrEqual(t, n, 50)
	// Readable: no two nodes overlap, and no key label sits on a node.
	var overlaps []string
	b.eval(`(() => {
		const box = (e) => e.getBoundingClientRect();
		const hit = (a, b) => a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1;
		const nodes = [...document.querySelectorAll('#chart .node')].map(e => [e.dataset.id, box(e.querySelector('.box'))]);
		const labels = [...document.querySelectorAll('#chart .elabel')].map(e => [e.dataset.path, box(e.querySelector('rect'))]);
		const out = [];
		nodes.forEach(([a, ra], i) => nodes.slice(i + 1).forEach(([b, rb]) => { if (hit(ra, rb)) out.push(a + ' / ' + b); }));
		labels.forEach(([a, ra]) => nodes.forEach(([b, rb]) => { if (hit(ra, rb)) out.push('label ' + a + ' / ' + b); }));
		return out;
	})()`, &overlaps)
	assert.Empty(t, overlaps)
	b.screenshot("large.png", false)

	// The schedule gate in front of the store: open, closed, holiday.
	var labels []string
	b.eval(`[...document.querySelectorAll('#chart .elabel')].filter(l => l.dataset.path.startsWith('schedules[office]')).map(l => l.querySelector('text').textContent)`, &labels)
	assert.Subset(t, labels, []string{"open", "closed", "holiday"})
	assert.Contains(t, b.text(`#chart .node[data-id="holiday:store"]`), "2026-12-25 Christmas")

	// Christmas morning: the holiday branch, its prompt, then voicemail.
	b.click("#btn-sim")
	b.typeInto("#sim-input", "1")
	b.run("the time", chromedp.SetValue(chromedp.CSS("#sim-at"), "2026-12-25T10:00"))
	b.click("#sim-run")
	b.waitFor("the simulation", `document.getElementById('sim').classList.contains('sim-done')`)
	var lit []string
	b.eval(`[...document.querySelectorAll('#chart .visited')].map(e => e.classList.contains('edge') ? 'edge ' + e.dataset.path : e.dataset.id || 'label')`, &lit)
	assert.Subset(t, lit, []string{"entry", "gate:store", "holiday:store", "edge schedules[office].holidays", "d:schedules[office].closed.then"})
	assert.NotContains(t, lit, "menu:store", "closed: the menu is not reached")
	assert.Contains(t, b.text("#sim-trace"), "closed: holiday Christmas")

	// A Monday morning, key 0 with every hand-off failing: extension 101,
	// then its overflow, voicemail.
	b.typeInto("#sim-input", "0")
	b.run("the time", chromedp.SetValue(chromedp.CSS("#sim-at"), "2026-11-30T10:00"))
	b.click("#sim-fails")
	b.click("#sim-run")
	b.waitFor("the simulation", `document.getElementById('sim').classList.contains('sim-done')`)
	lit = nil
	b.eval(`[...document.querySelectorAll('#chart .visited')].map(e => e.classList.contains('edge') ? 'edge ' + e.dataset.path : e.dataset.id || 'label')`, &lit)
	assert.Subset(t, lit, []string{"gate:store", "menu:store", "edge schedules[office].open", "edge ivrs[store].keys.0",
		"d:ivrs[store].keys.0", "edge ivrs[store].keys.0.overflow", "d:ivrs[store].keys.0.overflow"})
	assert.NotContains(t, lit, "holiday:store")
	b.click("#btn-sim")

	// A holiday added in the schedule form and saved.
	b.click(`#chart .node[data-id="gate:store"]`)
	b.waitFor("the schedule form", `document.querySelector('#panel h2')?.textContent === 'Schedule office'`)
	b.click("#add-holiday")
	b.typeInto("#h-2-name", "Inventory")
	b.screenshot("schedule.png", false)
	b.click("#s-save")
	b.waitFor("the save", `document.getElementById('status').textContent.startsWith('Saved schedule office')`)
	code, body, _ := apiCall(t, svc, tok, "GET", "/api/v1/schedules/office", "", nil)
	require.Equal(t, 200, code)
	assert.Contains(t, string(body), `"name": "Inventory"`)
	assert.Contains(t, b.text(`#chart .node[data-id="holiday:store"]`), "Inventory")

	// A prompt uploaded through the page, then played in it.
	wav := filepath.Join(t.TempDir(), "dept-hello.wav")
	writeTone(t, wav, 440, 300e6)
	b.click("#btn-prompts")
	b.run("choose the file", chromedp.SetUploadFiles(chromedp.CSS("#up-file"), []string{wav}))
	b.typeInto("#up-name", "dept-hello")
	b.click("#up-btn")
	b.waitFor("the upload", `document.getElementById('status').textContent === 'Uploaded prompt dept-hello.'`)
	b.waitFor("the listed prompt", `[...document.querySelectorAll('#prompt-list li')].some(li => li.textContent.startsWith('dept-hello'))`)
	b.click(`#prompt-list button[aria-label="Play dept-hello"]`)
	b.waitFor("the player", `document.getElementById('player').dataset.prompt === 'dept-hello' && document.getElementById('player').src.startsWith('blob:')`)
	code, _, _ = apiCall(t, svc, tok, "GET", "/api/v1/prompts/dept-hello", "", nil)
	assert.Equal(t, 200, code)

	assert.Empty(t, b.consoleErrors(), "the browser console")
}

// The live overlay draws what GET /api/v1/calls and /api/v1/ivrs/{id}/stats
// answer (the shapes of the observability branch: calls with their menu;
// keys' shares, abandons per menu, transfers per destination). The real API
// serves everything else; those two answer from here.
func TestUILiveOverlay(t *testing.T) {
	testenv.SkipUnderRace(t, "a Chromium browser driving the web UI")
	t.Parallel()
	if testing.Short() {
		t.Skip("starts a browser")
	}
	b := newBrowser(t)
	svc := startExample(t)
	tok := firstToken(t, svc)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/calls", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+tok {
			http.Error(w, "{}", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"items": [{"call_id": "c1", "from": "alice", "to": "100", "ivr": "main", "menu": "support", "state": "menu", "duration_ms": 5000},
			{"call_id": "c2", "from": "bob", "to": "100", "ivr": "main", "menu": "support", "state": "menu", "duration_ms": 1000}]}`))
	})
	mux.HandleFunc("GET /api/v1/ivrs/main/stats", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("from") == "" || r.URL.Query().Get("to") == "" {
			http.Error(w, "{}", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ivr": "main", "calls": 10, "answered": 10, "mean_menu_ms": 8000,
			"keys": [{"key": "1", "presses": 6, "share": 0.4615}, {"key": "2", "presses": 4, "share": 0.3077}, {"key": "7", "presses": 3, "share": 0.2308}],
			"menus": [{"menu": "main", "entered": 10, "abandoned": 1, "abandon_rate": 0.1}, {"menu": "support", "entered": 4, "abandoned": 0, "abandon_rate": 0}],
			"transfers": [{"dest": "uri sip:tech@127.0.0.1:5070", "tried": 4, "succeeded": 3, "success_rate": 0.75}]}`))
	})
	mux.Handle("/ui/", ui.Handler("/ui"))
	mux.Handle("/", svc.ctl.api)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	signIn(b, srv.URL+"/ui/", tok)
	b.click("#btn-live")
	b.waitFor("the figures", `!!document.querySelector('#chart .node[data-id="menu:support"] .b-live')`)
	assert.Equal(t, "☎ 2", strings.TrimSpace(b.text(`#chart .node[data-id="menu:support"] .b-live text`)))
	assert.Equal(t, "drop 10%", b.text(`#chart .node[data-id="menu:main"] .b-drop text`))
	// Keys 1 and 2 are also support's: their shares are listed, not put
	// on main's edges; 7 and # are main's only.
	assert.Equal(t, "23%", b.text(`#chart .elabel[data-path="ivrs[main].keys.7"] .note`))
	var onOne int
	b.eval(`document.querySelectorAll('#chart .elabel[data-path="ivrs[main].keys.1"] .note').length`, &onOne)
	assert.Zero(t, onOne)
	assert.Contains(t, b.text("#live-note"), "keys pressed: 1 46% · 2 31% · 7 23%")
	assert.Equal(t, "✓ 75% of 4", b.text(`#chart .node[data-id="d:ivrs[support].keys.1"] .b-live text`))
	assert.Contains(t, b.text("#live-note"), "2 calls now · 10 in the period")
	b.click("#btn-live")
	var left int
	b.eval(`document.querySelectorAll('#chart .b-live, #chart .b-drop, #chart .note').length`, &left)
	assert.Zero(t, left, "the figures go when the overlay is off")
	assert.Empty(t, b.consoleErrors(), "the browser console")
}

// A server with no IVR yet: the page says so, draws nothing, complains
// of nothing.
func TestUIWithoutIVRs(t *testing.T) {
	testenv.SkipUnderRace(t, "a Chromium browser driving the web UI")
	t.Parallel()
	if testing.Short() {
		t.Skip("starts a browser")
	}
	b := newBrowser(t)
	svc := startConfig(t, writeConfig(t, "server:\n  sip:\n    listen: [\"udp://127.0.0.1:0\"]\n  media:\n    rtp_ports: \"RTP_RANGE\"\n"))
	b.run("open the UI", chromedp.Navigate("http://"+svc.ctl.ln.Addr().String()+"/ui/"), chromedp.WaitVisible(chromedp.CSS("#login-form")))
	b.typeInto("#token", firstToken(t, svc))
	b.click("#login-btn")
	b.waitFor("the note", `document.getElementById('status').textContent.startsWith('No IVR yet.')`)
	var n int
	b.eval(`document.querySelectorAll('#chart .node').length`, &n)
	assert.Zero(t, n)
	assert.Empty(t, b.consoleErrors(), "the browser console")
}
