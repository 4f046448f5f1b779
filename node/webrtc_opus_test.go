//go:build opus

package node

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/internal/testenv"
	"github.com/ivrd/ivrd/node/nodetest"
)

// A browser calling with Opus (Chromium offers it first): with opus
// first in server.media.codecs the WebRTC call is answered in Opus, the
// page hears the prompt through libopus both ways, and its key reaches
// the menu.
func TestBrowserCallsInOpus(t *testing.T) {
	testenv.SkipUnderRace(t, "a Chromium browser making a WebRTC call")
	t.Parallel()
	if chromium() == "" {
		t.Skip("no Chromium found (apt-get install chromium, or set IVRD_CHROMIUM): the Opus browser call test is skipped")
	}
	path := writeConfig(t, strings.Replace(webrtcConfig, `media: { rtp_ports: "RTP_RANGE" }`,
		`media: { rtp_ports: "RTP_RANGE", codecs: [opus, PCMU] }`, 1))
	writeTone(t, filepath.Join(filepath.Dir(path), "tone.wav"), 1000, 20*time.Second)
	mic := filepath.Join(t.TempDir(), "mic.wav")
	nodetest.WriteTone(t, mic, 440, 5*time.Second)
	svc, logs := startLogged(t, path)
	url := webrtcPageServer(t, "ws://"+svc.SIPAddr("ws").String())
	b := newBrowser(t, browserMediaFlags(mic)...)
	connectPage(t, b, url, "100")
	waitLogCount(t, logs, "codec=opus", 1)
	// "connected" is the signalling's; ICE, DTLS and the browser's Opus
	// decoder may take a moment more on a busy machine: listen a second at
	// a time (bounded) until the page hears something, then judge it.
	var tone float64
	var peak int16
	for range 8 {
		if tone, peak = pageTone(t, b, 440, 1000, 700, 300); peak > 1000 {
			break
		}
	}
	require.Greater(t, peak, int16(1000), "the page heard silence for 8 s")
	require.Equal(t, 1000.0, tone, "the page hears the prompt's 1000 Hz tone in Opus")

	var callID string
	b.eval(`window.phone.callId`, &callID)
	var pressed bool
	b.eval(`(window.phone.sendDigit('1'), true)`, &pressed)
	b.waitFor("ivrd to hang up after the key", `window.result.ended !== ''`)
	rec := endedRecord(t, svc, callID)
	require.NotEmpty(t, rec.Keys, "the menu heard no key")
	require.Equal(t, "1", rec.Keys[0].Key)
}
