package node

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// browser is a headless Chromium driven over the DevTools protocol, with
// every console error, uncaught exception and error entry of the browser
// log the page produces collected (the UI tests fail on any).
type browser struct {
	t    testing.TB
	ctx  context.Context
	mu   sync.Mutex
	errs []string
}

// chromium finds the browser: $IVRD_CHROMIUM, else Debian's chromium or
// a Chrome on PATH.
func chromium() string {
	for _, c := range []string{os.Getenv("IVRD_CHROMIUM"), "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if c == "" {
			continue
		}
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	return ""
}

// browserSlots bounds the Chromium instances running at once to the
// processors Go may use: a page load keeps a core busy, and eight
// browsers of parallel tests on two cores each took longer than the
// tests' patience to draw a page (make test failed on "open the page"),
// while one or two at a time finish sooner together.
var browserSlots = make(chan struct{}, max(2, runtime.GOMAXPROCS(0)))

// newBrowser starts Chromium with a fresh profile, once a browser slot
// is free; the test's cleanup closes it, waits for its processes to end
// and frees the slot.
func newBrowser(t testing.TB, extra ...chromedp.ExecAllocatorOption) *browser {
	t.Helper()
	path := chromium()
	if path == "" {
		t.Skip("no Chromium found (apt-get install chromium, or set IVRD_CHROMIUM): the web UI's browser tests are skipped")
	}
	browserSlots <- struct{}{}
	t.Cleanup(func() { <-browserSlots }) // after the browser's own cleanup below (LIFO)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 900),
	}
	opts = append(opts, extra...)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc() // waits for the browser's processes to end
	})
	b := &browser{t: t, ctx: ctx}
	// The first Run starts the browser and lives as long as ctx: no timeout
	// on it (chromedp's rule); the later ones are bounded.
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate("about:blank")), "starting Chromium")
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			// Network entries are the HTTP statuses the tests provoke on
			// purpose (401, 422, 412); every other error (a console.error,
			// an uncaught exception, a CSP refusal, a failed script)
			// counts.
			if m.Source == "network" {
				continue
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException || m.Type == chromedp.ConsoleWarning {
				b.mu.Lock()
				b.errs = append(b.errs, fmt.Sprintf("%s (%s:%d)", m, m.URL, m.Line))
				b.mu.Unlock()
			}
		}
	}()
	return b
}

// consoleErrors is what the page complained about so far.
func (b *browser) consoleErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.errs...)
}

// run runs actions with a bounded wait.
func (b *browser) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	require.NoError(b.t, chromedp.Do(ctx, actions...), "%s (console: %v)", what, b.consoleErrors())
}

// eval evaluates a JavaScript expression and decodes its JSON into out.
func (b *browser) eval(js string, out any) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string]("JSON.stringify("+js+")"))
	require.NoError(b.t, err, "evaluating %s", js)
	require.NoError(b.t, json.Unmarshal([]byte(s), out), "result of %s: %s", js, s)
}

// click dispatches a click on the first element sel matches, as a mouse
// does (SVG groups have no box for a synthetic mouse to aim at).
func (b *browser) click(sel string) {
	b.t.Helper()
	b.run("click "+sel, chromedp.WaitVisible(chromedp.CSS(sel)),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](fmt.Sprintf(`document.querySelector(%q).dispatchEvent(new MouseEvent('click', {bubbles: true}))`, sel))(ctx, t)
			return err
		}))
}

// typeInto replaces an input's text the way a user does: focus, select
// all, type, Tab away (which fires change).
func (b *browser) typeInto(sel, text string) {
	b.t.Helper()
	b.run("typing into "+sel, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Focus(chromedp.CSS(sel)),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Evaluate[any](fmt.Sprintf(`document.querySelector(%q).select()`, sel))(ctx, t)
			return err
		}),
		chromedp.SendKeys(chromedp.CSS(sel), text+"\t"))
}

// text is an element's text content.
func (b *browser) text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(sel)))
	require.NoError(b.t, err, "text of %s", sel)
	return s
}

// waitFor waits (bounded) until a JavaScript condition holds.
func (b *browser) waitFor(what, js string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(15*time.Second)))
	require.NoError(b.t, err, "waiting for %s (console: %v)", what, b.consoleErrors())
}

// screenshot writes a PNG of the page into $IVRD_UI_ARTIFACTS when set,
// else into the test's temporary folder; the README's pictures (readme)
// go to docs/screenshots/NAME when IVRD_UI_SCREENSHOTS=1.
func (b *browser) screenshot(name string, readme bool) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	require.NoError(b.t, err)
	dir := os.Getenv("IVRD_UI_ARTIFACTS")
	if dir == "" {
		dir = b.t.TempDir()
	}
	if readme && os.Getenv("IVRD_UI_SCREENSHOTS") == "1" {
		dir = filepath.Join("..", "docs", "screenshots") // from node/, the package's folder
		require.NoError(b.t, os.MkdirAll(dir, 0o755))
	}
	path := filepath.Join(dir, name)
	require.NoError(b.t, os.WriteFile(path, png, 0o644))
	b.t.Logf("screenshot: %s", path)
	return path
}
