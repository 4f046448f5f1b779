package node

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/internal/testenv"
	"github.com/ivrd/ivrd/node/nodetest"
)

// sipjsPage calls menu 100 with SIP.js (a third-party browser SIP stack,
// vendored unmodified in testdata/sipjs: see its VERSION) and records on
// demand, as webrtcPage does.
const sipjsPage = `<!doctype html><html><body><script type="module">
import { Web } from './sipjs/lib/index.js';
window.result = { state: '', ended: '', samples: null, error: '', callId: '' };
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
const audio = new Audio();
audio.autoplay = true;
audio.muted = true;
const user = new Web.SimpleUser('WSURL', {
  aor: 'sip:web@127.0.0.1',
  media: { constraints: { audio: true, video: false }, remote: { audio } },
  sendDTMFUsingSessionDescriptionHandler: true,
  delegate: {
    onCallAnswered: () => { record(user.remoteMediaStream); window.result.callId = user.session.request.callId; window.result.state = 'answered'; },
    onCallHangup: () => { window.result.ended = 'hangup'; },
  },
  userAgentOptions: { logLevel: 'error', sessionDescriptionHandlerFactoryOptions: { peerConnectionConfiguration: { iceServers: [] } } },
});
window.user = user;
user.connect().then(() => user.call('sip:100@127.0.0.1')).catch((e) => { window.result.error = String(e); });
</script></body></html>`

// SIP.js, unmodified, calls an IVR over ws://: it hears the prompt, and
// its DTMF (RFC 4733 through RTCDTMFSender) is heard by the menu.
func TestSIPjsCallsIVR(t *testing.T) {
	testenv.SkipUnderRace(t, "a Chromium browser making a WebRTC call")
	t.Parallel()
	if chromium() == "" {
		t.Skip("no Chromium found (apt-get install chromium, or set IVRD_CHROMIUM): the SIP.js interop test is skipped")
	}
	path := writeConfig(t, webrtcConfig)
	writeTone(t, filepath.Join(filepath.Dir(path), "tone.wav"), 1000, 20*time.Second)
	mic := filepath.Join(t.TempDir(), "mic.wav")
	nodetest.WriteTone(t, mic, 440, 5*time.Second)
	svc := startConfig(t, path)
	page := strings.ReplaceAll(sipjsPage, "WSURL", "ws://"+svc.SIPAddr("ws").String())
	lib := http.StripPrefix("/sipjs/", http.FileServer(http.Dir(filepath.Join("testdata", "sipjs"))))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/sipjs/") {
			lib.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		_, _ = fmt.Fprint(w, page)
	}))
	t.Cleanup(srv.Close)

	b := newBrowser(t, browserMediaFlags(mic)...)
	b.run("open the SIP.js page", chromedp.Navigate(srv.URL), chromedp.WaitReady(chromedp.CSS("body")))
	b.waitFor("SIP.js's call to be answered", `window.result.state === 'answered' || window.result.error !== '' || window.result.ended !== ''`)
	var res struct{ State, Error, Ended, CallID string }
	b.eval(`window.result`, &res)
	require.Equal(t, "answered", res.State, "error %q, ended %q", res.Error, res.Ended)
	require.Equal(t, 1000.0, heardInPage(t, b, 440, 1000, 700, 300), "SIP.js's page hears the prompt's 1000 Hz tone")

	var pressed bool
	b.eval(`(window.user.sendDTMF('1'), true)`, &pressed)
	b.waitFor("ivrd to hang up after the key", `window.result.ended !== ''`)
	rec := endedRecord(t, svc, res.CallID)
	require.NotEmpty(t, rec.Keys, "the menu heard no key")
	require.Equal(t, "1", rec.Keys[0].Key)
	require.Equal(t, "rfc4733", rec.Keys[0].Method)
}
