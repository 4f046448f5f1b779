package ivr

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDialPatternWholeNumberOnly(t *testing.T) {
	t.Parallel()
	cases := []struct {
		pattern, number string
		allows, canGrow bool
	}{
		// Anchored US pattern.
		{`^1[2-9][0-9]{9}$`, "12125551234", true, false},
		{`^1[2-9][0-9]{9}$`, "1212555123", false, true},
		{`^1[2-9][0-9]{9}$`, "121255512345", false, false},
		{`^1[2-9][0-9]{9}$`, "911", false, false},
		{`^1[2-9][0-9]{9}$`, "9", false, false},
		{`^1[2-8][0-9]{9}$`, "19005551234", false, false},
		{`^1[2-9][0-9]{9}$`, "01112125551234", false, false},
		{`^1[2-9][0-9]{9}$`, "", false, true}, // not a number, but numbers can follow
		// The same pattern without anchors must not match inside a longer number.
		{`1[2-9][0-9]{9}`, "12125551234", true, false},
		{`1[2-9][0-9]{9}`, "912125551234", false, false},
		{`1[2-9][0-9]{9}`, "0112125551234", false, false},
		{`1[2-9][0-9]{9}`, "121255512349", false, false},
		{`1[2-9][0-9]{9}`, "9", false, false},
		// Only ^ or only $: still the whole number.
		{`^1212555`, "1212555", true, false},
		{`^1212555`, "12125559999", false, false},
		{`5551234$`, "12125551234", false, false},
		// Alternatives, each anchored.
		{`^1[2-8][0-9]{9}$|^011[0-9]{7,15}$`, "01144207946", true, true},
		{`^1[2-8][0-9]{9}$|^011[0-9]{7,15}$`, "011", false, true},
		{`^1[2-8][0-9]{9}$|^011[0-9]{7,15}$`, "010", false, false},
		// Permissive patterns still never pass feature codes, # or empty input.
		{`.*`, "*72", false, false},
		{`.*`, "#", false, false},
		{`.*`, "", false, true},
		{`^abc$`, "", false, false}, // can never match a number
		{`.*`, "12#", false, false},
		{`[0-9*#]+`, "*67911", false, false},
		{`.*`, "1", true, true},
		// Length cap.
		{`^[0-9]+$`, "12345678901234567890", true, false},
		{`^[0-9]+$`, "123456789012345678901", false, false},
	}
	for _, tc := range cases {
		p, err := compileDialPattern(tc.pattern)
		require.NoError(t, err)
		assert.Equal(t, tc.allows, p.allows(tc.number), "%s allows %q", tc.pattern, tc.number)
		assert.Equal(t, tc.canGrow, p.canGrow(tc.number), "%s canGrow %q", tc.pattern, tc.number)
	}
	_, err := compileDialPattern(`^1[`)
	assert.ErrorContains(t, err, "missing closing ]")
}

const dialOutConfig = `
trunks: [{ name: pstn, uri: "sip:gw.example.net", prefix: "9" }]
extensions: [{ number: "1001" }, { number: "2001" }]
ivrs:
  - id: careless
    extensions: ["800"]
    prompt: menu
    response_timeout: 2s
    digit_timeout: 2s
    prompt_repeat: 1
    max_invalid: 1
    dial_out: { trunk: pstn, allow: ["1[2-8][0-9]{9}"] }
  - id: open
    extensions: ["801"]
    prompt: menu
    response_timeout: 2s
    digit_timeout: 2s
    prompt_repeat: 1
    max_invalid: 1
    direct_dial: true
    dial_out: { trunk: pstn, allow: [".*"] }
    keys:
      "5": { uri: "five@pbx" }
  - id: star
    extensions: ["802"]
    prompt: menu
    prompt_repeat: 1
    max_invalid: 1
    terminator: "*"
    dial_out: { trunk: pstn, allow: ["^[0-9#]{3,}$"] }
`

func TestDialOutGuardInCalls(t *testing.T) {
	t.Parallel()
	c, err := Parse([]byte(dialOutConfig))
	require.NoError(t, err)
	// ".*" is refused by validate since issue 13 (point 9); the run-time
	// guard below must hold for it all the same.
	var errs []string
	for _, p := range Validate(c, []string{"menu"}) {
		if !p.Warning {
			errs = append(errs, p.String())
		}
	}
	require.Equal(t, []string{`ivrs[open].dial_out.allow[0]: ".*" lets callers dial any number, premium and international ones included (toll fraud): list the numbers you mean, e.g. "1[2-9][0-9]{9}"`}, errs)
	cases := []struct {
		name, to, script string
		want             string // a line of the trace
		never            string // must not appear
	}{
		{"allowed, sent at once with the trunk prefix", "800", "wait:1s,12125551234", "2000 transfer external 912125551234 via pstn/refer", ""},
		{"emergency number refused at its first digit", "800", "wait:1s,911#", "1000 invalid 9", "transfer"},
		{"premium 1-900 refused where it leaves the pattern", "800", "wait:1s,19005551234", "1100 invalid 19", "transfer"},
		{"international refused", "800", "wait:1s,0114420794600", "1000 invalid 0", "transfer"},
		{"US number inside a longer one refused", "800", "wait:1s,912125551234", "1000 invalid 9", "transfer"},
		{"partial number refused at the terminator", "800", "wait:1s,1212555#", "invalid 1212555", "transfer"},
		{"partial number refused at the digit timeout", "800", "wait:1s,1212555", "3600 invalid 1212555", "transfer"},
		{"terminator alone is not a number", "800", "wait:1s,#", "1000 invalid #", "transfer"},
		{"extra digits after a complete number are never sent", "800", "wait:1s,121255512345#", "transfer external 912125551234 via pstn/refer", "9121255512345"},
		{".* does not pass a feature code", "801", "wait:1s,*72", "1000 invalid *", "transfer"},
		{".* still dials digits (terminator)", "801", "wait:1s,0044#", "transfer external 90044 via pstn/refer", ""},
		{"keys win over dial-out after the digit timeout", "801", "wait:1s,5", "3000 transfer uri sip:five@pbx/refer", ""},
		{"extensions win over dial-out", "801", "wait:1s,1001#", "transfer extension 1001/refer", "external"},
		{"# in a number is refused even when the pattern allows it", "802", "wait:1s,12#45*", "1200 invalid 12#", "transfer"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := sim(t, c, tc.to, tc.script, time.Time{}, false)
			assert.Contains(t, got, tc.want+"\n")
			if tc.never != "" {
				assert.NotContains(t, got, tc.never)
			}
		})
	}
}
