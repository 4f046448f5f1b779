package node

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/cdr"
	"github.com/ivrd/ivrd/internal/testenv"
	"github.com/ivrd/ivrd/node/nodetest"
)

// jssipConfig: the first menu's key 2 leads to a second menu whose
// prompt is another tone, so the page hears that the key was taken while
// the call goes on, and the page, not ivrd, hangs up.
const jssipConfig = `
server:
  sip: { listen: ["udp://127.0.0.1:0", "ws://127.0.0.1:0"] }
  media: { rtp_ports: "RTP_RANGE" }
prompts_dir: "PROMPTS"
ivrs:
  - { id: main, extensions: ["100"], prompt: tone, response_timeout: 10s, keys: { "2": { ivr: second }, default: hangup } }
  - { id: second, prompt: high, response_timeout: 10s, keys: { default: hangup } }
`

// jssipLoader gives JsSIP's CommonJS modules (vendored unmodified from
// npm, which ships no browser bundle) the require() they expect: each
// file is fetched from the test's server and run once, bare names
// resolving to node_modules/NAME's "browser" or "main" file, as a bundler
// would.
const jssipLoader = `<script>
(() => {
  const cache = new Map();
  const fetchText = (url) => {
    const x = new XMLHttpRequest();
    x.open('GET', url, false);
    x.send();
    if (x.status !== 200) throw new Error('cannot load ' + url + ': ' + x.status);
    return x.responseText;
  };
  const file = (p) => (p.endsWith('/') ? p + 'index.js' : /\.(js|json)$/.test(p) ? p : p + '.js');
  const resolve = (dir, name) => {
    if (name.startsWith('.')) return file(new URL(name, location.origin + dir + '/').pathname);
    const root = '/jssip/node_modules/' + name;
    const pkg = JSON.parse(fetchText(root + '/package.json'));
    const entry = typeof pkg.browser === 'string' ? pkg.browser : (pkg.main || 'index.js');
    return file(new URL(entry, location.origin + root + '/').pathname);
  };
  const load = (path) => {
    if (cache.has(path)) return cache.get(path).exports;
    const module = { exports: {} };
    cache.set(path, module);
    const text = fetchText(path);
    if (path.endsWith('.json')) {
      module.exports = JSON.parse(text);
    } else {
      const dir = path.slice(0, path.lastIndexOf('/'));
      new Function('require', 'module', 'exports', text + '\n//# sourceURL=' + path)((n) => load(resolve(dir, n)), module, module.exports);
    }
    return module.exports;
  };
  window.JsSIP = load(resolve('/', 'jssip'));
})();
</script>`

// jssipHarness records on demand what the page hears (as webrtcPage
// does) and follows the call JsSIP places. It runs right after the
// README's block, before the socket opens, so it sees every event.
const jssipHarness = `
window.result = { state: '', ended: '', cause: '', samples: null, error: '', callId: '' };
let want = 0;
const got = [];
window.capture = () => { window.result.samples = null; got.length = 0; want = 8000; };
function record(stream) {
  const ctx = new AudioContext({ sampleRate: 8000 });
  const proc = ctx.createScriptProcessor(2048, 1, 1);
  proc.onaudioprocess = (ev) => {
    if (want === 0) return;
    for (const x of ev.inputBuffer.getChannelData(0)) if (got.length < want) got.push(Math.round(x * 32767));
    if (got.length >= want) { window.result.samples = got.slice(); want = 0; }
  };
  ctx.createMediaStreamSource(stream).connect(proc);
  proc.connect(ctx.destination);
}
ua.on('newRTCSession', ({ session }) => {
  window.session = session;
  session.connection.addEventListener('track', (e) => record(e.streams[0]));
  session.on('accepted', (e) => { window.result.callId = e.response.call_id; });
  session.on('confirmed', () => { window.result.state = 'answered'; });
  session.on('ended', (e) => { window.result.ended = e.originator; window.result.cause = e.cause; });
  session.on('failed', (e) => { window.result.error = e.originator + ': ' + e.cause; });
});
`

// readmeJsSIP is the README's JsSIP example, pointed at addr: the test
// runs the block users copy, so the two cannot drift apart.
func readmeJsSIP(t *testing.T, addr string) string {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	require.NoError(t, err)
	const marker = "<!-- node/webrtc_jssip_test.go runs the next block: keep it whole -->\n```js\n"
	_, block, ok := strings.Cut(string(readme), marker)
	require.True(t, ok, "README.md has no JsSIP block after %q", marker)
	block, _, ok = strings.Cut(block, "\n```\n")
	require.True(t, ok, "README.md's JsSIP block does not end")
	for _, s := range []string{"wss://ivr.example.com:8089", "ivr.example.com"} {
		require.Contains(t, block, s, "the README's JsSIP block no longer says %s: update the test's substitution", s)
	}
	block = strings.ReplaceAll(block, "wss://ivr.example.com:8089", "ws://"+addr)
	return strings.ReplaceAll(block, "ivr.example.com", "127.0.0.1")
}

// JsSIP, unmodified, runs the README's example over ws://: it hears the
// prompt, its key (RFC 4733 through RTCDTMFSender) moves the call to the
// next menu, whose prompt it hears, and its terminate() ends the call
// with a BYE that ivrd answers: the record holds the key and says the
// caller hung up.
func TestJsSIPCallsIVR(t *testing.T) {
	testenv.SkipUnderRace(t, "a Chromium browser making a WebRTC call")
	t.Parallel()
	if chromium() == "" {
		t.Skip("no Chromium found (apt-get install chromium, or set IVRD_CHROMIUM): the JsSIP interop test is skipped")
	}
	path := writeConfig(t, jssipConfig)
	writeTone(t, filepath.Join(filepath.Dir(path), "tone.wav"), 1000, 20*time.Second)
	writeTone(t, filepath.Join(filepath.Dir(path), "high.wav"), 2000, 20*time.Second)
	mic := filepath.Join(t.TempDir(), "mic.wav")
	nodetest.WriteTone(t, mic, 440, 5*time.Second)
	svc := startConfig(t, path)
	page := `<!doctype html><html><body><audio id="ivr" autoplay muted></audio>` + jssipLoader +
		"<script>\n" + readmeJsSIP(t, svc.SIPAddr("ws").String()) + jssipHarness + "</script></body></html>"
	lib := http.StripPrefix("/jssip/", http.FileServer(http.Dir(filepath.Join("testdata", "jssip"))))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/jssip/") {
			lib.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		_, _ = fmt.Fprint(w, page)
	}))
	t.Cleanup(srv.Close)

	b := newBrowser(t, browserMediaFlags(mic)...)
	b.run("open the JsSIP page", chromedp.Navigate(srv.URL), chromedp.WaitReady(chromedp.CSS("body")))
	b.waitFor("JsSIP's call to be answered", `window.result.state === 'answered' || window.result.error !== '' || window.result.ended !== ''`)
	var res struct{ State, Error, Ended, Cause, CallID string }
	b.eval(`window.result`, &res)
	require.Equal(t, "answered", res.State, "error %q, ended %q", res.Error, res.Ended)
	require.Equal(t, 1000.0, heardInPage(t, b, 440, 1000, 2000), "JsSIP's page hears the first menu's 1000 Hz tone")

	var pressed bool
	b.eval(`(window.session.sendDTMF('2', { transportType: 'RFC2833' }), true)`, &pressed)
	require.Eventually(t, func() bool {
		tone, peak := pageTone(t, b, 440, 1000, 2000)
		return tone == 2000 && peak > 1000
	}, 15*time.Second, time.Millisecond, "the page never heard the second menu's 2000 Hz tone after its key")

	b.eval(`(window.session.terminate(), true)`, &pressed)
	b.waitFor("JsSIP to end the call", `window.result.ended !== ''`)
	b.eval(`window.result`, &res)
	require.Equal(t, "local", res.Ended, "cause %q", res.Cause)
	require.Empty(t, res.Error)
	rec := endedRecord(t, svc, res.CallID)
	require.Len(t, rec.Keys, 1, "the menu heard %+v", rec.Keys)
	require.Equal(t, "2", rec.Keys[0].Key)
	require.Equal(t, "rfc4733", rec.Keys[0].Method)
	require.Equal(t, cdr.EndedByCaller, rec.EndedBy, "the record says who hung up")
	require.Equal(t, cdr.Path{"main", "second"}, rec.Path, "the call's path")
}
