package ivr

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// loopConfigs are configurations with loops no key is needed for; Parse
// accepts them, Validate rejects them (cycles_test.go), and the executor
// must end their calls anyway.
const closedLoop = `
schedules:
  - id: office
    timezone: UTC
    open: ["mon-fri 09:00-17:00"]
    closed: { then: { ivr: night } }
ivrs:
  - id: main
    extensions: ["100"]
    schedule: office
    prompt: menu
    keys: { "1": hangup }
  - id: night
    schedule: office
    prompt: menu
    keys: { "1": hangup }
`

const failureLoop = `
ivrs:
  - id: main
    extensions: ["100"]
    prompt: menu
    on_failure: { ivr: main }
    keys: { "1": hangup }
`

var sunday = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

func parseNoCheck(t *testing.T, y string) *Config {
	t.Helper()
	c, err := Parse([]byte(y))
	require.NoError(t, err)
	return c
}

// The closed branch entering a menu behind the same closed schedule, with
// no prompts to wait for, used to recurse until Go's stack overflowed
// (fatal, not recoverable). Now the call hangs up at the hop limit.
func TestClosedBranchLoopHangsUpAtHopLimit(t *testing.T) {
	t.Parallel()
	c := parseNoCheck(t, closedLoop)
	got := sim(t, c, "100", "", sunday, false)
	assert.Equal(t, MaxHopsWithoutKey, strings.Count(got, "closed closed"), got)
	assert.True(t, strings.HasSuffix(got, "0 limit loop limit\n0 hangup loop limit\n"), got)

	// With a closed prompt it is the same loop, slower.
	c = parseNoCheck(t, strings.Replace(closedLoop, "closed: { then", "closed: { prompt: closed, then", 1))
	got = sim(t, c, "100", "", sunday, false)
	assert.Equal(t, MaxHopsWithoutKey, strings.Count(got, "play closed"), got)
	assert.Contains(t, got, "hangup loop limit")
}

// on_failure: {ivr: main} inside main: a silent caller used to hear the
// menu forever.
func TestSilentCallerInFailureLoopHangsUp(t *testing.T) {
	t.Parallel()
	c := parseNoCheck(t, failureLoop)
	got := sim(t, c, "100", "", openTime, false)
	assert.Equal(t, MaxHopsWithoutKey, strings.Count(got, "enter main"), got)
	assert.Equal(t, MaxHopsWithoutKey*DefaultPromptRepeat, strings.Count(got, "timeout main"), got)
	assert.Contains(t, got, "hangup loop limit")
}

// A key resets the hop count: a caller who presses keys is navigating,
// not looping.
func TestKeyResetsTheHopCount(t *testing.T) {
	t.Parallel()
	c := parseNoCheck(t, failureLoop)
	// 9 silent rounds (6 s each: a 1 s prompt, then 5 s of waiting), an
	// invalid key, then silence again.
	got := sim(t, c, "100", "wait:160s,5", openTime, false)
	assert.Contains(t, got, "invalid 5")
	assert.Greater(t, strings.Count(got, "enter main"), MaxHopsWithoutKey, got)
	assert.Contains(t, got, "hangup loop limit")
}

// A caller going back and forth between two menus presses keys all the
// time; the menu time limit ends that call.
func TestMenuTimeLimitEndsAnEndlessCall(t *testing.T) {
	t.Parallel()
	c := loadTest(t)
	script := strings.Repeat("wait:1500ms,2,wait:1500ms,8,", int(MaxMenuTime/(3*time.Second))+10)
	tr, err := Simulate(c, SimOptions{To: "100", Script: script, At: openTime,
		Duration: func(string) (time.Duration, bool) { return time.Second, true }})
	require.NoError(t, err)
	last := tr[len(tr)-1]
	assert.Equal(t, StepHangup, last.Event)
	assert.Equal(t, ReasonMenuTimeLimit, last.Reason)
	assert.Equal(t, MaxMenuTime.Milliseconds(), last.TMs)
}

// MenuTimeUp during a hand-off waits for its outcome: a transfer that
// succeeds takes the call away; one that fails ends it.
func TestMenuTimeUpDuringHandoff(t *testing.T) {
	t.Parallel()
	c := loadTest(t)
	m, _ := c.IVRFor("100")
	for _, ok := range []bool{true, false} {
		e := NewExecutor(c, m, "alice", openTime)
		e.Handle(Started{})
		e.Handle(PlaybackDone{ID: 1}) // the greeting
		acts := e.Handle(DigitPressed{Key: '1'})
		require.IsType(t, Transfer{}, acts[len(acts)-1])
		assert.Empty(t, e.Handle(MenuTimeUp{}))
		var err error
		if !ok {
			err = errors.New("busy")
		}
		acts = e.Handle(TransferResult{Err: err})
		assert.True(t, e.Done())
		if ok {
			assert.Empty(t, acts)
		} else {
			assert.Equal(t, Hangup{Reason: ReasonMenuTimeLimit}, acts[len(acts)-1])
		}
	}
}
