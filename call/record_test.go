package call_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/call"
	"github.com/ivrd/ivrd/dtmf"
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/media"
	"github.com/ivrd/ivrd/prompts"
	ivrdsip "github.com/ivrd/ivrd/sip"
	"github.com/ivrd/ivrd/sip/siptest"
)

// rig is a SIP server whose calls the call package owns; every finished
// call's record comes out on records.
type rig struct {
	srv          *ivrdsip.Server
	records      chan *call.Record
	voicemailDir string
	live         *call.Live
	events       chan call.Event
	plays        chan string   // the prompts the calls begin, in order (the "play" log line)
	digits       chan struct{} // one per key a call's collector heard (the "digit" log line)
}

// playWatch passes Warn and above to the test's log, hands the prompt
// of each "play" line the call logs to plays, and tells digits of each
// "digit" line.
type playWatch struct {
	slog.Handler
	plays  chan<- string
	digits chan<- struct{}
}

func (h playWatch) Enabled(context.Context, slog.Level) bool { return true }

func (h playWatch) Handle(ctx context.Context, rec slog.Record) error {
	if rec.Message == "play" {
		rec.Attrs(func(a slog.Attr) bool {
			if a.Key == "prompt" {
				select {
				case h.plays <- a.Value.String():
				default: // a test that does not read them
				}
			}
			return true
		})
	}
	if rec.Message == "digit" {
		select {
		case h.digits <- struct{}{}:
		default:
		}
	}
	if rec.Level < slog.LevelWarn {
		return nil
	}
	return h.Handler.Handle(ctx, rec)
}

func (h playWatch) WithAttrs(as []slog.Attr) slog.Handler {
	return playWatch{h.Handler.WithAttrs(as), h.plays, h.digits}
}

func (h playWatch) WithGroup(name string) slog.Handler {
	return playWatch{h.Handler.WithGroup(name), h.plays, h.digits}
}

// waitPlays waits until the calls have begun n more prompts.
func (r *rig) waitPlays(t *testing.T, n int, what string) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for i := 0; i < n; i++ {
		select {
		case <-r.plays:
		case <-timeout:
			t.Fatalf("%s: %d of %d prompts begun in 10 s", what, i, n)
		}
	}
}

func newRig(t *testing.T, yaml string) *rig {
	t.Helper()
	return newRigWith(t, yaml, nil)
}

// newRigWith lets a test change the handler's options.
func newRigWith(t *testing.T, yaml string, opts func(*call.Options)) *rig {
	t.Helper()
	cfg, err := ivr.Parse([]byte(yaml))
	require.NoError(t, err)
	cfg.VoicemailDir = t.TempDir()
	lib := prompts.Builtin().With(prompts.Tone("beep", 500, 500, -10, 200, 0)).
		With(prompts.Tone("voicemail-default", 600, 600, -10, 300, 0)).
		With(prompts.Tone("goodbye", 700, 700, -10, 300, 0))
	snap := &call.Snapshot{Config: cfg, Prompts: lib}
	// 100 pairs shared by the rigs of tests running in parallel (a pair
	// one holds fails to bind for the others, which draw another).
	base := 27000 + (os.Getpid()%10)*200
	engine, err := media.NewEngine(media.EngineConfig{BindIP: netip.MustParseAddr("127.0.0.1"), PortMin: base, PortMax: base + 199, Pacers: 1})
	require.NoError(t, err)
	r := &rig{records: make(chan *call.Record, 4), voicemailDir: cfg.VoicemailDir, events: make(chan call.Event, 64),
		plays: make(chan string, 64), digits: make(chan struct{}, 16)}
	log := slog.New(playWatch{slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}), r.plays, r.digits})
	o := call.Options{
		Snapshot: func() *call.Snapshot { return snap },
		Digits:   ivr.DigitMethods{RFC4733: true, Inband: true, Info: true, InbandMode: ivr.InbandAuto},
		Records:  func(rec *call.Record) { r.records <- rec },
		Events: func(ev call.Event) {
			select {
			case r.events <- ev:
			default: // a test that does not read them
			}
		},
		Log: log,
	}
	if opts != nil {
		opts(&o)
	}
	h := call.NewHandler(o)
	r.live = h.Live()
	r.srv, err = ivrdsip.NewServer(ivrdsip.Config{Listen: []string{"udp://127.0.0.1:0"}, Codecs: []audio.Codec{audio.PCMU, audio.PCMA}}, engine, h, o.Log)
	require.NoError(t, err)
	require.NoError(t, r.srv.Start(context.Background()))
	t.Cleanup(func() {
		r.srv.Close()
		engine.Close()
	})
	return r
}

// waitEvent reads the call's events until one matches, failing after 10 s.
func (r *rig) waitEvent(t *testing.T, what string, match func(call.Event) bool) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev := <-r.events:
			if match(ev) {
				return
			}
		case <-timeout:
			t.Fatalf("no event: %s", what)
		}
	}
}

func (r *rig) record(t *testing.T) *call.Record {
	t.Helper()
	select {
	case rec := <-r.records:
		return rec
	case <-time.After(10 * time.Second):
		t.Fatal("no call record")
		return nil
	}
}

// press sends one RFC 4733 key press, paced as a phone sends it.
func press(t *testing.T, c *siptest.Caller, to netip.AddrPort, key byte, seq *uint16, ts uint32) {
	t.Helper()
	require.NoError(t, c.PressKey(to, siptest.KeyPress{Key: key, PayloadType: 101, Timestamp: ts, SSRC: 0xBEEF}, seq))
}

const bridgeMenu = `
ivrs:
  - id: main
    extensions: ["100"]
    prompt: beep
    transfer: bridge
    keys: { "1": { uri: "%s" } }
`

// bridgeCall places a call, presses 1 and waits for the far end to answer.
func bridgeCall(t *testing.T) (*rig, *siptest.Answered, *siptest.FarEnd) {
	t.Helper()
	far := siptest.NewFarEnd(t, "answer")
	r := newRig(t, fmt.Sprintf(bridgeMenu, far.URI()))
	c, err := siptest.NewCaller("udp")
	require.NoError(t, err)
	t.Cleanup(c.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	answered, err := c.Call(ctx, r.srv.Addr("udp"), "100")
	require.NoError(t, err)
	var seq uint16
	press(t, c, answered.Media, '1', &seq, 1000)
	require.Eventually(t, func() bool { return far.Dialog() != nil }, 5*time.Second, 20*time.Millisecond, "the far end was called")
	// ivrd sends the far end audio once it has ACKed the answer and
	// joined the legs.
	require.Eventually(t, func() bool { return len(far.Packets()) > 0 }, 5*time.Second, 10*time.Millisecond, "the legs joined")
	return r, answered, far
}

func TestRecordAfterBridgeFarEndHangsUpFirst(t *testing.T) {
	t.Parallel()
	r, _, far := bridgeCall(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, far.Dialog().Bye(ctx))
	rec := r.record(t)
	assert.Equal(t, call.EndBridgeEnded, rec.Reason)
	assert.Equal(t, call.SideFarEnd, rec.Side)
	assert.Equal(t, []string{"main"}, rec.Path)
	require.Len(t, rec.Keys, 1)
	assert.Equal(t, byte('1'), rec.Keys[0].Key)
	assert.Equal(t, dtmf.RFC4733, rec.Keys[0].Method)
	require.Len(t, rec.Transfers, 1)
	assert.Equal(t, ivr.TransferBridge, rec.Transfers[0].Method)
	assert.Empty(t, rec.Transfers[0].Err)
}

func TestRecordAfterBridgeCallerHangsUpFirst(t *testing.T) {
	t.Parallel()
	r, answered, far := bridgeCall(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, answered.Dialog.Bye(ctx))
	select {
	case <-far.Bye:
	case <-time.After(3 * time.Second):
		t.Fatal("far end got no BYE")
	}
	rec := r.record(t)
	assert.Equal(t, call.EndBridgeEnded, rec.Reason)
	assert.Equal(t, call.SideCaller, rec.Side)
}

func TestRecordCallerHangsUpInMenu(t *testing.T) {
	t.Parallel()
	r := newRig(t, fmt.Sprintf(bridgeMenu, "sip:nobody@127.0.0.1:9"))
	c, err := siptest.NewCaller("udp")
	require.NoError(t, err)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	answered, err := c.Call(ctx, r.srv.Addr("udp"), "100")
	require.NoError(t, err)
	r.waitEvent(t, "the menu entered", func(ev call.Event) bool { return ev.Type == call.EventMenuEntered })
	require.NoError(t, answered.Dialog.Bye(ctx))
	rec := r.record(t)
	assert.Equal(t, call.EndCallerHangup, rec.Reason)
	assert.Equal(t, call.SideCaller, rec.Side)
	assert.Equal(t, "caller hung up", rec.Outcome.String())
}
