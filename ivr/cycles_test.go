package ivr

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func errorsOf(t *testing.T, y string) []string {
	t.Helper()
	var out []string
	for _, p := range problemsOf(t, y) {
		if !p.Warning {
			out = append(out, p.String())
		}
	}
	return out
}

func TestValidateFindsLoopsWithoutAKey(t *testing.T) {
	t.Parallel()
	assert.Equal(t, []string{
		"schedules[office].closed.then: a call loops here forever without a key (schedule office -> schedules[office].closed.then -> ivr night -> ivrs[night].schedule -> schedule office): end the loop with a hand-off, voicemail or hangup",
	}, errorsOf(t, closedLoop))

	assert.Equal(t, []string{
		"ivrs[main].on_failure: a call loops here forever without a key (ivr main -> ivrs[main].on_failure -> ivr main): end the loop with a hand-off, voicemail or hangup",
	}, errorsOf(t, failureLoop))

	// Two menus failing over to each other, through a recorded answer.
	two := `
ivrs:
  - id: main
    extensions: ["100"]
    prompt: menu
    on_failure: { play: menu, then: { ivr: sub } }
    keys: { "1": hangup }
  - id: sub
    prompt: menu
    on_failure: back
    keys: { "1": hangup }
`
	assert.Equal(t, []string{
		"ivrs[main].on_failure.then: a call loops here forever without a key (ivr main -> ivrs[main].on_failure.then -> ivr sub -> ivrs[sub].on_failure -> ivr main): end the loop with a hand-off, voicemail or hangup",
	}, errorsOf(t, two))

	// A hand-off's overflow inside on_failure is automatic too: a busy
	// operator sends the silent caller round again.
	overflow := `
extensions: [{ number: "1001" }]
ivrs:
  - id: main
    extensions: ["100"]
    prompt: menu
    on_failure: { extension: "1001", overflow: { ivr: main } }
    keys: { "1": hangup }
`
	assert.Equal(t, []string{
		"ivrs[main].on_failure.overflow: a call loops here forever without a key (ivr main -> ivrs[main].on_failure.overflow -> ivr main): end the loop with a hand-off, voicemail or hangup",
	}, errorsOf(t, overflow))
}

func TestValidateAcceptsLoopsThatNeedAKey(t *testing.T) {
	t.Parallel()
	// The contract's own example: key 0 overflows back to main. The
	// caller pressed 0: that is navigation, not a loop.
	keyLoop := `
extensions: [{ number: "1001" }]
ivrs:
  - id: main
    extensions: ["100"]
    prompt: menu
    on_failure: { ivr: sub }
    keys:
      "0": { extension: "1001", overflow: { ivr: main } }
      "2": { ivr: sub }
  - id: sub
    prompt: menu
    keys: { "8": back, "9": top }
`
	assert.Empty(t, errorsOf(t, keyLoop))
	// A schedule that is never closed (no hours, no holidays) cannot loop.
	always := strings.Replace(closedLoop, `    open: ["mon-fri 09:00-17:00"]`+"\n", "", 1)
	assert.Empty(t, errorsOf(t, always))
	// Closed handling leading to a menu without that schedule is the
	// usual night menu.
	night := strings.Replace(closedLoop, "  - id: night\n    schedule: office\n", "  - id: night\n", 1)
	assert.Empty(t, errorsOf(t, night))
}

// A day menu closed into a night menu closed into the day menu loops
// only if both schedules can be closed at once.
func TestClosedBranchesThroughTwoSchedules(t *testing.T) {
	t.Parallel()
	y := `
schedules:
  - { id: day, timezone: UTC, open: ["daily 08:00-20:00"], closed: { then: { ivr: night } } }
  - { id: night, timezone: UTC, open: ["20:00-08:00"], closed: { then: { ivr: main } } }
ivrs:
  - { id: main, extensions: ["100"], schedule: day, prompt: menu, keys: { "1": hangup } }
  - { id: night, schedule: night, prompt: menu, keys: { "1": hangup } }
`
	assert.Empty(t, errorsOf(t, y), "complementary hours: one of them is always open")
	gap := strings.Replace(y, "20:00-08:00", "21:00-08:00", 1)
	assert.Equal(t, []string{
		"ivrs[main].schedule: a call loops here forever without a key (ivr main -> ivrs[main].schedule -> schedule day -> schedules[day].closed.then -> ivr night -> ivrs[night].schedule -> schedule night -> schedules[night].closed.then -> ivr main): end the loop with a hand-off, voicemail or hangup",
	}, errorsOf(t, gap), "20:00-21:00 both are closed")
	holiday := strings.Replace(y, `open: ["20:00-08:00"],`, `open: ["20:00-08:00"], holidays: [{ date: "2026-12-25" }],`, 1)
	assert.Len(t, errorsOf(t, holiday), 1, "on the night schedule's holiday the day one may be closed too")
	// At run time the hop limit ends it in the gap.
	c := parseNoCheck(t, gap)
	got := sim(t, c, "100", "", time.Date(2026, 11, 24, 20, 30, 0, 0, time.UTC), false)
	assert.Contains(t, got, "hangup loop limit")
}
