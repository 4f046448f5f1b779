package ivr

import (
	"strings"
	"testing"

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
