package ivr

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// treeConfig: menus leading to each other, a department with its own
// hours, failure paths that hand the call on. Prompts last 1 s.
const treeConfig = `
extensions: [{ number: "1001" }, { number: "1002" }]
schedules:
  - id: sales-hours
    timezone: "Europe/London"
    open: ["mon-fri 09:00-17:00"]
    holidays: [{ date: "2026-03-29", name: "Spring" }, { date: "2026-10-25", name: "Autumn" }]
    closed: { prompt: closed, then: { voicemail: "1001" } }
  - id: night
    timezone: "Asia/Tokyo"
    open: ["fri-mon 22:00-06:00"]
    closed: { prompt: closed }
ivrs:
  - id: front
    extensions: ["100"]
    greeting: welcome
    prompt: menu
    invalid_prompt: invalid
    prompt_repeat: 1
    response_timeout: 2s
    max_invalid: 2
    on_failure: { ivr: operator }
    keys:
      "1": { ivr: sales }
      "2": { ivr: loop }
      "3": { play: hours, then: { ivr: sales } }
      "4": { extension: "1002", overflow: { ivr: sales } }
      "8": back
  - id: sales
    extensions: ["200"]
    schedule: sales-hours
    prompt: salesmenu
    keys:
      "1": { uri: "sales@pbx" }
      "9": top
  - id: loop
    prompt: loopmenu
    keys:
      "1": { ivr: front }
      "8": back
  - id: operator
    prompt: opmenu
    prompt_repeat: 1
    response_timeout: 1s
    on_failure: { extension: "1001" }
    keys: { "0": { extension: "1001" } }
  - id: nightline
    extensions: ["300"]
    schedule: night
    answer_delay: 1s
    prompt: menu
    keys: { "1": { uri: "night@pbx" } }
`

func TestMenuTreeTraces(t *testing.T) {
	t.Parallel()
	c, err := Parse([]byte(treeConfig))
	require.NoError(t, err)
	names := []string{"welcome", "menu", "invalid", "hours", "closed", "salesmenu", "loopmenu", "opmenu"}
	require.False(t, HasErrors(Validate(c, names)), "%v", Validate(c, names))
	london := mustLoc("Europe/London")
	tokyo := mustLoc("Asia/Tokyo")
	weekday := time.Date(2026, 11, 24, 10, 0, 0, 0, london)
	saturday := time.Date(2026, 11, 28, 10, 0, 0, 0, london)

	cases := []struct {
		name, to, script string
		at               time.Time
		fail             bool
		want             string
		whole            bool // else want is how the trace starts
	}{
		{"department open", "100", "wait:1500ms,1", weekday, false, lines(
			"0 answer", "0 enter front", "0 play welcome", "1000 play menu*",
			"1500 digit 1", "1500 stop menu", "1500 enter sales", "1500 play salesmenu*"), false},
		{"department closed: its own closed handling, then voicemail", "100", "wait:1500ms,1", saturday, false, lines(
			"0 answer", "0 enter front", "0 play welcome", "1000 play menu*",
			"1500 digit 1", "1500 stop menu", "1500 closed closed", "1500 play closed",
			"2500 transfer voicemail 1001/voicemail"), true},
		{"closed: a failed hand-off ends the call, no menu", "200", "", saturday, true, lines(
			"0 answer", "0 closed closed", "0 play closed",
			"1000 transfer voicemail 1001/voicemail", "1000 transfer_failed simulated failure", "1000 hangup closed"), true},
		{"on_failure to another menu with fresh counters, then a hand-off that fails", "100", "", weekday, true, lines(
			"0 answer", "0 enter front", "0 play welcome", "1000 play menu*",
			"4000 timeout front", "4000 failure front", "4000 enter operator", "4000 play opmenu*",
			"6000 timeout operator", "6000 failure operator",
			"6000 transfer extension 1001/refer", "6000 transfer_failed operator", "6000 hangup failure"), true},
		{"a menu loop unwinds the back stack", "100", "wait:1s,2,wait:500ms,1,wait:500ms,8,wait:500ms,#", weekday, false, lines(
			"0 answer", "0 enter front", "0 play welcome", "1000 play menu*",
			"1000 digit 2", "1000 stop menu", "1000 enter loop", "1000 play loopmenu*",
			"1500 digit 1", "1500 stop loopmenu", "1500 enter front", "1500 play menu*",
			// back on the first menu replays it: no "enter", counters kept
			"2000 digit 8", "2000 stop menu", "2000 play menu*",
			"2500 digit #", "2500 stop menu", "2500 invalid #", "2500 play invalid",
			"3500 play menu*", "6500 timeout front", "6500 failure front", "6500 enter operator", "6500 play opmenu*",
			"8500 timeout operator", "8500 failure operator", "8500 transfer extension 1001/refer"), true},
		{"recorded answer, then another menu; top", "100", "wait:1s,3,wait:1500ms,9", weekday, false, lines(
			"0 answer", "0 enter front", "0 play welcome", "1000 play menu*",
			"1000 digit 3", "1000 stop menu", "1000 play hours", "2000 enter sales", "2000 play salesmenu*",
			"2500 digit 9", "2500 stop salesmenu", "2500 enter front", "2500 play menu*"), false},
		{"overflow to a menu when the extension does not answer", "100", "wait:1s,4", weekday, true, lines(
			"0 answer", "0 enter front", "0 play welcome", "1000 play menu*",
			"1000 digit 4", "1000 stop menu", "1000 transfer extension 1002/refer",
			"1000 transfer_failed front", "1000 enter sales", "1000 play salesmenu*"), false},
		{"answer_delay comes before the closed prompt", "300", "", time.Date(2026, 11, 25, 12, 0, 0, 0, tokyo), false, lines(
			"0 answer", "1000 closed closed", "1000 play closed", "2000 hangup closed"), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := sim(t, c, tc.to, tc.script, tc.at, tc.fail)
			if !tc.whole && len(got) > len(tc.want) {
				got = got[:len(tc.want)] // what follows (timeouts) is covered elsewhere
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestScheduleOvernightRangesAndDSTDays(t *testing.T) {
	t.Parallel()
	c, err := Parse([]byte(treeConfig))
	require.NoError(t, err)
	tokyo := mustLoc("Asia/Tokyo")
	night := c.ScheduleByID("night")
	sales := c.ScheduleByID("sales-hours")
	open := func(s *Schedule, at time.Time) bool { o, _ := s.IsOpen(at); return o }

	// fri-mon 22:00-06:00: the night from Monday runs into Tuesday morning.
	assert.True(t, open(night, time.Date(2026, 11, 28, 3, 0, 0, 0, tokyo)), "Sat 03:00 (Friday's night)")
	assert.True(t, open(night, time.Date(2026, 11, 24, 5, 59, 0, 0, tokyo)), "Tue 05:59 (Monday's night)")
	assert.False(t, open(night, time.Date(2026, 11, 24, 6, 0, 0, 0, tokyo)), "Tue 06:00")
	assert.False(t, open(night, time.Date(2026, 11, 25, 3, 0, 0, 0, tokyo)), "Wed 03:00")
	assert.False(t, open(night, time.Date(2026, 11, 24, 23, 0, 0, 0, tokyo)), "Tue 23:00")
	assert.True(t, open(night, time.Date(2026, 11, 23, 22, 0, 0, 0, tokyo)), "Mon 22:00")
	// The same instant seen from UTC: Friday 13:00Z is Friday 22:00 in Tokyo.
	assert.True(t, open(night, time.Date(2026, 11, 27, 13, 0, 0, 0, time.UTC)))

	// London: 08:30Z is 08:30 GMT on Friday 27 March (closed) and 09:30
	// BST on Monday 30 March (open), after the clocks went forward.
	assert.False(t, open(sales, time.Date(2026, 3, 27, 8, 30, 0, 0, time.UTC)))
	assert.True(t, open(sales, time.Date(2026, 3, 30, 8, 30, 0, 0, time.UTC)))
	assert.False(t, open(sales, time.Date(2026, 3, 30, 16, 30, 0, 0, time.UTC)), "17:30 BST")
	// Holidays are local dates: 23:30Z on 24 October is already 25 October
	// in London (BST), the holiday; on the night the clocks go back, 23:30Z
	// on 25 October is 23:30 GMT, still the 25th.
	_, h := sales.IsOpen(time.Date(2026, 10, 24, 23, 30, 0, 0, time.UTC))
	require.NotNil(t, h)
	assert.Equal(t, "Autumn", h.Name)
	_, h = sales.IsOpen(time.Date(2026, 10, 25, 23, 30, 0, 0, time.UTC))
	require.NotNil(t, h)
	_, h = sales.IsOpen(time.Date(2026, 10, 26, 0, 30, 0, 0, time.UTC))
	assert.Nil(t, h, "00:30 GMT on the 26th")
	// Spring: 23:30Z on 28 March is 23:30 GMT, not yet the holiday.
	_, h = sales.IsOpen(time.Date(2026, 3, 28, 23, 30, 0, 0, time.UTC))
	assert.Nil(t, h)
	_, h = sales.IsOpen(time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC))
	assert.NotNil(t, h)
}

func TestKeysTypedAheadDoNotOutliveAFailedHandoff(t *testing.T) {
	t.Parallel()
	c, err := Parse([]byte(treeConfig))
	require.NoError(t, err)
	weekday := time.Date(2026, 11, 24, 10, 0, 0, 0, mustLoc("Europe/London"))
	// "41" during the greeting: 4 hands off (fails, overflow to sales);
	// the 1 must not pick sales' key 1.
	got := sim(t, c, "100", "wait:200ms,41", weekday, true)
	assert.Contains(t, got, "1000 transfer_failed front\n1000 enter sales\n1000 play salesmenu*\n")
	assert.NotContains(t, got, "sales@pbx")
}
