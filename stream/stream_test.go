package stream

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/ivr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// farEnd is a WebSocket server standing in for a bot: it records every
// message it reads and lets the test send its own.
type farEnd struct {
	srv   *httptest.Server
	mu    sync.Mutex
	msgs  []map[string]any
	hdr   http.Header
	conns chan *websocket.Conn
	read  bool // read what comes (false: never read)
}

func newFarEnd(t *testing.T, read bool) *farEnd {
	f := &farEnd{conns: make(chan *websocket.Conn, 4), read: read}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		f.mu.Lock()
		f.hdr = r.Header.Clone()
		f.mu.Unlock()
		c.SetReadLimit(1 << 20)
		f.conns <- c
		if !f.read {
			<-r.Context().Done()
			return
		}
		for {
			_, data, err := c.Read(context.Background())
			if err != nil {
				return
			}
			var m map[string]any
			if json.Unmarshal(data, &m) == nil {
				f.mu.Lock()
				f.msgs = append(f.msgs, m)
				f.mu.Unlock()
			}
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *farEnd) url() string { return "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/media" }

func (f *farEnd) messages(event string) []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []map[string]any
	for _, m := range f.msgs {
		if m["event"] == event {
			out = append(out, m)
		}
	}
	return out
}

func (f *farEnd) conn(t *testing.T) *websocket.Conn {
	t.Helper()
	select {
	case c := <-f.conns:
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("the stream never connected")
		return nil
	}
}

func send(t *testing.T, c *websocket.Conn, msg string) {
	t.Helper()
	require.NoError(t, c.Write(context.Background(), websocket.MessageText, []byte(msg)))
}

func testDialer(opt Options) *Dialer {
	opt.AllowPrivate = true
	return NewDialer(opt)
}

func open(t *testing.T, d *Dialer, req Request) *Stream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := d.Open(ctx, req)
	t.Cleanup(func() {
		cancel()
		<-s.Done()
	})
	return s
}

func pcmFrame(v int16) []int16 {
	f := make([]int16, FrameSamples)
	for i := range f {
		f[i] = v
	}
	return f
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	require.Eventually(t, cond, 5*time.Second, 5*time.Millisecond, "timed out: %s", what)
}

func TestStartAndMediaInOrder(t *testing.T) {
	f := newFarEnd(t, true)
	d := testDialer(Options{})
	s := open(t, d, Request{URL: f.url(), CallID: "call-1", Node: "ivr-1", BothTracks: true,
		Parameters: map[string]string{"caller": "555"}, Headers: map[string]string{"Authorization": "Bearer t0k"}})
	f.conn(t)
	for i := range 50 {
		s.Inbound(pcmFrame(int16(i * 100)))
	}
	s.Outbound(pcmFrame(0))
	eventually(t, "51 media messages", func() bool { return len(f.messages("media")) == 51 })

	require.Len(t, f.messages("connected"), 1)
	start := f.messages("start")
	require.Len(t, start, 1)
	body := start[0]["start"].(map[string]any)
	assert.Equal(t, s.ID(), body["streamSid"])
	assert.True(t, strings.HasPrefix(s.ID(), "MZ"))
	assert.Equal(t, "call-1", body["callSid"])
	assert.Equal(t, []any{"inbound", "outbound"}, body["tracks"])
	assert.Equal(t, map[string]any{"caller": "555"}, body["customParameters"])
	assert.Equal(t, map[string]any{"encoding": "audio/x-mulaw", "sampleRate": float64(8000), "channels": float64(1)}, body["mediaFormat"])
	f.mu.Lock()
	assert.Equal(t, "Bearer t0k", f.hdr.Get("Authorization"), "configured headers go with the handshake")
	f.mu.Unlock()

	inbound := 0
	for _, m := range f.messages("media") {
		md := m["media"].(map[string]any)
		if md["track"] != "inbound" {
			continue
		}
		inbound++
		assert.Equal(t, strconvI(inbound), md["chunk"], "chunks in order, none lost")
		assert.Equal(t, strconvI((inbound-1)*20), md["timestamp"])
		raw, err := base64.StdEncoding.DecodeString(md["payload"].(string))
		require.NoError(t, err)
		require.Len(t, raw, FrameSamples)
		assert.Equal(t, audio.EncodeSample(int16((inbound-1)*100), audio.PCMU), raw[0])
	}
	assert.Equal(t, 50, inbound)
	assert.Zero(t, s.Dropped())

	s.Stop()
	eventually(t, "the stop message", func() bool { return len(f.messages("stop")) == 1 })
	stop := f.messages("stop")[0]["stop"].(map[string]any)
	assert.Equal(t, "call-1", stop["callSid"])
	a, err := s.Result()
	assert.Nil(t, a)
	assert.NoError(t, err)
}

func strconvI(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

func TestPCM16kIsL16AtTwiceTheRate(t *testing.T) {
	f := newFarEnd(t, true)
	s := open(t, testDialer(Options{}), Request{URL: f.url(), Wide: true, Bidirectional: true})
	c := f.conn(t)
	s.Inbound(pcmFrame(1000))
	eventually(t, "a media message", func() bool { return len(f.messages("media")) == 1 })
	body := f.messages("start")[0]["start"].(map[string]any)
	assert.Equal(t, "audio/x-l16", body["mediaFormat"].(map[string]any)["encoding"])
	raw, err := base64.StdEncoding.DecodeString(f.messages("media")[0]["media"].(map[string]any)["payload"].(string))
	require.NoError(t, err)
	require.Len(t, raw, 4*FrameSamples, "320 samples of 16 bits")
	assert.Equal(t, int16(1000), int16(uint16(raw[4])|uint16(raw[5])<<8), "little-endian")

	// Back: 20 ms at 16 kHz of 2000 plays as a frame of 2000 at 8 kHz.
	back := make([]byte, 4*FrameSamples)
	for i := 0; i < len(back); i += 2 {
		back[i], back[i+1] = byte(2000&0xff), byte(2000>>8)
	}
	send(t, c, `{"event":"media","media":{"payload":"`+base64.StdEncoding.EncodeToString(back)+`"}}`)
	got := make([]int16, FrameSamples)
	eventually(t, "the frame to play", func() bool { return s.NextFrame(got) })
	assert.Equal(t, int16(2000), got[0])
	assert.Equal(t, int16(2000), got[FrameSamples-1])
}

// A far end's media plays frame by frame; a mark comes back only once
// the audio before it was played; clear drops what is queued and echoes
// the marks still waiting.
func TestPlayMarkAndClear(t *testing.T) {
	f := newFarEnd(t, true)
	s := open(t, testDialer(Options{}), Request{URL: f.url(), Bidirectional: true})
	c := f.conn(t)
	two := make([]byte, 2*FrameSamples)
	for i := range two {
		two[i] = audio.EncodeSample(3000, audio.PCMU)
	}
	send(t, c, `{"event":"media","media":{"payload":"`+base64.StdEncoding.EncodeToString(two)+`"}}`)
	send(t, c, `{"event":"mark","mark":{"name":"greeting-done"}}`)
	got := make([]int16, FrameSamples)
	eventually(t, "the first frame", func() bool { return s.NextFrame(got) })
	assert.Equal(t, audio.DecodeSample(audio.EncodeSample(3000, audio.PCMU), audio.PCMU), got[0])
	// The mark came after two frames: one played, it must not be back yet.
	eventually(t, "the mark queued", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.marks) == 1
	})
	assert.Empty(t, f.messages("mark"))
	require.True(t, s.NextFrame(got))
	eventually(t, "the mark echoed", func() bool { return len(f.messages("mark")) == 1 })
	assert.Equal(t, "greeting-done", f.messages("mark")[0]["mark"].(map[string]any)["name"])
	assert.False(t, s.NextFrame(got), "nothing more to play")

	// A long answer, a mark after it, then clear (the caller spoke).
	long := make([]byte, 50*FrameSamples)
	send(t, c, `{"event":"media","media":{"payload":"`+base64.StdEncoding.EncodeToString(long)+`"}}`)
	send(t, c, `{"event":"mark","mark":{"name":"answer-done"}}`)
	send(t, c, `{"event":"clear"}`)
	eventually(t, "the cleared mark echoed", func() bool { return len(f.messages("mark")) == 2 })
	assert.False(t, s.NextFrame(got), "clear dropped the queued audio")
}

// A far end that never reads: capturing never waits on it, the oldest
// frames are dropped and counted, and Stop still ends the stream.
func TestConsumerThatNeverReads(t *testing.T) {
	f := newFarEnd(t, false)
	d := testDialer(Options{Queue: 200 * time.Millisecond})
	s := open(t, d, Request{URL: f.url()})
	f.conn(t)
	frame := pcmFrame(1234)
	// Far more than any socket buffer holds: 100,000 frames (~30 MB of
	// messages) captured back to back.
	for range 100000 {
		s.Inbound(frame)
	}
	assert.Positive(t, s.Dropped())
	assert.Equal(t, s.Dropped(), d.Totals().FramesDropped)
	s.Stop()
	eventually(t, "the writer gave up", func() bool { return d.Totals().Active == 0 })
}

func TestEndWithADestination(t *testing.T) {
	f := newFarEnd(t, true)
	decode := func(raw []byte) (*ivr.Answer, error) {
		var m map[string]string
		if err := json.Unmarshal(raw, &m); err != nil || m["extension"] != "1001" {
			return nil, errors.New("unknown extension")
		}
		return &ivr.Answer{Dest: &ivr.Destination{Kind: ivr.KindExtension, Target: "1001"}}, nil
	}
	s := open(t, testDialer(Options{}), Request{URL: f.url(), Decode: decode})
	send(t, f.conn(t), `{"event":"end","destination":{"extension":"1001"}}`)
	<-s.Done()
	a, err := s.Result()
	require.NoError(t, err)
	assert.Equal(t, "1001", a.Dest.Target)

	s = open(t, testDialer(Options{}), Request{URL: f.url(), Decode: decode})
	send(t, f.conn(t), `{"event":"end","destination":{"extension":"9"}}`)
	<-s.Done()
	_, err = s.Result()
	assert.ErrorContains(t, err, "unknown extension")

	s = open(t, testDialer(Options{}), Request{URL: f.url(), Decode: decode})
	c := f.conn(t)
	send(t, c, `{"event":"media"}`) // garbage is ignored, not fatal
	send(t, c, `not json`)
	require.NoError(t, c.Close(websocket.StatusNormalClosure, "bye"))
	<-s.Done()
	a, err = s.Result()
	assert.NoError(t, err, "a far end that closes ends the stream: then")
	assert.Nil(t, a)
}

func TestPrivateTargetsRefusedByDefault(t *testing.T) {
	f := newFarEnd(t, true)
	d := NewDialer(Options{})
	s := d.Open(context.Background(), Request{URL: f.url()})
	<-s.Done()
	_, err := s.Result()
	assert.ErrorIs(t, err, ErrRefusedTarget)
	assert.Equal(t, int64(1), d.Totals().Failed)
}

func TestMediaSideAllocatesNothing(t *testing.T) {
	d := testDialer(Options{})
	s := newStream(d, Request{BothTracks: true, Bidirectional: true}, "MZtest", 50)
	s.queuePlay(make([]int16, 100*FrameSamples))
	frame := pcmFrame(7)
	out := make([]int16, FrameSamples)
	allocs := testing.AllocsPerRun(200, func() {
		s.Inbound(frame)
		s.Outbound(frame)
		s.NextFrame(out)
		<-s.wake
	})
	assert.Zero(t, allocs)
	allocs = testing.AllocsPerRun(200, func() {
		s.Inbound(frame)
		s.next()
		s.mediaMessage()
	})
	assert.Zero(t, allocs, "the writer encodes into reused buffers too")
}

// A redirect is not followed: the stream fails (the fallback runs).
func TestRedirectNotFollowed(t *testing.T) {
	f := newFarEnd(t, true)
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, f.srv.URL+"/media", http.StatusFound)
	}))
	t.Cleanup(redirect.Close)
	s := open(t, testDialer(Options{}), Request{URL: "ws" + strings.TrimPrefix(redirect.URL, "http")})
	<-s.Done()
	_, err := s.Result()
	assert.Error(t, err)
	select {
	case <-f.conns:
		t.Fatal("the redirect was followed")
	default:
	}
}

// Stopped while the far end has not answered the handshake: the stream
// ends at once and does not count as a failure.
func TestStopWhileDialling(t *testing.T) {
	hold := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-hold:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(hold) })
	d := testDialer(Options{})
	s := d.Open(context.Background(), Request{URL: "ws" + strings.TrimPrefix(srv.URL, "http")})
	s.Stop()
	<-s.Done()
	eventually(t, "the dial given up", func() bool { return d.Totals().Active == 0 })
	assert.Zero(t, d.Totals().Failed)
}
