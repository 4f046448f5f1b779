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

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/internal/testenv"
	"github.com/ivrd/ivrd/node/nodetest"
	"github.com/ivrd/ivrd/sip/siptest"
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
// SIP-over-WebSocket phone (ui/static/js/sipphone.js) the number in its
// URL's fragment, and window.capture() records one second of what it
// hears, at 8 kHz, for the test to read back (window.result.samples).
const webrtcPage = `<!doctype html><html><body><script type="module">
import { SipPhone } from './sipphone.js';
window.result = { state: '', ended: '', samples: null, error: '' };
let want = 0;
const got = [];
window.capture = () => { window.result.samples = null; got.length = 0; want = 8000; };
async function main() {
  const mic = await navigator.mediaDevices.getUserMedia({ audio: true });
  // The fragment is the number to call, or NUMBER/USER/PASSWORD.
  const [number, user, password] = location.hash.slice(1).split('/');
  const phone = new SipPhone({ wsUrl: 'WSURL', user: user || 'browser', password: password || '', events: {
    onState: (s) => { window.result.state = s; },
    onEnded: (r) => { window.result.ended = r; },
    onTrack: record,
  } });
  window.phone = phone;
  await phone.call(number || '100', mic);
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
  proc.onaudioprocess = (ev) => {
    if (want === 0) return;
    for (const x of ev.inputBuffer.getChannelData(0)) {
      if (got.length < want) got.push(Math.round(x * 32767));
    }
    if (got.length >= want) { window.result.samples = got.slice(); want = 0; }
  };
  src.connect(proc);
  proc.connect(ctx.destination);
}
main().catch((e) => { window.result.error = String(e); });
</script></body></html>`

// webrtcPageServer serves the test page and the UI's phone module.
func webrtcPageServer(t *testing.T, wsURL string) string {
	t.Helper()
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
	return page.URL
}

// heardInPage waits for a second of what the page hears and returns its
// tone among the candidates, failing on silence.
func heardInPage(t *testing.T, b *browser, candidates ...float64) float64 {
	t.Helper()
	tone, peak := pageTone(t, b, candidates...)
	require.Greater(t, peak, int16(1000), "the page heard silence")
	return tone
}

// pageTone records a second in the page: its tone and its peak.
func pageTone(t *testing.T, b *browser, candidates ...float64) (float64, int16) {
	t.Helper()
	var started bool
	b.eval(`(window.capture(), true)`, &started)
	b.waitFor("a second of received audio", `window.result.samples !== null`)
	var pcm []int16
	b.eval(`window.result.samples`, &pcm)
	require.Len(t, pcm, 8000)
	var peak int16
	for _, x := range pcm {
		peak = max(peak, x, -x)
	}
	return toneIn(pcm, candidates...), peak
}

// connectPage opens the test page calling number and waits for the call.
func connectPage(t *testing.T, b *browser, url, number string) {
	t.Helper()
	b.run("open the test page", chromedp.Navigate("about:blank"), chromedp.Navigate(url+"/#"+number), chromedp.WaitReady(chromedp.CSS("body")))
	b.waitFor("the call to connect", `window.result.state === 'connected' || window.result.error !== '' || window.result.ended !== ''`)
	var res struct{ State, Error, Ended string }
	b.eval(`window.result`, &res)
	require.Equal(t, "connected", res.State, "error %q, ended %q", res.Error, res.Ended)
}

func TestBrowserCallsIVROverWebSocket(t *testing.T) {
	testenv.SkipUnderRace(t, "a Chromium browser making a WebRTC call")
	t.Parallel()
	if chromium() == "" {
		t.Skip("no Chromium found (apt-get install chromium, or set IVRD_CHROMIUM): the WebRTC browser call test is skipped")
	}
	path := writeConfig(t, webrtcConfig)
	writeTone(t, filepath.Join(filepath.Dir(path), "tone.wav"), 1000, 20*time.Second)
	mic := filepath.Join(t.TempDir(), "mic.wav")
	nodetest.WriteTone(t, mic, 440, 5*time.Second)
	svc := startConfig(t, path)
	url := webrtcPageServer(t, "ws://"+svc.SIPAddr("ws").String())
	b := newBrowser(t, browserMediaFlags(mic)...)
	connectPage(t, b, url, "100")
	require.Equal(t, 1000.0, heardInPage(t, b, 440, 1000, 700, 300), "the page hears the prompt's 1000 Hz tone")

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

// A browser caller handed to a SIP phone: REFER is not tried (browsers
// refuse it), transfer: auto bridges, and audio crosses both ways with
// transcoding (the page speaks PCMU, the phone PCMA): the page hears the
// phone's 1 kHz, the phone hears the page's 440 Hz microphone.
func TestBrowserCallBridgedToSIPPhone(t *testing.T) {
	testenv.SkipUnderRace(t, "a Chromium browser making a WebRTC call")
	t.Parallel()
	if chromium() == "" {
		t.Skip("no Chromium found (apt-get install chromium, or set IVRD_CHROMIUM): the WebRTC bridge test is skipped")
	}
	far := siptest.NewFarEnd(t, "answer")
	path := writeConfig(t, `
server:
  sip: { listen: ["udp://127.0.0.1:0", "ws://127.0.0.1:0"], ws_anonymous_dialout: true }
  media: { rtp_ports: "RTP_RANGE" }
prompts_dir: "PROMPTS"
ivrs:
  - { id: main, extensions: ["100"], prompt: low, response_timeout: 10s, transfer: auto, keys: { "2": { uri: "FAR" }, default: hangup } }
`, "FAR", far.URI())
	writeTone(t, filepath.Join(filepath.Dir(path), "low.wav"), 700, 20*time.Second)
	mic := filepath.Join(t.TempDir(), "mic.wav")
	nodetest.WriteTone(t, mic, 440, 20*time.Second)
	svc := startConfig(t, path)
	url := webrtcPageServer(t, "ws://"+svc.SIPAddr("ws").String())
	b := newBrowser(t, browserMediaFlags(mic)...)
	connectPage(t, b, url, "100")
	require.Equal(t, 700.0, heardInPage(t, b, 440, 1000, 700, 300), "the menu's prompt first")

	var pressed bool
	b.eval(`(window.phone.sendDigit('2'), true)`, &pressed)
	select {
	case <-far.Invites:
	case <-time.After(10 * time.Second):
		t.Fatal("the SIP phone was not called")
	}
	// Each capture is a second of real audio; the bridge is up within a
	// few.
	heard := 0.0
	for range 10 {
		if tone, peak := pageTone(t, b, 440, 1000, 700, 300); peak > 1000 && tone == 1000 {
			heard = tone
			break
		}
	}
	require.Equal(t, 1000.0, heard, "the page does not hear the phone's 1 kHz")
	require.Eventually(t, func() bool {
		pkts := far.Packets()
		if len(pkts) < 60 {
			return false
		}
		var pcm []int16
		for _, p := range pkts[len(pkts)-50:] {
			frame := make([]int16, len(p.Payload))
			audio.DecodeG711(frame, p.Payload, audio.PCMA)
			pcm = append(pcm, frame...)
		}
		return toneIn(pcm, 440, 1000, 700, 300) == 440
	}, 15*time.Second, 100*time.Millisecond, "the phone does not hear the page's 440 Hz microphone")
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

// With ws_require_auth, the page's phone answers ivrd's digest challenge
// with an extension's password (its own MD5, sipphone.js) and gets the
// call; a wrong password gets none.
func TestBrowserCallerAuthenticates(t *testing.T) {
	testenv.SkipUnderRace(t, "a Chromium browser making a WebRTC call")
	t.Parallel()
	if chromium() == "" {
		t.Skip("no Chromium found (apt-get install chromium, or set IVRD_CHROMIUM): the WebRTC authentication test is skipped")
	}
	path := writeConfig(t, strings.Replace(webrtcConfig, `"ws://127.0.0.1:0"] }`, `"ws://127.0.0.1:0"], ws_require_auth: true }`, 1)+
		`extensions: [{ number: "200", password: "Br0wser-pass" }]`+"\n")
	writeTone(t, filepath.Join(filepath.Dir(path), "tone.wav"), 1000, 20*time.Second)
	mic := filepath.Join(t.TempDir(), "mic.wav")
	nodetest.WriteTone(t, mic, 440, 5*time.Second)
	svc := startConfig(t, path)
	url := webrtcPageServer(t, "ws://"+svc.SIPAddr("ws").String())
	b := newBrowser(t, browserMediaFlags(mic)...)

	b.run("open the test page", chromedp.Navigate(url+"/#100/200/wrong"), chromedp.WaitReady(chromedp.CSS("body")))
	b.waitFor("the refusal", `window.result.ended !== '' || window.result.error !== ''`)
	var ended string
	b.eval(`window.result.ended`, &ended)
	require.Equal(t, "refused: 403 Forbidden", ended)

	connectPage(t, b, url, "100/200/Br0wser-pass")
	require.Equal(t, 1000.0, heardInPage(t, b, 440, 1000, 700, 300))
}
