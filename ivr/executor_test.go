package ivr

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testConfig exercises every destination kind. Every prompt lasts 1 s
// (durations below), so traces have round times.
const testConfig = `
trunks:
  - name: pstn
    uri: "sip:gw.example.net"
extensions:
  - number: "1001"
  - number: "1002"
  - number: "2001"
schedules:
  - id: office
    timezone: "America/New_York"
    open: ["mon-fri 09:00-17:00"]
    holidays:
      - { date: "2026-12-25", name: "Christmas", prompt: holiday }
    closed: { prompt: closed, then: { voicemail: "1001" } }
ivrs:
  - id: main
    extensions: ["100"]
    greeting: welcome
    prompt: menu
    invalid_prompt: invalid
    timeout_prompt: timeout
    prompt_repeat: 2
    response_timeout: 3s
    digit_timeout: 2s
    max_invalid: 2
    on_failure: { prompt: goodbye, then: hangup }
    transfer: refer
    keys:
      "1": { uri: "sales@pbx.example.net" }
      "2": { ivr: sub }
      "3": { extension: "1002", transfer: bridge }
      "4": { play: hours }
      "5": { voicemail: "1001" }
      "6": { external: "+15551234567", trunk: pstn }
      "7": repeat
      "#": hangup
  - id: sub
    extensions: ["200"]
    prompt: submenu
    invalid_prompt: invalid
    keys:
      "1": { ivr: subsub }
      "8": back
      "9": top
  - id: subsub
    extensions: ["300"]
    prompt: subsubmenu
    keys:
      "8": back
      "9": top
  - id: dial
    extensions: ["400"]
    prompt: menu
    direct_dial: true
    digit_timeout: 2s
    response_timeout: 2s
    prompt_repeat: 1
    invalid_prompt: invalid
    dial_out: { trunk: pstn, allow: ["^1[2-8][0-9]{9}$", "^011[0-9]{7,15}$"] }
    keys:
      "0": { uri: "operator@pbx" }
  - id: direct
    extensions: ["450"]
    prompt: menu
    direct_dial: true
    response_timeout: 2s
    prompt_repeat: 1
    keys:
      "1": { uri: "one@pbx" }
      "3": { uri: "three@pbx" }
      default: { uri: "operator@pbx" }
  - id: legal
    extensions: ["500"]
    prompt: menu
    barge_in: false
    keys:
      "1": { uri: "sales@pbx" }
  - id: hours
    extensions: ["600"]
    schedule: office
    prompt: menu
    keys:
      "1": { uri: "sales@pbx" }
  - id: delayed
    extensions: ["700"]
    answer_delay: 2s
    prompt: menu
    keys:
      "1": { uri: "sales@pbx" }
`

func loadTest(t *testing.T) *Config {
	t.Helper()
	c, err := Parse([]byte(testConfig))
	require.NoError(t, err)
	names := []string{"welcome", "menu", "invalid", "timeout", "goodbye", "hours", "submenu", "subsubmenu", "holiday", "closed"}
	probs := Validate(c, names)
	require.False(t, HasErrors(probs), "%v", probs)
	return c
}

// brief renders a trace compactly: "t_ms event detail".
func brief(tr []SimEvent) string {
	var b strings.Builder
	for _, e := range tr {
		fmt.Fprintf(&b, "%d %s", e.TMs, e.Event)
		switch {
		case e.Event == StepPlay:
			fmt.Fprintf(&b, " %s", e.Prompt)
			if e.BargeIn != nil && *e.BargeIn {
				b.WriteString("*")
			}
		case e.Prompt != "":
			fmt.Fprintf(&b, " %s", e.Prompt)
		case e.Digit != "":
			fmt.Fprintf(&b, " %s", e.Digit)
		case e.Digits != "":
			fmt.Fprintf(&b, " %s", e.Digits)
		case e.Dest != nil:
			fmt.Fprintf(&b, " %s/%s", e.Dest.String(), e.Method)
		case e.Reason != "":
			fmt.Fprintf(&b, " %s", e.Reason)
		case e.Detail != "" && e.Event == StepClosed:
			fmt.Fprintf(&b, " %s", e.Detail)
		case e.IVR != "" && e.Event != "answer":
			fmt.Fprintf(&b, " %s", e.IVR)
		case e.Detail != "":
			fmt.Fprintf(&b, " %s", e.Detail)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func sim(t *testing.T, cfg *Config, to, script string, at time.Time, fail bool) string {
	t.Helper()
	tr, err := Simulate(cfg, SimOptions{To: to, Script: script, At: at, TransferFails: fail,
		Duration: func(string) (time.Duration, bool) { return time.Second, true }})
	require.NoError(t, err)
	return brief(tr)
}

// A Tuesday at 10:00 in New York: the office is open.
var openTime = time.Date(2026, 11, 24, 10, 0, 0, 0, mustLoc("America/New_York"))

func mustLoc(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

func lines(s ...string) string { return strings.Join(s, "\n") + "\n" }

func TestExecutorTraces(t *testing.T) {
	t.Parallel()
	cfg := loadTest(t)
	cases := []struct {
		name, to, script string
		fail             bool
		want             string
	}{
		{"greeting, barge-in, uri by refer", "100", "wait:1500ms,1", false, lines(
			"0 answer", "0 enter main", "0 play welcome", "1000 play menu*",
			"1500 digit 1", "1500 stop menu", "1500 transfer uri sip:sales@pbx.example.net/refer")},
		{"digit during greeting is kept", "100", "wait:500ms,6", false, lines(
			"0 answer", "0 enter main", "0 play welcome", "500 digit 6",
			"1000 transfer external +15551234567 via pstn/refer")},
		{"no input: timeouts then failure", "100", "", false, lines(
			"0 answer", "0 enter main", "0 play welcome", "1000 play menu*",
			"5000 timeout main", "5000 play timeout", "6000 play menu*",
			"10000 timeout main", "10000 play timeout", "11000 failure main", "11000 play goodbye", "12000 hangup failure")},
		{"invalid keys then failure", "100", "wait:2s,9,wait:1s,9", false, lines(
			"0 answer", "0 enter main", "0 play welcome", "1000 play menu*",
			"2000 digit 9", "2000 invalid 9", "2000 play invalid",
			"3000 play menu*", "3000 digit 9", "3000 stop menu", "3000 invalid 9", "3000 play invalid",
			"4000 failure main", "4000 play goodbye", "5000 hangup failure")},
		{"submenu, back, top", "100", "wait:2s,2,wait:500ms,1,wait:500ms,8,wait:500ms,9", false, lines(
			"0 answer", "0 enter main", "0 play welcome", "1000 play menu*",
			"2000 digit 2", "2000 enter sub", "2000 play submenu*",
			"2500 digit 1", "2500 stop submenu", "2500 enter subsub", "2500 play subsubmenu*",
			"3000 digit 8", "3000 stop subsubmenu", "3000 enter sub", "3000 play submenu*",
			"3500 digit 9", "3500 stop submenu", "3500 enter main", "3500 play menu*",
			"7500 timeout main", "7500 play timeout", "8500 play menu*",
			"12500 timeout main", "12500 play timeout", "13500 failure main", "13500 play goodbye", "14500 hangup failure")},
		{"recorded answer then menu, repeat", "100", "wait:2s,4,wait:2s,7,wait:500ms,#", false, lines(
			"0 answer", "0 enter main", "0 play welcome", "1000 play menu*",
			"2000 digit 4", "2000 play hours", "3000 play menu*",
			"4000 digit 7", "4000 play menu*",
			"4500 digit #", "4500 stop menu", "4500 hangup hangup")},
		{"extension with its own method, voicemail", "100", "wait:1s,3", false, lines(
			"0 answer", "0 enter main", "0 play welcome", "1000 play menu*",
			"1000 digit 3", "1000 stop menu", "1000 transfer extension 1002/bridge")},
		{"voicemail", "100", "wait:1s,5", false, lines(
			"0 answer", "0 enter main", "0 play welcome", "1000 play menu*",
			"1000 digit 5", "1000 stop menu", "1000 transfer voicemail 1001/voicemail")},
		{"transfer fails: invalid prompt and menu again", "100", "wait:1s,1,wait:3s,#", true, lines(
			"0 answer", "0 enter main", "0 play welcome", "1000 play menu*",
			"1000 digit 1", "1000 stop menu", "1000 transfer uri sip:sales@pbx.example.net/refer",
			"1000 transfer_failed main", "1000 play invalid", "2000 play menu*",
			"4000 digit #", "4000 hangup hangup")},
		{"barge_in false: prompt plays out, digit kept", "500", "wait:200ms,1", false, lines(
			"0 answer", "0 enter legal", "0 play menu", "200 digit 1", "1000 transfer uri sip:sales@pbx/refer")},
		{"answer delay", "700", "", false, lines(
			"0 answer", "2000 enter delayed", "2000 play menu*",
			"8000 timeout delayed", "8000 play menu*", "14000 timeout delayed", "14000 play menu*",
			"20000 timeout delayed", "20000 failure delayed", "20000 hangup failure")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, sim(t, cfg, tc.to, tc.script, openTime, tc.fail))
		})
	}
}

func TestDirectDialAndDialOut(t *testing.T) {
	t.Parallel()
	cfg := loadTest(t)
	cases := []struct {
		name, to, script, want string
	}{
		{"unique extension ends at once", "400", "wait:1s,1001", "transfer extension 1001/refer"},
		{"terminator ends early", "400", "wait:1s,2001#", "transfer extension 2001/refer"},
		{"allowed US number", "400", "wait:1s,12125551234#", "transfer external 12125551234 via pstn/refer"},
		{"allowed international after timeout", "400", "wait:1s,01144207946", "transfer external 01144207946 via pstn/refer"},
		{"911 refused at its first digit", "400", "wait:1s,911#", "1000 invalid 9"},
		{"area code 9xx is outside the pattern", "400", "wait:1s,19005551234#", "1100 invalid 19"},
		{"a complete number goes at once, extra digits are not sent", "400", "wait:1s,121255512345#", "2000 transfer external 12125551234 via pstn/refer"},
		{"partial match refused", "400", "wait:1s,1212555#", "invalid 1212555"},
		{"key 0 waits then is the key", "400", "wait:1s,0", "transfer uri sip:operator@pbx/refer"},
		{"default key", "450", "wait:1s,5", "transfer uri sip:operator@pbx/refer"},
		{"key 1 shares a prefix with extensions: waits, then key", "450", "wait:1s,1", "transfer uri sip:one@pbx/refer"},
		{"key 3 has no extension after it: at once", "450", "wait:1s,3", "transfer uri sip:three@pbx/refer"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := sim(t, cfg, tc.to, tc.script, openTime, false)
			assert.Contains(t, got, tc.want)
		})
	}
	// Timing: "1001" is unique the moment its last digit arrives.
	got := sim(t, cfg, "400", "wait:1s,1001", openTime, false)
	assert.Contains(t, got, "1300 transfer extension 1001/refer")
	// "1" on menu 450 waits digit_timeout (3 s default) for an extension.
	got = sim(t, cfg, "450", "wait:1s,1", openTime, false)
	assert.Contains(t, got, "4000 transfer uri sip:one@pbx/refer")
}

func TestSchedulesAndHolidays(t *testing.T) {
	t.Parallel()
	cfg := loadTest(t)
	ny := mustLoc("America/New_York")
	cases := []struct {
		name string
		at   time.Time
		want string
	}{
		{"open weekday", openTime, "0 enter hours"},
		{"closed at night", time.Date(2026, 11, 24, 20, 0, 0, 0, ny), lines("0 closed closed", "0 play closed", "1000 transfer voicemail 1001/voicemail")},
		{"overnight edge: 16:59 open, 17:00 closed", time.Date(2026, 11, 24, 17, 0, 0, 0, ny), "0 closed closed"},
		{"closed weekend", time.Date(2026, 11, 28, 10, 0, 0, 0, ny), "0 closed closed"},
		{"holiday prompt", time.Date(2026, 12, 25, 10, 0, 0, 0, ny), lines("0 closed holiday Christmas", "0 play holiday")},
		// 13:30 UTC is 09:30 in New York in summer (EDT) but 08:30 in winter.
		{"DST: summer 13:30Z open", time.Date(2026, 7, 7, 13, 30, 0, 0, time.UTC), "0 enter hours"},
		{"DST: winter 13:30Z closed", time.Date(2026, 1, 6, 13, 30, 0, 0, time.UTC), "0 closed closed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Contains(t, sim(t, cfg, "600", "", tc.at, false), tc.want)
		})
	}
}

// Wazo's schedule on an incall: the public number is screened as calls
// arrive on it; the menu's internal extension is not.
func TestNumberScheduleScreensOnlyThatNumber(t *testing.T) {
	t.Parallel()
	text := strings.Replace(testConfig, `  - id: legal
    extensions: ["500"]`, `  - id: legal
    extensions: ["500", "+15550100"]
    number_schedules: { "+15550100": office }`, 1)
	c, err := Parse([]byte(text))
	require.NoError(t, err)
	names := []string{"welcome", "menu", "invalid", "timeout", "goodbye", "hours", "submenu", "subsubmenu", "holiday", "closed"}
	require.False(t, HasErrors(Validate(c, names)))
	night := time.Date(2026, 11, 24, 20, 0, 0, 0, mustLoc("America/New_York"))

	assert.Contains(t, sim(t, c, "+15550100", "", night, false), "0 closed closed", "the public number at night")
	assert.Contains(t, sim(t, c, "+15550100", "", openTime, false), "0 enter legal", "the public number by day")
	got := sim(t, c, "500", "", night, false)
	assert.Contains(t, got, "0 enter legal", "the internal extension at night")
	assert.NotContains(t, got, "closed")

	bad := strings.Replace(text, `number_schedules: { "+15550100": office }`, `number_schedules: { "+15559999": nope }`, 1)
	c, err = Parse([]byte(bad))
	require.NoError(t, err)
	var all []string
	for _, p := range Validate(c, names) {
		all = append(all, p.String())
	}
	joined := strings.Join(all, "\n")
	assert.Contains(t, joined, `ivrs[legal].number_schedules[+15559999]: "+15559999" is not one of the menu's extensions`)
	assert.Contains(t, joined, `unknown schedule "nope"`)
}
