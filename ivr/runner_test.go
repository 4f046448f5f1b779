package ivr

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeCall records what the runner asks of a call; the test plays the
// far side (prompt ends, transfer outcomes).
type fakeCall struct {
	ops   chan string
	known map[string]bool
	log   syncLog // what the runner logged

	mu     sync.Mutex
	onDone func()
	result func(error)
}

func newFakeCall(prompts ...string) *fakeCall {
	f := &fakeCall{ops: make(chan string, 100), known: map[string]bool{}}
	for _, p := range prompts {
		f.known[p] = true
	}
	return f
}

func (f *fakeCall) Play(p string, onDone func()) error {
	if !f.known[p] {
		return fmt.Errorf("prompt %q not loaded", p)
	}
	f.mu.Lock()
	f.onDone = onDone
	f.mu.Unlock()
	f.ops <- "play " + p
	return nil
}

func (f *fakeCall) StopPlayback() { f.ops <- "stop" }

func (f *fakeCall) Transfer(d *Destination, method string, result func(error)) {
	f.mu.Lock()
	f.result = result
	f.mu.Unlock()
	f.ops <- "transfer " + d.String() + "/" + method
}

func (f *fakeCall) Hangup(reason string) { f.ops <- "hangup " + reason }

// finishPrompt ends the current prompt naturally, from another goroutine
// as media does.
func (f *fakeCall) finishPrompt() {
	f.mu.Lock()
	done := f.onDone
	f.mu.Unlock()
	go done()
}

func (f *fakeCall) transferResult(err error) {
	f.mu.Lock()
	res := f.result
	f.mu.Unlock()
	go res(err)
}

func (f *fakeCall) expect(t *testing.T, want ...string) {
	t.Helper()
	for _, w := range want {
		select {
		case got := <-f.ops:
			require.Equal(t, w, got)
		case <-time.After(5 * time.Second):
			t.Fatalf("waited for %q", w)
		}
	}
}

// Short timeouts: the runner test checks order and outcome, not timing.
const runnerConfig = `
ivrs:
  - id: main
    extensions: ["100"]
    greeting: welcome
    prompt: menu
    invalid_prompt: invalid
    prompt_repeat: 1
    response_timeout: 30ms
    on_failure: { prompt: goodbye, then: hangup }
    keys:
      "1": { uri: "sip:sales@pbx" }
      "2": { ivr: sub }
  - id: sub
    greeting: missing
    prompt: submenu
    response_timeout: 30ms
    prompt_repeat: 1
    keys:
      "8": back
`

func startRunner(t *testing.T, f *fakeCall) (*Runner, context.CancelFunc, chan error) {
	t.Helper()
	c, err := Parse([]byte(runnerConfig))
	require.NoError(t, err)
	m, _ := c.IVRFor("100")
	r := NewRunner(NewExecutor(c, m, "alice", time.Now()), f, slog.New(slog.NewTextHandler(&f.log, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	t.Cleanup(cancel)
	return r, cancel, done
}

// record is the call record the runner logged last.
func (f *fakeCall) record() string {
	lines := strings.Split(strings.TrimSpace(f.log.String()), "\n")
	return lines[len(lines)-1]
}

func waitRun(t *testing.T, done chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return")
		return nil
	}
}

func TestRunnerBargeInAndTransfer(t *testing.T) {
	f := newFakeCall("welcome", "menu", "invalid", "goodbye", "submenu")
	r, _, done := startRunner(t, f)
	f.expect(t, "play welcome")
	r.Digit('9') // during the greeting: kept
	f.finishPrompt()
	f.expect(t, "play invalid") // the kept 9 answered the menu at once
	f.finishPrompt()
	f.expect(t, "play menu")
	f.mu.Lock()
	stale := f.onDone
	f.mu.Unlock()
	r.Digit('1')
	f.expect(t, "stop", "transfer uri sip:sales@pbx/refer")
	go stale() // a late end of the stopped prompt changes nothing
	f.transferResult(nil)
	require.NoError(t, waitRun(t, done))
	assert.Empty(t, f.ops)
	assert.Contains(t, f.record(), `msg="call record" path=main keys=91 invalid=1 timeouts=0 failed_transfers=0 outcome="transfer uri sip:sales@pbx done"`)
}

func TestRunnerFailedTransferTimeoutAndFailure(t *testing.T) {
	f := newFakeCall("welcome", "menu", "invalid", "goodbye", "submenu")
	r, _, done := startRunner(t, f)
	f.expect(t, "play welcome")
	f.finishPrompt()
	f.expect(t, "play menu")
	r.Digit('1')
	f.expect(t, "stop", "transfer uri sip:sales@pbx/refer")
	f.transferResult(errors.New("486 Busy Here"))
	f.expect(t, "play invalid")
	f.finishPrompt()
	f.expect(t, "play menu")
	f.finishPrompt()
	// Nobody presses anything: the response timer runs out.
	f.expect(t, "play goodbye")
	f.finishPrompt()
	f.expect(t, "hangup failure")
	require.NoError(t, waitRun(t, done))
	assert.Contains(t, f.record(), `path=main keys=1 invalid=0 timeouts=1 failed_transfers=1 outcome="hangup failure"`)
}

func TestRunnerSkipsMissingPromptsAndStopsOnHangup(t *testing.T) {
	f := newFakeCall("welcome", "menu", "submenu")
	r, _, done := startRunner(t, f)
	f.expect(t, "play welcome")
	f.finishPrompt()
	f.expect(t, "play menu")
	r.Digit('2')
	// The submenu's greeting is not loaded: skipped, its prompt plays.
	f.expect(t, "stop", "play submenu")
	r.HungUp()
	require.NoError(t, waitRun(t, done))
	r.Digit('8') // after the call: must not block
	assert.Contains(t, f.record(), `path=main>sub keys=2 invalid=0 timeouts=0 failed_transfers=0 outcome="caller hung up"`)
}

func TestRunnerContextEndsTheCall(t *testing.T) {
	f := newFakeCall("welcome", "menu")
	_, cancel, done := startRunner(t, f)
	f.expect(t, "play welcome")
	cancel()
	assert.ErrorIs(t, waitRun(t, done), context.Canceled)
}

// panicCall blows up on Play: the runner hangs the call up and returns.
type panicCall struct{ *fakeCall }

func (panicCall) Play(string, func()) error { panic("boom") }

func TestRunnerSurvivesAPanic(t *testing.T) {
	f := newFakeCall()
	c, err := Parse([]byte(runnerConfig))
	require.NoError(t, err)
	m, _ := c.IVRFor("100")
	r := NewRunner(NewExecutor(c, m, "", time.Now()), panicCall{f}, quiet)
	assert.ErrorContains(t, r.Run(context.Background()), "boom")
	f.expect(t, "hangup internal error")
}

var quiet = slog.New(slog.DiscardHandler)

// syncLog is a log destination the runner's goroutine writes while the
// test waits.
type syncLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// The runner's clock ends a call that stays in the menus too long (here a
// greeting that never ends), stopping what plays.
func TestRunnerEndsACallAtTheMenuTimeLimit(t *testing.T) {
	f := newFakeCall("welcome", "menu")
	c, err := Parse([]byte(runnerConfig))
	require.NoError(t, err)
	m, _ := c.IVRFor("100")
	r := NewRunner(NewExecutor(c, m, "alice", time.Now()), f, slog.New(slog.NewTextHandler(&f.log, nil)))
	r.maxMenuTime = 20 * time.Millisecond
	done := make(chan error, 1)
	go func() { done <- r.Run(context.Background()) }()
	f.expect(t, "play welcome", "stop", "hangup menu time limit")
	require.NoError(t, waitRun(t, done))
	assert.Contains(t, f.record(), `outcome="hangup menu time limit"`)
}
