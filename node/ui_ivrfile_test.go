package node

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/ivrd/ivrd/internal/testenv"
)

// Issue 25, export/import: Export on a menu downloads its YAML; pasted
// back under a new id in the Import form it becomes an IVR with the same
// keys, opened on the chart; the unchanged file chosen in the form is
// refused with the server's reason shown beside it, in a form the
// accessibility audit passes.
func TestUIExportImportIVR(t *testing.T) {
	testenv.SkipUnderRace(t, "a Chromium browser driving the web UI")
	t.Parallel()
	if testing.Short() {
		t.Skip("starts a browser")
	}
	b := newBrowser(t)
	svc := startExample(t)
	tok := firstToken(t, svc)
	signIn(b, "http://"+svc.ctl.ln.Addr().String()+"/ui/", tok)
	downloads := t.TempDir()
	b.run("allow downloads", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
			Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads})
		return err
	}))

	b.click(`#chart .node[data-id="menu:main"]`)
	b.clickText("Export")
	file := filepath.Join(downloads, "ivr-main.yaml")
	var exported []byte
	require.Eventually(t, func() bool {
		data, err := os.ReadFile(file)
		exported = data
		return err == nil && bytes.Contains(data, []byte("ivrs:"))
	}, 15*time.Second, 50*time.Millisecond, "Export downloads ivr-main.yaml")
	assert.Contains(t, string(exported), "  - id: main\n")

	// Pasted under a new id and without the original's numbers: imported.
	var doc struct {
		IVRs []map[string]any `yaml:"ivrs"`
	}
	require.NoError(t, yaml.Unmarshal(exported, &doc))
	require.Len(t, doc.IVRs, 1)
	doc.IVRs[0]["id"] = "main-copy"
	delete(doc.IVRs[0], "extensions")
	copied, err := yaml.Marshal(doc)
	require.NoError(t, err)
	b.clickText("Import")
	sel := b.byLabel("Or paste YAML")
	var set bool
	b.eval(`(() => { const t = document.querySelector(`+jsString(sel)+`); t.value = `+jsString(string(copied))+`;
		t.dispatchEvent(new Event('input', {bubbles: true})); return true; })()`, &set)
	b.click("#import-go")
	b.waitFor("imported", `document.getElementById('status').textContent.includes('Imported IVR main-copy')`)
	b.run("the imported menu on the chart", chromedp.WaitVisible(chromedp.CSS(`#chart .node[data-id="menu:main-copy"]`)))
	var orig, cp struct {
		Keys map[string]json.RawMessage `json:"keys"`
	}
	require.Equal(t, 200, apiJSON(t, svc, tok, "/api/v1/ivrs/main", &orig))
	require.Equal(t, 200, apiJSON(t, svc, tok, "/api/v1/ivrs/main-copy", &cp))
	assert.Equal(t, orig.Keys, cp.Keys, "the imported copy has the original's keys")

	// The downloaded file as it is: main exists, and the form says so.
	b.click(`#chart .node[data-id="menu:main-copy"]`)
	b.clickText("Import")
	b.run("choose the file", chromedp.SetUploadFiles(chromedp.CSS(b.byLabel("YAML file")), []string{file}))
	b.click("#import-go")
	b.waitFor("the refusal beside the form", `(document.getElementById('import-problems') || {textContent: ''}).textContent.includes('replace=true')`)
	assert.Empty(t, b.audit("the import form with a refusal"), "no serious or critical accessibility violations")
	assert.Empty(t, b.consoleErrors())
}
