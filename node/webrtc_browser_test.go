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

	"github.com/ivrd/ivrd/internal/testenv"
	"github.com/ivrd/ivrd/node/nodetest"
)

// A browser calls an IVR over ws:// (SIP over WebSocket, WebRTC media:
// ICE-lite, DTLS-SRTP, rtcp-mux): it hears the menu's tone prompt, and
// a key it sends with RTCDTMFSender is heard by the menu (the call's
// record holds it, and the menu's hang-up for that key reaches the
// page as a BYE over the WebSocket).
const webrtcConfig = `
server:
  sip: { listen: ["udp://127.0.0.1:0", "ws://127.0.0.1:0"] }
  media: { rtp_ports: "RTP_RANGE" }
prompts_dir: "PROMPTS"
ivrs:
  - { id: main, extensions: ["100"], prompt: tone, response_timeout: 10s, keys: { "1": hangup, default: hangup } }
`

// webrtcPage is the test's page: it calls through the project's own
// SIP-over-WebSocket phone (ui/static/js/sipphone.js) and records one
// second of what it hears, at 8 kHz, for the test to read back.
const webrtcPage = `<!doctype html><html><body><script type="module">
import { SipPhone } from './sipphone.js';
window.result = { state: '', ended: '', samples: null, error: '' };
async function main() {
  const mic = await navigator.mediaDevices.getUserMedia({ audio: true });
  const phone = new SipPhone({ wsUrl: 'WSURL', events: {
    onState: (s) => { window.result.state = s; },
    onEnded: (r) => { window.result.ended = r; },
    onTrack: record,
  } });
  window.phone = phone;
  await phone.call('100', mic);
}
function record(stream) {
  // Chromium feeds a remote track to WebAudio only while a media
  // element plays it too.
  const el = new Audio();
  el.srcObject = stream;
  el.muted = true;
  el.play();
  const ctx = new AudioContext({ sampleRate: 8000 });
  const src = ctx.createMediaStreamSource(stream);
  const proc = ctx.createScriptProcessor(2048, 1, 1);
  const got = [];
  let skip = 4000; // the first half second: the stream settling
  proc.onaudioprocess = (ev) => {
    const d = ev.inputBuffer.getChannelData(0);
    for (const x of d) {
      if (skip > 0) { skip--; continue; }
      if (got.length < 8000) got.push(Math.round(x * 32767));
    }
    if (got.length >= 8000 && !window.result.samples) window.result.samples = got;
  };
  src.connect(proc);
  proc.connect(ctx.destination);
}
main().catch((e) => { window.result.error = String(e); });
</script></body></html>`

func TestBrowserCallsIVROverWebSocket(t *testing.T) {
	testenv.SkipUnderRace(t, "a Chromium browser making a WebRTC call")
	t.Parallel()
	if chromium() == "" {
		t.Skip("no Chromium found (apt-get install chromium, or set IVRD_CHROMIUM): the WebRTC browser call test is skipped")
	}
	dir := t.TempDir()
	path := writeConfig(t, webrtcConfig)
	writeTone(t, filepath.Join(filepath.Dir(path), "tone.wav"), 1000, 20*time.Second)
	mic := filepath.Join(dir, "mic.wav")
	nodetest.WriteTone(t, mic, 440, 5*time.Second)
	svc := startConfig(t, path)
	wsURL := "ws://" + svc.SIPAddr("ws").String()

	js, err := os.ReadFile(filepath.Join("..", "ui", "static", "js", "sipphone.js"))
	require.NoError(t, err)
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/sipphone.js" {
			w.Header().Set("Content-Type", "text/javascript")
			_, _ = w.Write(js)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		_, _ = fmt.Fprint(w, strings.ReplaceAll(webrtcPage, "WSURL", wsURL))
	}))
	t.Cleanup(page.Close)

	b := newBrowser(t, browserMediaFlags(mic)...)
	b.run("open the test page", chromedp.Navigate(page.URL), chromedp.WaitReady(chromedp.CSS("body")))
	b.waitFor("the call to connect", `window.result.state === 'connected' || window.result.error !== ''`)
	var state, failure string
	b.eval(`window.result.error`, &failure)
	require.Empty(t, failure)
	b.eval(`window.result.state`, &state)
	require.Equal(t, "connected", state)

	b.waitFor("a second of received audio", `window.result.samples !== null`)
	var pcm []int16
	b.eval(`window.result.samples`, &pcm)
	require.Len(t, pcm, 8000)
	var peak int16
	for _, x := range pcm {
		peak = max(peak, x, -x)
	}
	require.Greater(t, peak, int16(1000), "the page heard silence")
	require.Equal(t, 1000.0, toneIn(pcm, 440, 1000, 700, 300), "the page hears the prompt's 1000 Hz tone")

	var callID string
	b.eval(`window.phone.callId`, &callID)
	var pressed bool
	b.eval(`(window.phone.sendDigit('1'), true)`, &pressed)
	b.waitFor("ivrd to hang up after the key", `window.result.ended !== ''`)
	var ended string
	b.eval(`window.result.ended`, &ended)
	require.Equal(t, "hung up by ivrd", ended)
	rec := endedRecord(t, svc, callID)
	require.NotEmpty(t, rec.Keys, "the menu heard no key")
	require.Equal(t, "1", rec.Keys[0].Key)
	require.Equal(t, "rfc4733", rec.Keys[0].Method)
}

// browserMediaFlags are Chromium's fake microphone (a tone file), its
// permission granted without asking, loopback ICE candidates (the tests
// run on 127.0.0.1) and audio that plays without a user gesture.
func browserMediaFlags(mic string) []chromedp.ExecAllocatorOption {
	return []chromedp.ExecAllocatorOption{
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-file-for-fake-audio-capture", mic),
		chromedp.Flag("allow-loopback-in-peer-connection", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
	}
}

// The UI's phone: on the IVR's page, Call rings it over the server's
// ws:// listener, the timer runs, a key on the dial pad reaches the menu
// (its record holds it), and Hang up is offered while the call lasts.
func TestUIPhoneCallsTheIVR(t *testing.T) {
	testenv.SkipUnderRace(t, "a Chromium browser driving the web UI")
	t.Parallel()
	if chromium() == "" {
		t.Skip("no Chromium found (apt-get install chromium, or set IVRD_CHROMIUM): the UI phone test is skipped")
	}
	path := writeConfig(t, webrtcConfig)
	writeTone(t, filepath.Join(filepath.Dir(path), "tone.wav"), 1000, 20*time.Second)
	mic := filepath.Join(t.TempDir(), "mic.wav")
	nodetest.WriteTone(t, mic, 440, 5*time.Second)
	svc := startConfig(t, path)
	b := newBrowser(t, browserMediaFlags(mic)...)
	signIn(b, "http://"+svc.ctl.ln.Addr().String()+"/ui/", firstToken(t, svc))

	b.click("#btn-call")
	b.waitFor("the call to connect", `document.getElementById('phone-state') && document.getElementById('phone-state').textContent === 'connected'`)
	b.waitFor("the timer to run", `document.getElementById('phone-timer').textContent !== '0:00'`)
	var live string
	b.eval(`document.getElementById('btn-live').getAttribute('aria-pressed')`, &live)
	require.Equal(t, "true", live, "the live overlay follows the call")
	var callID string
	b.eval(`window.ivrdPhone.callId`, &callID)
	b.click(`#phone [data-key="1"]`)
	b.waitFor("the menu's hang-up", `document.getElementById('phone-state').textContent.startsWith('ended')`)
	rec := endedRecord(t, svc, callID)
	require.NotEmpty(t, rec.Keys, "the menu heard no key")
	require.Equal(t, "1", rec.Keys[0].Key)
}
