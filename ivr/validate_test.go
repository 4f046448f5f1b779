package ivr

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/audio"
)

// validBase is a small valid config; each case below breaks one rule.
const validBase = `
server: { media: { rtp_ports: "10000-19999" } }
trunks: [{ name: pstn, uri: "sip:gw.example.net" }]
extensions: [{ number: "1001" }, { number: "1002" }]
schedules:
  - id: office
    timezone: "Europe/Paris"
    open: ["mon-fri 09:00-17:00"]
    holidays: [{ date: "2026-12-25", name: Christmas, prompt: menu }]
    closed: { prompt: menu, then: hangup }
ivrs:
  - id: main
    extensions: ["100"]
    prompt: menu
    schedule: office
    keys:
      "1": { uri: "sip:a@pbx" }
      "2": { external: "+15551234567", trunk: pstn }
      "3": { extension: "1001" }
      "4": { ivr: sub }
      "5": { voicemail: "1001" }
  - id: sub
    prompt: menu
    keys: { "8": back }
`

func problemsOf(t *testing.T, yaml string) []Problem {
	t.Helper()
	c, err := Parse([]byte(yaml))
	require.NoError(t, err)
	return Validate(c, []string{"menu", "voicemail-1001"})
}

func TestValidBaseIsClean(t *testing.T) {
	t.Parallel()
	assert.Empty(t, problemsOf(t, validBase))
}

func TestValidationRulesOnePerCase(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, from, to string // edit of validBase
		want           string // the full Problem.String()
	}{
		{"odd rtp range start", `rtp_ports: "10000-19999"`, `rtp_ports: "10001-19999"`,
			`server.media.rtp_ports: "10001-19999": RTP ports are even (RTCP takes the odd one above): start the range on an even port`},
		{"reversed rtp range", `rtp_ports: "10000-19999"`, `rtp_ports: "20000-10000"`,
			`server.media.rtp_ports: "20000-10000": want 1024 <= LOW < HIGH <= 65535`},
		{"codec", `rtp_ports: "10000-19999"`, `rtp_ports: "10000-19999", codecs: [PCMU, G729]`,
			`server.media.codecs[1]: unsupported codec "G729" (PCMU, PCMA, G722, opus)`},
		{"trunk codec", `uri: "sip:gw.example.net" }`, `uri: "sip:gw.example.net", codecs: [G722, G729] }`,
			`trunks[pstn].codecs[1]: unsupported codec "G729" (PCMU, PCMA, G722, opus)`},
		{"dtmf method", `rtp_ports: "10000-19999"`, `rtp_ports: "10000-19999", dtmf: [rfc2833]`,
			`server.media.dtmf[0]: unknown DTMF method "rfc2833" (rfc4733, inband, info)`},
		{"inband mode", `rtp_ports: "10000-19999"`, `rtp_ports: "10000-19999", inband: sometimes`,
			`server.media.inband: "sometimes": want auto, always or never`},
		{"srtp mode", `rtp_ports: "10000-19999"`, `rtp_ports: "10000-19999", srtp: mandatory`,
			`server.media.srtp: "mandatory": want off, optional or required`},
		{"trunk srtp mode", `uri: "sip:gw.example.net" }]`, `uri: "sip:gw.example.net", srtp: yes }]`,
			`trunks[pstn].srtp: "yes": want off, optional or required`},
		{"listen host name", `server: {`, `server: { sip: { listen: ["udp://localhost:5060"] },`,
			`server.sip.listen[0]: "udp://localhost:5060": bad address: ParseAddr("localhost"): unable to parse IP`},
		{"api listen", `server: {`, `server: { api: { listen: "8080" },`,
			`server.api.listen: "8080": want IP:PORT, e.g. "127.0.0.1:8080"`},
		{"api token without secret", `server: {`, `server: { api: { tokens: [{ name: admin, scope: write }] },`,
			`server.api.tokens[admin]: want token or token_sha256`},
		{"api token hash", `server: {`, `server: { api: { tokens: [{ name: ro, token_sha256: "abc", scope: read }] },`,
			`server.api.tokens[ro].token_sha256: want 64 hex digits (sha256sum of the token)`},
		{"api token scope", `server: {`, `server: { api: { tokens: [{ name: ro, token: "0123456789abcdef", scope: admin }] },`,
			`server.api.tokens[ro].scope: "admin": want read or write`},
		{"api tls half", `server: {`, `server: { api: { tls_cert: /x.pem },`,
			`server.api: tls_cert and tls_key go together`},
		{"store", `server: {`, `server: { store: "mysql://x",`,
			`server.store: "mysql://x": want sqlite://FILE or postgres://...`},
		{"duplicate trunk", `trunks: [{ name: pstn, uri: "sip:gw.example.net" }]`, `trunks: [{ name: pstn, uri: "sip:gw.example.net" }, { name: pstn, uri: "sip:gw2" }]`,
			`trunks[pstn]: duplicate trunk name "pstn"`},
		{"trunk uri", `uri: "sip:gw.example.net"`, `uri: "gw.example.net"`,
			`trunks[pstn].uri: "gw.example.net": want a sip: URI`},
		{"duplicate extension", `{ number: "1002" }`, `{ number: "1001" }`,
			`extensions[1001]: duplicate extension "1001"`},
		{"extension not dialable", `{ number: "1002" }`, `{ number: "sales" }`,
			`extensions[sales]: number "sales" must be dialable digits`},
		{"bad time zone", `Europe/Paris`, `Europe/Atlantis`,
			`schedules[office].timezone: unknown time zone "Europe/Atlantis" (want an IANA name like "Europe/Paris")`},
		{"bad open hours", `mon-fri 09:00-17:00`, `mon-fry 09:00-17:00`,
			`schedules[office].open[0]: open hours "mon-fry 09:00-17:00": bad day "mon-fry" (mon..sun)`},
		{"bad holiday date", `2026-12-25`, `2026-13-01`,
			`schedules[office].holidays[0].date: "2026-13-01": want YYYY-MM-DD`},
		{"unknown holiday prompt", `name: Christmas, prompt: menu`, `name: Christmas, prompt: xmas`,
			`schedules[office].holidays[0].prompt: unknown prompt "xmas" (no xmas.wav or xmas.pcm in prompts_dir)`},
		{"back outside a menu", `closed: { prompt: menu, then: hangup }`, `closed: { prompt: menu, then: back }`,
			`schedules[office].closed.then: "back" only makes sense inside a menu`},
		{"unknown schedule", `schedule: office`, `schedule: weekends`,
			`ivrs[main].schedule: unknown schedule "weekends"`},
		{"unknown voicemail box", `{ voicemail: "1001" }`, `{ voicemail: "1999" }`,
			`ivrs[main].keys.5: unknown voicemail box "1999" (a box is an extension, a group or a voicemail_boxes entry)`},
		{"external without trunk", `{ external: "+15551234567", trunk: pstn }`, `{ external: "+15551234567" }`,
			`ivrs[main].keys.2: external needs a trunk`},
		{"external not a number", `{ external: "+15551234567", trunk: pstn }`, `{ external: "1+555", trunk: pstn }`,
			`ivrs[main].keys.2: external number "1+555" must be digits (optionally +)`},
		{"trunk on a uri", `{ uri: "sip:a@pbx" }`, `{ uri: "sip:a@pbx", trunk: pstn }`,
			`ivrs[main].keys.1.trunk: trunk only applies to external numbers`},
		{"then on an ivr", `{ ivr: sub }`, `{ ivr: sub, then: hangup }`,
			`ivrs[main].keys.4.then: then only follows play, set_language, webhook, gather or stream`},
		{"transfer on an ivr", `{ ivr: sub }`, `{ ivr: sub, transfer: bridge }`,
			`ivrs[main].keys.4.transfer: transfer only applies to uri, external and extension`},
		{"bad transfer method", `{ uri: "sip:a@pbx" }`, `{ uri: "sip:a@pbx", transfer: blind }`,
			`ivrs[main].keys.1.transfer: "blind": want refer, bridge or auto`},
		{"ring_timeout range", `{ uri: "sip:a@pbx" }`, `{ uri: "sip:a@pbx", ring_timeout: 10m }`,
			`ivrs[main].keys.1.ring_timeout: 10m0s is out of range 0-300s`},
		{"unknown prompt in a recorded answer", `{ voicemail: "1001" }`, `{ play: hours }`,
			`ivrs[main].keys.5.play: unknown prompt "hours" (no hours.wav or hours.pcm in prompts_dir)`},
		{"max_invalid range", `    schedule: office`, "    schedule: office\n    max_invalid: 11",
			`ivrs[main].max_invalid: 11 is out of range 1-10`},
		{"prompt_repeat zero is the default, negative is not", `    schedule: office`, "    schedule: office\n    prompt_repeat: -1",
			`ivrs[main].prompt_repeat: -1 is out of range 1-5`},
		{"response_timeout below", `    schedule: office`, "    schedule: office\n    response_timeout: 900ms",
			`ivrs[main].response_timeout: 900ms is out of range 1s-10s`},
		{"digit_timeout above", `    schedule: office`, "    schedule: office\n    digit_timeout: 10500ms",
			`ivrs[main].digit_timeout: 10.5s is out of range 1s-10s`},
		{"answer_delay range", `    schedule: office`, "    schedule: office\n    answer_delay: 1m",
			`ivrs[main].answer_delay: 1m0s is out of range 0-10s`},
		{"terminator", `    schedule: office`, "    schedule: office\n    terminator: \"5\"",
			`ivrs[main].terminator: "5": want "#" or "*"`},
		{"on_failure replays the menu forever", `    schedule: office`, "    schedule: office\n    on_failure: { play: menu, then: repeat }",
			`ivrs[main].on_failure: "repeat" replays this menu with its counters spent: the call would never end (use back, top, an ivr or hangup)`},
		{"dial_out unknown trunk", `    schedule: office`, "    schedule: office\n    dial_out: { trunk: carrier, allow: [\"^1[0-9]{10}$\"] }",
			`ivrs[main].dial_out.trunk: unknown trunk "carrier"`},
		{"dial_out without allow", `    schedule: office`, "    schedule: office\n    dial_out: { trunk: pstn }",
			`ivrs[main].dial_out.allow: dial_out needs at least one allow pattern (toll-fraud guard)`},
		{"dial_out regex", `    schedule: office`, "    schedule: office\n    dial_out: { trunk: pstn, allow: [\"^1(2\"] }",
			"ivrs[main].dial_out.allow[0]: bad regular expression \"^1(2\": error parsing regexp: missing closing ): `^1(2`"},
		{"key collides with direct dial", `{ number: "1002" }`, "{ number: \"5\" }]\n#",
			``}, // filled below
		{"key not on a keypad", `"8": back`, `"8": back, "A": hangup`,
			`ivrs[sub].keys.A: key "A": want 0-9, *, # or default`},
		{"duplicate id", `  - id: sub`, `  - id: main`,
			`ivrs[main]: duplicate ivr id "main"`},
		{"duplicate dialled number", "  - id: sub\n", "  - id: sub\n    extensions: [\"100\"]\n",
			`ivrs[sub].extensions[0]: "100" already reaches ivr "main"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			y := validBase
			if tc.name == "key collides with direct dial" {
				y = strings.Replace(y, `{ number: "1002" }`, `{ number: "1002" }, { number: "5" }`, 1)
				y = strings.Replace(y, "    schedule: office", "    schedule: office\n    direct_dial: true", 1)
				tc.want = `ivrs[main].keys.5: extension "5" is dialled by the same key: one of them can never be reached`
			} else {
				require.Contains(t, y, tc.from)
				y = strings.Replace(y, tc.from, tc.to, 1)
			}
			var got []string
			for _, p := range problemsOf(t, y) {
				got = append(got, p.String())
			}
			assert.Contains(t, got, tc.want)
		})
	}
}

func TestValidationWarnings(t *testing.T) {
	t.Parallel()
	warn := func(t *testing.T, y, want string) {
		t.Helper()
		probs := problemsOf(t, y)
		assert.False(t, HasErrors(probs), "%v", probs)
		var got []string
		for _, p := range probs {
			got = append(got, p.String())
		}
		assert.Contains(t, got, want)
	}
	t.Run("unreachable chain", func(t *testing.T) {
		warn(t, validBase+"  - { id: island, prompt: menu, keys: { \"1\": { ivr: island2 } } }\n  - { id: island2, prompt: menu, keys: { \"1\": hangup } }\n",
			"ivrs[island2]: warning: no extension or destination reaches this ivr")
	})
	t.Run("reached through closed handling", func(t *testing.T) {
		y := strings.Replace(validBase, "then: hangup }", "then: { ivr: night } }", 1) + "  - { id: night, prompt: menu, keys: { \"1\": hangup } }\n"
		assert.Empty(t, problemsOf(t, y))
	})
	t.Run("pattern matching no number", func(t *testing.T) {
		warn(t, strings.Replace(validBase, "    schedule: office", "    schedule: office\n    dial_out: { trunk: pstn, allow: [\"^\\\\+1[0-9]+$\"] }", 1),
			`ivrs[main].dial_out.allow[0]: warning: "^\\+1[0-9]+$" matches no all-digit number: nothing can be dialled with it`)
	})
	t.Run("extension containing the terminator", func(t *testing.T) {
		y := strings.Replace(validBase, `{ number: "1002" }`, `{ number: "10#2" }`, 1)
		warn(t, strings.Replace(y, "    schedule: office", "    schedule: office\n    direct_dial: true", 1),
			`ivrs[main].direct_dial: warning: extension "10#2" contains the terminator "#": it cannot be dialled from this menu`)
	})
	t.Run("schedule without a time zone", func(t *testing.T) {
		warn(t, strings.Replace(validBase, `    timezone: "Europe/Paris"`+"\n", "", 1),
			`schedules[office].timezone: warning: no time zone: open hours and holidays are read in UTC`)
	})
	t.Run("no ivrs", func(t *testing.T) {
		warn(t, "trunks: []\n", "ivrs: warning: no ivrs: every call would be refused")
	})
	t.Run("menu without keys", func(t *testing.T) {
		warn(t, strings.Replace(validBase, `keys: { "8": back }`, `on_failure: back`, 1),
			`ivrs[sub].keys: warning: no keys, direct_dial or dial_out: callers can only wait for on_failure`)
	})
}

func TestConfigValidateMethodSkipsPrompts(t *testing.T) {
	t.Parallel()
	c, err := Parse([]byte(strings.ReplaceAll(validBase, "prompt: menu", "prompt: elsewhere")))
	require.NoError(t, err)
	assert.Empty(t, c.Validate())
	assert.True(t, HasErrors(Validate(c, nil)), "the package function checks prompts")
}

func TestParseNamesUnquotedHashAndStarKeys(t *testing.T) {
	t.Parallel()
	_, err := Parse([]byte("ivrs:\n  - id: m\n    keys:\n      \"1\": hangup\n      #: hangup\n      *: repeat\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `line 5: quote the key # (write "#": ...): YAML reads a bare # as a comment`)
	assert.Contains(t, err.Error(), `line 6: quote the key * (write "*": ...): YAML reads a bare * as an alias`)
	c, err := Parse([]byte("ivrs:\n  - id: m\n    keys:\n      \"#\": hangup # ends the call\n      1: repeat\n# a comment\n"))
	require.NoError(t, err)
	assert.Len(t, c.IVRs[0].Keys, 2, "quoted keys and unquoted digits are fine")
}

func TestSRTPSettingsParsedPerServerAndTrunk(t *testing.T) {
	c, err := Parse([]byte(strings.Replace(strings.Replace(validBase, `rtp_ports: "10000-19999"`,
		`rtp_ports: "10000-19999", srtp: optional, srtp_insecure_signalling: true`, 1),
		`uri: "sip:gw.example.net" }]`, `uri: "sip:gw.example.net", srtp: required }, { name: plain, uri: "sip:gw2.example.net" }]`, 1)))
	require.NoError(t, err)
	assert.Empty(t, Validate(c, []string{"menu", "voicemail-1001"}))
	m := c.MediaSettings()
	assert.Equal(t, SRTPOptional, m.SRTP)
	assert.True(t, m.SRTPInsecureSignalling)
	assert.Equal(t, SRTPRequired, m.TrunkSRTP(c.Trunks[0]), "a trunk's own mode")
	assert.Equal(t, SRTPOptional, m.TrunkSRTP(c.Trunks[1]), "else the server's")
}

func TestSRTPWithoutTLSWarns(t *testing.T) {
	withSRTP := strings.Replace(validBase, `rtp_ports: "10000-19999"`, `rtp_ports: "10000-19999", srtp: required`, 1)
	ps := problemsOf(t, withSRTP)
	require.Len(t, ps, 1)
	assert.True(t, ps[0].Warning)
	assert.Contains(t, ps[0].String(), "server.media.srtp: warning: required, but SIP is not on TLS")
	insecure := strings.Replace(withSRTP, "srtp: required", "srtp: required, srtp_insecure_signalling: true", 1)
	assert.Empty(t, problemsOf(t, insecure), "keys over UDP allowed explicitly")
	trunk := strings.Replace(validBase, `uri: "sip:gw.example.net" }]`, `uri: "sip:gw.example.net", srtp: optional }]`, 1)
	ps = problemsOf(t, trunk)
	require.Len(t, ps, 1)
	assert.Contains(t, ps[0].String(), "trunks[pstn].srtp: warning: optional, but SIP is not on TLS")
}

// A trunk's codecs list is its own preference; without one (or for a
// name that is no trunk) the server's applies.
func TestTrunkCodecs(t *testing.T) {
	c, err := Parse([]byte(strings.Replace(validBase, `uri: "sip:gw.example.net" }`,
		`uri: "sip:gw.example.net", codecs: [g722, PCMA] }, { name: plain, uri: "sip:gw2.example.net" }`, 1)))
	require.NoError(t, err)
	assert.Empty(t, Validate(c, []string{"menu", "voicemail-1001"}))
	assert.Equal(t, []audio.Codec{audio.G722, audio.PCMA}, c.TrunkCodecs("pstn"))
	assert.Nil(t, c.TrunkCodecs("plain"))
	assert.Nil(t, c.TrunkCodecs("nope"))
	c, err = Parse([]byte(strings.Replace(validBase, `rtp_ports: "10000-19999"`, `rtp_ports: "10000-19999", codecs: [G722, PCMU]`, 1)))
	require.NoError(t, err)
	assert.Empty(t, Validate(c, []string{"menu", "voicemail-1001"}))
	assert.Equal(t, []audio.Codec{audio.G722, audio.PCMU}, c.MediaSettings().Codecs)
}
