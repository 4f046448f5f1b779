package node

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/cdr"
	"github.com/ivrd/ivrd/internal/testenv"
	"github.com/ivrd/ivrd/node/nodetest"
	"github.com/ivrd/ivrd/sip/siptest"
)

func writeConfig(t testing.TB, text string, repl ...string) string {
	t.Helper()
	return nodetest.WriteConfig(t, text, repl...)
}

func newCaller(t *testing.T) *siptest.Caller {
	t.Helper()
	c, err := siptest.NewCaller("udp")
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

// testOptions are a test node's Options: its management API on
// 127.0.0.1:0, so that no test needs the default port 8080 free, and
// webhook retries after 20 ms up to 200 ms, so that a test sees a
// receiver's recovery within its bounds, and no overload guard: these
// tests run many servers at once in one process on a shared machine,
// where the pacers' lateness measures the machine (the guard's own
// behaviour is media's TestOverloadFromPacerLateness and
// TestOverloadGuardIsTheServers, and sip's TestOverloadIsServiceUnavailable).
func testOptions(path string, w io.Writer, level string) Options {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		panic(err)
	}
	return Options{ConfigPath: path, Log: slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), APIListen: "127.0.0.1:0",
		WebhookRetryMin: 20 * time.Millisecond, WebhookRetryMax: 200 * time.Millisecond, NoOverloadGuard: true}
}

// newService builds a test node (not started).
func newService(path string, w io.Writer, level string) (*Node, error) {
	return New(testOptions(path, w, level))
}

func startConfig(t testing.TB, path string, opts ...func(*Options)) *Node {
	t.Helper()
	o := testOptions(path, os.Stderr, "warn")
	for _, f := range opts {
		f(&o)
	}
	svc, err := New(o)
	require.NoError(t, err)
	require.NoError(t, svc.Start(context.Background()))
	t.Cleanup(svc.Close)
	return svc
}

// writeTone writes an 8 kHz 16-bit mono WAV holding a sine of freq Hz.
func writeTone(t *testing.T, path string, freq float64, dur time.Duration) []int16 {
	t.Helper()
	return nodetest.WriteTone(t, path, freq, dur)
}

// sendEvent sends one RFC 4733 key press as a real phone does
// (nodetest.SendEvent).
func sendEvent(t *testing.T, c *siptest.Caller, to netip.AddrPort, pt uint8, key byte, seq *uint16, ts uint32) {
	t.Helper()
	nodetest.SendEvent(t, c, to, pt, key, seq, ts)
}

func toneIn(pcm []int16, candidates ...float64) float64 { return nodetest.ToneIn(pcm, candidates...) }

func heard(pkts []siptest.Packet) []float64 { return nodetest.Heard(pkts) }

// waitHeard waits (bounded) until the tones the caller heard, in order,
// are want: a test acts on what the caller hears, not on the clock.
func waitHeard(t *testing.T, c *siptest.Caller, want ...float64) {
	t.Helper()
	nodetest.WaitUntil(t, nodetest.Patience, func() bool {
		got := heard(c.Packets())
		if len(got) > len(want) {
			require.Equal(t, want, got, "tones heard")
		}
		return slices.Equal(got, want)
	}, func() string { return fmt.Sprintf("tones heard: %v, want %v", heard(c.Packets()), want) })
}

// waitPrompt waits until the caller hears its menu's prompt: the menu
// listens for keys from then on (nodetest.WaitPrompt).
func waitPrompt(t *testing.T, c *siptest.Caller) {
	t.Helper()
	nodetest.WaitPrompt(t, c)
}

// waitUntil polls cond until it holds (nodetest.WaitUntil).
func waitUntil(t *testing.T, within time.Duration, cond func() bool, why func() string) {
	t.Helper()
	nodetest.WaitUntil(t, within, cond, why)
}

// endedRecord waits (bounded) for a call's record to be complete in the
// store and returns it.
func endedRecord(t *testing.T, svc *Node, id string) cdr.Record {
	t.Helper()
	var rec cdr.Record
	var err error
	require.Eventually(t, func() bool {
		rec, err = svc.ctl.st.Call(context.Background(), id)
		return err == nil && rec.State == cdr.StateEnded
	}, 15*time.Second, 20*time.Millisecond, "no ended record for call %s (last: %+v, %v)", id, rec, err)
	return rec
}

// transferDests lists each hand-off's destination and error, one a line.
func transferDests(rec cdr.Record) string {
	var b strings.Builder
	for _, tr := range rec.Transfers {
		fmt.Fprintf(&b, "%s %s %s\n", tr.Dest, tr.Method, tr.Error)
	}
	return b.String()
}

// startLogged starts a test node whose info log the test reads, to wait
// on what the node says it did; edit, when given, changes its options
// first.
func startLogged(t *testing.T, path string, edit ...func(*Options)) (*Node, *testenv.Buffer) {
	t.Helper()
	logs := &testenv.Buffer{}
	svc := startConfig(t, path, func(o *Options) {
		for _, f := range edit {
			f(o)
		}
		o.Log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	return svc, logs
}

// waitLogCount waits (bounded) until the log has n lines holding s.
func waitLogCount(t *testing.T, logs *testenv.Buffer, s string, n int) {
	t.Helper()
	waitUntil(t, nodetest.Patience, func() bool { return strings.Count(logs.String(), s) >= n },
		func() string {
			return fmt.Sprintf("%d of %q wanted in the log:\n%s", n, s, nodetest.Tail(logs.String(), 3000))
		})
}
