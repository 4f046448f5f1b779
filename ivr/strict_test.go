package ivr

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Issue 13, point 9: what validate used to accept.
func TestStrictValidation(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, from, to string // edit of validBase
		want           string // the full Problem.String()
	}{
		{"uri with no host", `{ uri: "sip:a@pbx" }`, `{ uri: "sip:" }`,
			`ivrs[main].keys.1: bad SIP URI "sip:": no host (want sip:user@host or sip:host)`},
		{"uri with an empty user", `{ uri: "sip:a@pbx" }`, `{ uri: "sip:@pbx" }`,
			`ivrs[main].keys.1: bad SIP URI "sip:@pbx": nothing before the @ (want user@host)`},
		{"uri with a bad port", `{ uri: "sip:a@pbx" }`, `{ uri: "a@pbx:99999" }`,
			`ivrs[main].keys.1: bad SIP URI "a@pbx:99999": port "99999" is not 1-65535`},
		{"trunk uri with no host", `uri: "sip:gw.example.net"`, `uri: "sip:"`,
			`trunks[pstn].uri: bad SIP URI "sip:": no host (want sip:user@host or sip:host)`},
		{"external that is only a plus", `{ external: "+15551234567", trunk: pstn }`, `{ external: "+", trunk: pstn }`,
			`ivrs[main].keys.2: external number "+" must be digits (optionally +)`},
		{"external that is empty", `{ external: "+15551234567", trunk: pstn }`, `{ external: "", trunk: pstn }`,
			`ivrs[main].keys.2: external number "" must be digits (optionally +)`},
		{"extension that is only a plus", `{ number: "1002" }`, `{ number: "+" }`,
			`extensions[+]: number "+" must be dialable digits`},
		{"extension that is empty", `{ number: "1002" }`, `{ number: "" }`,
			`extensions[1]: number "" must be dialable digits`},
		{"dialled number that is empty", `extensions: ["100"]`, `extensions: ["100", ""]`,
			`ivrs[main].extensions[1]: "": want the number (or name, like "s") callers dial: digits, letters, + * # . - _, nothing else`},
		{"dialled number with a space", `extensions: ["100"]`, `extensions: ["1 00"]`,
			`ivrs[main].extensions[0]: "1 00": want the number (or name, like "s") callers dial: digits, letters, + * # . - _, nothing else`},
		{"extension that is also an ivr number", `{ number: "1002" }`, `{ number: "100" }`,
			`extensions[100]: number "100" is also an extension of ivr "main": calls to it reach the menu, never this extension`},
		{"prompt_repeat 0", `    schedule: office`, "    schedule: office\n    prompt_repeat: 0",
			`ivrs[main].prompt_repeat: 0 is out of range 1-5 (the menu plays at least once; leave prompt_repeat out for 3)`},
		{"max_invalid 0", `    schedule: office`, "    schedule: office\n    max_invalid: 0",
			`ivrs[main].max_invalid: 0 is out of range 1-10`},
		{"response_timeout 0", `    schedule: office`, "    schedule: office\n    response_timeout: 0s",
			`ivrs[main].response_timeout: 0s is out of range 1s-10s`},
		{"dial anything", `    schedule: office`, "    schedule: office\n    dial_out: { trunk: pstn, allow: [\"\\\\d+\"] }",
			`ivrs[main].dial_out.allow[0]: "\\d+" lets callers dial any number, premium and international ones included (toll fraud): list the numbers you mean, e.g. "1[2-9][0-9]{9}"`},
		{"port range for one call", `rtp_ports: "10000-19999"`, `rtp_ports: "10000-10001"`,
			`server.media.rtp_ports: "10000-10001" has room for 1 call (each takes an even RTP port and the RTCP port above): want room for at least 2, e.g. "10000-10099" for 50`},
		{"max_errors range", `    schedule: office`, "    schedule: office\n    max_errors: 11",
			`ivrs[main].max_errors: 11 is out of range 1-10 (0 or left out: timeouts and invalid entries are counted apart)`},
		{"holiday range backwards", `2026-12-25`, `2026-12-26..2026-12-24`,
			`schedules[office].holidays[0].date: "2026-12-26..2026-12-24": the range ends before it starts`},
		{"holiday range half written", `2026-12-25`, `2026-12-24..`,
			`schedules[office].holidays[0].date: "2026-12-24..": want YYYY-MM-DD..YYYY-MM-DD (first and last day)`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Contains(t, validBase, tc.from)
			var got []string
			for _, p := range problemsOf(t, strings.Replace(validBase, tc.from, tc.to, 1)) {
				got = append(got, p.String())
			}
			assert.Contains(t, got, tc.want)
		})
	}
	// What stays valid: names as dialled numbers (Asterisk's "s"), a
	// port range for two calls, a holiday range, max_errors 0 (off),
	// a bounded international pattern.
	for _, edit := range [][2]string{
		{`extensions: ["100"]`, `extensions: ["100", "s", "ivr", "+15550100"]`},
		{`rtp_ports: "10000-19999"`, `rtp_ports: "10000-10003"`},
		{`2026-12-25`, `2026-12-24..2026-12-26`},
		{`    schedule: office`, "    schedule: office\n    max_errors: 0"},
		{`    schedule: office`, "    schedule: office\n    dial_out: { trunk: pstn, allow: [\"011[0-9]{7,15}\"] }"},
		{`{ uri: "sip:a@pbx" }`, `{ uri: "sips:alice@[2001:db8::1]:5061;transport=tls" }`},
	} {
		require.Contains(t, validBase, edit[0])
		assert.Empty(t, problemsOf(t, strings.Replace(validBase, edit[0], edit[1], 1)), edit[1])
	}
}

func TestMaxErrorsNeverReachedIsAWarning(t *testing.T) {
	t.Parallel()
	probs := problemsOf(t, strings.Replace(validBase, "    schedule: office", "    schedule: office\n    max_errors: 6", 1))
	assert.False(t, HasErrors(probs))
	require.Len(t, probs, 1)
	assert.Equal(t, "ivrs[main].max_errors: warning: 6 is never reached: prompt_repeat (3) or max_invalid (3) runs out after 5 errors at most", probs[0].String())
}

func TestVoicemailWithoutItsGreetingWarnsOnceNamingWhatPlays(t *testing.T) {
	t.Parallel()
	y := strings.Replace(validBase, `"3": { extension: "1001" }`, `"3": { voicemail: "1002" }`, 1)
	y = strings.Replace(y, `keys: { "8": back }`, `keys: { "8": back, "1": { voicemail: "1002" } }`, 1)
	c, err := Parse([]byte(y))
	require.NoError(t, err)
	assert.Equal(t, []string{"ivrs[main].keys.3: warning: no prompt voicemail-1002: callers to box 1002 hear voicemail-default, then the beep"},
		strs(Validate(c, []string{"menu", "voicemail-1001", "voicemail-default"})))
	assert.Contains(t, strs(Validate(c, []string{"menu"})),
		"ivrs[main].keys.5: warning: no prompt voicemail-1001 or voicemail-default: callers to box 1001 hear only the beep")
}

// Point 11: REFER hands the number to the caller's side, which dials it
// without the trunk's credentials and caller id.
func TestReferThroughAnAuthenticatedTrunkWarns(t *testing.T) {
	t.Parallel()
	y := strings.Replace(validBase, `{ name: pstn, uri: "sip:gw.example.net" }`, `{ name: pstn, uri: "sip:gw.example.net", username: acme, password: s, from_user: "+15550100" }`, 1)
	assert.Equal(t, []string{`ivrs[main].keys.2: warning: transfer: refer asks the caller's side to dial the number itself: trunk "pstn"'s credentials (username/password) and caller id (from_user) are not used (set transfer: bridge to call out through the trunk)`},
		strs(problemsOf(t, y)))
	auto := strings.Replace(y, "    schedule: office", "    schedule: office\n    transfer: auto\n    dial_out: { trunk: pstn, allow: [\"1[2-9][0-9]{9}\"] }", 1)
	assert.Equal(t, []string{
		`ivrs[main].dial_out: warning: transfer: auto tries REFER first, which asks the caller's side to dial the number itself: trunk "pstn"'s credentials (username/password) and caller id (from_user) are not used (set transfer: bridge to call out through the trunk)`,
		`ivrs[main].keys.2: warning: transfer: auto tries REFER first, which asks the caller's side to dial the number itself: trunk "pstn"'s credentials (username/password) and caller id (from_user) are not used (set transfer: bridge to call out through the trunk)`,
	}, strs(problemsOf(t, auto)))
	bridged := strings.Replace(y, `{ external: "+15551234567", trunk: pstn }`, `{ external: "+15551234567", trunk: pstn, transfer: bridge }`, 1)
	assert.Empty(t, problemsOf(t, bridged))
}

func strs(ps []Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.String())
	}
	return out
}

// An empty or truncated file is refused, by name.
func TestEmptyConfigIsRefused(t *testing.T) {
	t.Parallel()
	for _, y := range []string{"", "\n\n", "# only a comment\n", "---\n", "~\n"} {
		_, err := Parse([]byte(y))
		require.Error(t, err, "%q", y)
		assert.True(t, errors.Is(err, ErrEmptyConfig), "%q: %v", y, err)
		assert.Contains(t, err.Error(), "the configuration is empty")
	}
	_, err := Parse([]byte("just words\n"))
	assert.ErrorContains(t, err, `config: line 1: want settings (server:, trunks:, extensions:, schedules:, ivrs: ...), not the value "just words"`)
}

// A typo does not hide the file's other problems: every unknown field
// with a suggestion, every value of the wrong kind at its path, and no
// Go type names.
func TestTyposAreAllReportedWithSuggestions(t *testing.T) {
	t.Parallel()
	y := `
server:
  sip: { listen: "udp://0.0.0.0:5060" }
  media: { rtp_port: "10000-10099" }
trunks: [{ name: pstn, uri: "sip:gw", passwrd: x, strip: two }]
ivrs:
  - id: main
    extensions: ["100"]
    promt: menu
    prompt_repeat: many
    barge_in: maybe
    keys:
      "1": { uri: "sip:a@pbx", ovreflow: hangup }
      "2": nowhere
`
	c, probs := Decode([]byte(y))
	require.NotNil(t, c, "what could be read is returned, for validate")
	assert.Equal(t, []string{
		`server.sip.listen: line 3: want a list, not text "udp://0.0.0.0:5060"`,
		`server.media.rtp_port: line 4: unknown field "rtp_port" (did you mean "rtp_ports"?)`,
		`trunks[pstn].passwrd: line 5: unknown field "passwrd" (did you mean "password"?)`,
		`trunks[pstn].strip: line 5: want a whole number, not text "two"`,
		`ivrs[main].promt: line 9: unknown field "promt" (did you mean "prompt"?)`,
		`ivrs[main].prompt_repeat: line 10: want a whole number, not text "many"`,
		`ivrs[main].barge_in: line 11: want true or false, not text "maybe"`,
		`ivrs[main].keys.1.ovreflow: line 13: unknown destination field "ovreflow" (did you mean "overflow"?)`,
		`ivrs[main].keys.2: line 14: unknown destination "nowhere" (want repeat, back, top, menu, hangup or a mapping)`,
	}, strs(probs))
	for _, p := range probs {
		assert.NotRegexp(t, `ivr\.|\bint\b|\[\]string|map\[`, p.Msg, "no Go type names")
	}
	// Validate still runs on the rest: main has no prompt and key 1 is fine.
	assert.Contains(t, strs(Validate(c, []string{"menu"})), `ivrs[main].prompt_repeat: 0 is out of range 1-5 (the menu plays at least once; leave prompt_repeat out for 3)`)
	_, err := Parse([]byte(y))
	var ce *ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Len(t, ce.Problems, len(probs))
}

// server.api.tokens as the contract writes them: mappings, not strings.
func TestAPITokens(t *testing.T) {
	t.Parallel()
	y := strings.Replace(validBase, `server: {`, `server: { api: { tokens: [
    { name: admin, token: "change-me", scope: write },
    { name: grafana, token_sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", scope: read },
    { name: bad, token: x, token_sha256: "abc", scope: admin },
    { token_sha256: "xyz" } ], tls_cert: /etc/ivrd/cert.pem },`, 1)
	assert.Equal(t, []string{
		`server.api.tokens[bad]: want token or token_sha256, not both`,
		`server.api.tokens[bad].scope: "admin": want read or write`,
		`server.api.tokens[3]: name is required (it is how logs tell tokens apart)`,
		`server.api.tokens[3].token_sha256: want 64 hex digits (sha256sum of the token)`,
		`server.api: tls_cert and tls_key go together`,
	}, strs(problemsOf(t, y)))
}

// A file whose aliases expand to billions of values ("billion laughs")
// is refused before decoding builds them: each level below names the one
// before twice.
func TestAliasBombIsRefused(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("ivrs:\n  - id: main\n    extensions: [\"1\"]\n    keys:\n      \"1\": &d0 { uri: \"a@b\" }\n")
	for i := 1; i < 40; i++ {
		fmt.Fprintf(&b, "      \"%d\": &d%d { play: x, then: *d%d, overflow: *d%d }\n", i%10, i, i-1, i-1)
	}
	_, err := Parse([]byte(b.String()))
	assert.ErrorContains(t, err, "aliases expand to more than 200000 values: not a configuration")
}
