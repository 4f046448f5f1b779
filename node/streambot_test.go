package node

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/emiago/sipgo/sip"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/examples/streambot/bot"
	"github.com/ivrd/ivrd/internal/testenv"
	"github.com/ivrd/ivrd/node/nodetest"
	"github.com/ivrd/ivrd/sip/siptest"
)

// wsURL is an httptest server's address as a stream URL.
func wsURL(srv *httptest.Server) string { return "ws://" + srv.Listener.Addr().String() + "/media" }

// streambotNode runs examples/streambot.yaml as written, but for its
// listeners and the bot's URL (an httptest server on 127.0.0.1: the
// example's allow_private lets ivrd reach it).
func streambotNode(t *testing.T, botURL string, logs *testenv.Buffer) *Node {
	t.Helper()
	b, err := os.ReadFile("../examples/streambot.yaml")
	require.NoError(t, err)
	text := strings.Replace(string(b), `url: "ws://127.0.0.1:8091/media"`, `url: "`+botURL+`"`, 1)
	require.NotEqual(t, string(b), text, "the example's stream URL")
	text = "server:\n  sip: { listen: [\"udp://127.0.0.1:0\"] }\n  media: { rtp_ports: \"RTP_RANGE\" }\n" + text
	return startConfig(t, writeConfig(t, text), func(o *Options) {
		o.Log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
}

// echoPackets counts the loud packets whose tone is freq (of 700 and 1000).
func echoPackets(pkts []siptest.Packet, freq float64) int {
	n := 0
	for _, p := range pkts {
		if nodetest.Loud(p) && nodetest.ToneIn(ulawPCM(p.Payload), 700, 1000) == freq {
			n++
		}
	}
	return n
}

func ulawPCM(payload []byte) []int16 {
	pcm := make([]int16, len(payload))
	for i, b := range payload {
		pcm[i] = ulawSample(b)
	}
	return pcm
}

// ulawSample decodes one µ-law byte (G.711).
func ulawSample(b byte) int16 {
	b = ^b
	exp, mant := int(b>>4)&7, int(b&0x0f)
	v := ((mant << 3) + 0x84) << exp
	v -= 0x84
	if b&0x80 != 0 {
		return int16(-v)
	}
	return int16(v)
}

// The example end to end with a real SIP call: key 1 streams the caller
// to the echo bot, which sends every frame back: the caller hears their
// own tone. The bot's marks come back once played; a 5 s burst it sends
// is cut short by its clear (the burst's mark comes back at once); and
// its end message sends the call to extension 1001.
func TestStreamBotEchoesTheCaller(t *testing.T) {
	b := bot.New()
	srv := httptest.NewServer(b)
	t.Cleanup(srv.Close)
	logs := &testenv.Buffer{}
	svc := streambotNode(t, wsURL(srv), logs)
	c := newCaller(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	call, err := c.Call(ctx, svc.sip.Addr("udp"), "400")
	require.NoError(t, err)
	var seq uint16
	ts := uint32(1000)
	press := func(k byte) {
		sendEvent(t, c, call.Media, 101, k, &seq, ts)
		ts += 1600
	}
	press('1')
	nodetest.WaitUntil(t, nodetest.Patience, func() bool { return len(b.Stats().Started) == 1 },
		func() string { return "the bot never got a start: " + nodetest.Tail(logs.String(), 2000) })
	st := b.Stats().Started[0]
	assert.Equal(t, []string{"inbound"}, st.Tracks)
	assert.Equal(t, "audio/x-mulaw", st.Encoding)
	assert.Equal(t, call.Dialog.InviteRequest.CallID().Value(), st.CallSid)
	assert.Contains(t, st.Parameters, "caller")

	// The echo: 2 s of 700 Hz, heard back.
	c.ResetPackets()
	require.NoError(t, c.SendTone(call.Media, 700, 100, &seq))
	nodetest.WaitUntil(t, nodetest.Patience, func() bool { return echoPackets(c.Packets(), 700) >= 50 },
		func() string { return fmt.Sprintf("the echo was not heard: %v", nodetest.Heard(c.Packets())) })
	nodetest.WaitUntil(t, nodetest.Patience, func() bool { return slices.Contains(b.Stats().Marks, "echo-1") },
		func() string { return fmt.Sprintf("mark echo-1 not back: %+v", b.Stats()) })

	// Barge-in: a 5 s burst, cleared once it is heard.
	c.ResetPackets()
	press('5')
	nodetest.WaitUntil(t, nodetest.Patience, func() bool { return echoPackets(c.Packets(), 1000) >= 5 },
		func() string { return fmt.Sprintf("the burst was not heard: %v", nodetest.Heard(c.Packets())) })
	press('*')
	nodetest.WaitUntil(t, nodetest.Patience, func() bool { return slices.Contains(b.Stats().Marks, "burst") },
		func() string { return fmt.Sprintf("the burst's mark did not come back: %+v", b.Stats()) })
	at := len(c.Packets())
	nodetest.WaitUntil(t, nodetest.Patience, func() bool { return len(c.Packets()) >= at+50 },
		func() string { return "the call went quiet: no packets after the clear" })
	heardBurst := echoPackets(c.Packets(), 1000)
	assert.Less(t, heardBurst, 250, "the clear dropped the rest of the 5 s (250-frame) burst")
	assert.LessOrEqual(t, echoPackets(c.Packets()[at:], 1000), 3, "nothing of the burst after its mark came back")
	assert.Contains(t, b.Stats().Digits, "5*", "the caller's keys reach the bot as dtmf")

	// The bot ends the stream: the call goes to extension 1001.
	press('#')
	ref, err := c.WaitRequest(sip.REFER, nodetest.Patience)
	require.NoError(t, err, "no REFER: %s", nodetest.Tail(logs.String(), 2000))
	assert.Contains(t, ref.GetHeader("Refer-To").Value(), "frontdesk")
	nodetest.WaitUntil(t, nodetest.Patience, func() bool { return b.Stats().Stops == 1 },
		func() string { return "the bot got no stop" })
	assert.Contains(t, logs.String(), "stream_ended")
}

// sluggish is a WebSocket server whose connections never read and
// receive into the smallest buffer the kernel allows, so a stream's
// writer blocks within a second of audio.
func sluggish(t *testing.T) *httptest.Server {
	t.Helper()
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 1) })
		if err != nil {
			return err
		}
		return serr
	}}
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	require.NoError(t, err)
	stop := make(chan struct{})
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer func() { _ = c.CloseNow() }()
		select { // never reads
		case <-stop:
		case <-r.Context().Done():
		}
	}))
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(stop) }) // runs before srv.Close
	return srv
}

var streamIDPattern = regexp.MustCompile(`stream=(MZ[0-9a-f]{32})`)

// A consumer that never reads: its stream loses its oldest frames
// (counted in /metrics), the call it taps goes on (stopped through the
// API, it goes to then and hears it), and another call meanwhile hears
// its whole prompt with no packet missing.
func TestStreamConsumerThatNeverReads(t *testing.T) {
	srv := sluggish(t)
	logs := &testenv.Buffer{}
	path := writeConfig(t, `
server:
  sip: { listen: ["udp://127.0.0.1:0"] }
  media: { rtp_ports: "RTP_RANGE" }
prompts_dir: "PROMPTS"
streams: { allow_private: true, queue: 200ms }
ivrs:
  - id: slow
    extensions: ["401"]
    prompt: beep
    keys:
      "1":
        stream: { url: "URL", track: both, format: pcm16k }
        then: { play: after, then: hangup }
  - { id: other, extensions: ["402"], greeting: long, prompt: beep }
`, "URL", wsURL(srv))
	writeTone(t, filepath.Join(filepath.Dir(path), "long.wav"), 700, 4*time.Second)
	writeTone(t, filepath.Join(filepath.Dir(path), "after.wav"), 1000, 600*time.Millisecond)
	svc := startConfig(t, path, func(o *Options) {
		o.Log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	a := newCaller(t)
	callA, err := a.Call(ctx, svc.sip.Addr("udp"), "401")
	require.NoError(t, err)
	var seq uint16
	sendEvent(t, a, callA.Media, 101, '1', &seq, 1000)
	nodetest.WaitUntil(t, nodetest.Patience, func() bool { return streamIDPattern.MatchString(logs.String()) },
		func() string { return "no stream opened: " + nodetest.Tail(logs.String(), 2000) })

	b := newCaller(t)
	callB, err := b.Call(ctx, svc.sip.Addr("udp"), "402")
	require.NoError(t, err)
	_ = callB
	nodetest.WaitUntil(t, nodetest.Patience, func() bool { return svc.obs.streams.gauge().FramesDropped > 0 },
		func() string { return "no frame dropped: " + nodetest.Tail(logs.String(), 2000) })
	nodetest.WaitToneOver(t, b, 700, 700, 500)
	pkts := b.Packets()
	for i := 1; i < len(pkts); i++ {
		require.Equal(t, pkts[i-1].Header.SequenceNumber+1, pkts[i].Header.SequenceNumber, "call B lost no packet")
		require.Equal(t, pkts[i-1].Header.Timestamp+160, pkts[i].Header.Timestamp, "call B's stream is continuous")
	}

	// Call A still runs: stopping its stream through the API sends it to then.
	sid := streamIDPattern.FindStringSubmatch(logs.String())[1]
	id := callA.Dialog.InviteRequest.CallID().Value()
	code, body, _ := apiCall(t, svc, firstToken(t, svc), "DELETE", "/api/v1/calls/"+id+"/streams/"+sid, "", nil)
	require.Equal(t, http.StatusNoContent, code, string(body))
	nodetest.WaitUntil(t, nodetest.Patience, func() bool { return echoPackets(a.Packets(), 1000) >= 25 },
		func() string { return fmt.Sprintf("call A never heard its then: %v", nodetest.Heard(a.Packets())) })
	code, text := httpGet(t, svc, "/metrics")
	require.Equal(t, 200, code)
	m := regexp.MustCompile(`(?m)^ivrd_stream_frames_dropped_total (\d+)`).FindSubmatch(text)
	require.NotNil(t, m, "ivrd_stream_frames_dropped_total in /metrics")
	assert.NotEqual(t, "0", string(m[1]))
	assert.Contains(t, logs.String(), "frames dropped")
}

// The API forks a live call's audio: POST starts a listen-only stream
// (both tracks here), DELETE stops it; bad settings, an unknown call and
// an unknown stream are refused.
func TestAPIStreamsOnALiveCall(t *testing.T) {
	bt := bot.New()
	srv := httptest.NewServer(bt)
	t.Cleanup(srv.Close)
	path := writeConfig(t, `
server:
  sip: { listen: ["udp://127.0.0.1:0"] }
  media: { rtp_ports: "RTP_RANGE" }
prompts_dir: "PROMPTS"
streams: { allow_private: true, max_per_call: 1 }
ivrs:
  - { id: other, extensions: ["402"], greeting: long, prompt: beep }
`)
	writeTone(t, filepath.Join(filepath.Dir(path), "long.wav"), 700, 10*time.Second)
	svc := startConfig(t, path)
	tok := firstToken(t, svc)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := newCaller(t)
	call, err := c.Call(ctx, svc.sip.Addr("udp"), "402")
	require.NoError(t, err)
	nodetest.WaitPrompt(t, c)
	id := call.Dialog.InviteRequest.CallID().Value()
	post := func(callID, body string) (int, string) {
		code, out, _ := apiCall(t, svc, tok, "POST", "/api/v1/calls/"+callID+"/streams", "application/json", []byte(body))
		return code, string(out)
	}
	code, out := post(id, `{"url":"`+wsURL(srv)+`","track":"both","parameters":{"who":"api"}}`)
	require.Equal(t, http.StatusCreated, code, out)
	sid := regexp.MustCompile(`"stream_id":\s*"(MZ[0-9a-f]{32})"`).FindStringSubmatch(out)
	require.NotNil(t, sid, out)
	nodetest.WaitUntil(t, nodetest.Patience, func() bool { return len(bt.Stats().Started) == 1 && bt.Stats().Messages > 50 },
		func() string { return fmt.Sprintf("the bot heard too little: %+v", bt.Stats()) })
	st := bt.Stats().Started[0]
	assert.Equal(t, []string{"inbound", "outbound"}, st.Tracks)
	assert.Equal(t, map[string]string{"who": "api"}, st.Parameters)

	code, out = post(id, `{"url":"`+wsURL(srv)+`"}`)
	assert.Equal(t, http.StatusConflict, code, "max_per_call: %s", out)
	code, out = post(id, `{"url":"http://bot.example/x"}`)
	assert.Equal(t, http.StatusBadRequest, code, out)
	assert.Contains(t, out, "ws://")
	code, out = post(id, `{"url":"`+wsURL(srv)+`","colour":"red"}`)
	assert.Equal(t, http.StatusBadRequest, code, out)
	code, _ = post("no-such-call", `{"url":"`+wsURL(srv)+`"}`)
	assert.Equal(t, http.StatusNotFound, code)

	code, _, _ = apiCall(t, svc, tok, "DELETE", "/api/v1/calls/"+id+"/streams/"+sid[1], "", nil)
	assert.Equal(t, http.StatusNoContent, code)
	nodetest.WaitUntil(t, nodetest.Patience, func() bool { return bt.Stats().Stops == 1 },
		func() string { return "the bot got no stop" })
	code, _, _ = apiCall(t, svc, tok, "DELETE", "/api/v1/calls/"+id+"/streams/"+sid[1], "", nil)
	assert.Equal(t, http.StatusNotFound, code, "a stream already stopped")
}
