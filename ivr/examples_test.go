package ivr

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// bundled lists the prompt names ivrd ships (prompts/builtin).
var bundled = []string{"welcome", "main-choices", "support-choices", "invalid", "goodbye", "timeout",
	"closed", "holiday", "opening-hours", "transferring", "voicemail-default"}

func loadExample(t *testing.T, name string) *Config {
	t.Helper()
	c, err := Load(filepath.Join("..", "examples", name))
	require.NoError(t, err)
	// The one warning an example may have: a voicemail box without a
	// greeting of its own gets the bundled one, and validate says so.
	var probs []Problem
	for _, p := range Validate(c, bundled) {
		if !p.Warning || !strings.Contains(p.Msg, "hear voicemail-default") {
			probs = append(probs, p)
		}
	}
	assert.Empty(t, probs, "%s: %v", name, probs)
	return c
}

func TestEveryExampleValidates(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("../examples/*.yaml")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 6)
	for _, f := range files {
		loadExample(t, filepath.Base(f))
	}
}

func simExample(t *testing.T, c *Config, to, script string, at time.Time) string {
	t.Helper()
	// Real prompt lengths are not needed for the flow: 2 s each.
	tr, err := Simulate(c, SimOptions{To: to, Script: script, At: at,
		Duration: func(string) (time.Duration, bool) { return 2 * time.Second, true }})
	require.NoError(t, err)
	return brief(tr)
}

var parisWeekday = time.Date(2026, 11, 24, 10, 0, 0, 0, mustLoc("Europe/Paris"))

func TestWazoMinimalFlow(t *testing.T) {
	t.Parallel()
	c := loadExample(t, "wazo-minimal.yaml")
	// Answer(1000), welcome, choices; 2 goes to 8833.
	got := simExample(t, c, "8899", "wait:4s,2", parisWeekday)
	assert.Equal(t, lines("0 answer", "1000 enter dp-ivr-example", "1000 play welcome", "3000 play main-choices*",
		"4000 digit 2", "4000 stop main-choices", "4000 transfer extension 8833/refer"), got)
	// Three invalid choices: invalid sound twice, then the error sound and hang-up.
	got = simExample(t, c, "8899", "wait:3500ms,9,wait:2s,9,wait:2s,9", parisWeekday)
	assert.Equal(t, 3, strings.Count(got, "invalid 9"))
	// (max_errors: 3 since issue 13: the third error skips the invalid
	// prompt, as Wazo's dialplan does; it used to play it a third time.)
	assert.Equal(t, 2, strings.Count(got, "play invalid"), got)
	assert.True(t, strings.HasSuffix(got, "7500 play goodbye\n9500 hangup failure\n"), got)
	// Timeouts and invalid keys share the counter: timeout, invalid,
	// timeout is the third error.
	got = simExample(t, c, "8899", "wait:12s,9", parisWeekday)
	assert.Equal(t, lines("0 answer", "1000 enter dp-ivr-example", "1000 play welcome", "3000 play main-choices*",
		"10000 timeout dp-ivr-example", "10000 play invalid", "12000 play main-choices*",
		"12000 digit 9", "12000 stop main-choices", "12000 invalid 9", "12000 play invalid", "14000 play main-choices*",
		"21000 timeout dp-ivr-example", "21000 failure dp-ivr-example", "21000 play goodbye", "23000 hangup failure"), got)
	// Nothing pressed: choices three times, 5 s wait each, then failure.
	got = simExample(t, c, "8899", "", parisWeekday)
	assert.Equal(t, 3, strings.Count(got, "play main-choices"))
	assert.Equal(t, 3, strings.Count(got, "timeout dp-ivr-example"))
	assert.Contains(t, got, "hangup failure")
	// Closed on Sunday, holiday prompt on Christmas.
	assert.Contains(t, simExample(t, c, "8899", "", time.Date(2026, 11, 29, 10, 0, 0, 0, mustLoc("Europe/Paris"))), "play closed")
	// Christmas is a range: 24 to 26 December, both included.
	for day := 23; day <= 28; day++ {
		got := simExample(t, c, "8899", "", time.Date(2026, 12, day, 10, 0, 0, 0, mustLoc("Europe/Paris")))
		assert.Equal(t, day >= 24 && day <= 26, strings.Contains(got, "closed holiday Christmas\n"), "24-26 December only: %d\n%s", day, got)
	}
	assert.Contains(t, simExample(t, c, "8899", "", time.Date(2027, 1, 1, 10, 0, 0, 0, mustLoc("Europe/Paris"))), "play holiday")
}

func TestWazoSubmenuFlow(t *testing.T) {
	t.Parallel()
	c := loadExample(t, "wazo-submenu.yaml")
	got := simExample(t, c, "8899", "wait:4s,3,wait:1s,8,wait:1s,3,wait:1s,2", parisWeekday)
	assert.Equal(t, lines("0 answer", "1000 enter dp-ivr-example", "1000 play welcome", "3000 play main-choices*",
		"4000 digit 3", "4000 stop main-choices", "4000 enter dp-ivr-submenu", "4000 play support-choices*",
		"5000 digit 8", "5000 stop support-choices", "5000 enter dp-ivr-example", "5000 play main-choices*",
		"6000 digit 3", "6000 stop main-choices", "6000 enter dp-ivr-submenu", "6000 play support-choices*",
		"7000 digit 2", "7000 stop support-choices", "7000 transfer extension 8548/refer"), got)
}

func TestConnexCSKeyMap(t *testing.T) {
	t.Parallel()
	c := loadExample(t, "connexcs.yaml")
	want := map[string]string{
		"0": "uri sip:reception@pbx.example.net/refer",
		"2": "uri sip:support@pbx.example.net/refer",
		"3": "external +442079460000 via carrier/bridge",
		"5": "extension 101/refer",
		"9": "uri sip:emergency-desk@pbx.example.net/refer",
		"#": "hangup hangup",
	}
	for key, dest := range want {
		assert.Contains(t, simExample(t, c, "500", "wait:3s,"+key, parisWeekday), dest, "key %s", key)
	}
	assert.Contains(t, simExample(t, c, "500", "wait:3s,*,wait:1s,#", parisWeekday), "play main-choices*\n3000 digit *\n3000 stop main-choices\n3000 play main-choices*")
}

func TestYeastarDialExtensionDialOutVoicemail(t *testing.T) {
	t.Parallel()
	c := loadExample(t, "yeastar.yaml")
	assert.Contains(t, simExample(t, c, "6500", "wait:1s,1002", parisWeekday), "1300 transfer extension 1002/refer")
	// Dial-out: the route's prefix 9 is added to the number as sent.
	assert.Contains(t, simExample(t, c, "6500", "wait:1s,12125551234", parisWeekday), `transfer external 912125551234 via route1/refer`)
	assert.Contains(t, simExample(t, c, "6500", "wait:1s,*", parisWeekday), "transfer voicemail 1001/voicemail")
	// Not allowed: an international number is invalid.
	assert.Contains(t, simExample(t, c, "6500", "wait:1s,11", parisWeekday), "1100 invalid 11")
	// Three prompts, 3 s response timeout each.
	got := simExample(t, c, "6500", "", parisWeekday)
	assert.Contains(t, got, "0 play main-choices*\n5000 timeout")
	assert.Equal(t, 3, strings.Count(got, "play main-choices"))
}

func TestZendeskTree(t *testing.T) {
	t.Parallel()
	c := loadExample(t, "zendesk.yaml")
	assert.Contains(t, simExample(t, c, "+15550199", "wait:3s,3", parisWeekday), "3000 play opening-hours\n5000 play main-choices*")
	assert.Contains(t, simExample(t, c, "+15550199", "wait:3s,7", parisWeekday), "transfer uri sip:group-support@agents.example.net/auto")
	assert.Contains(t, simExample(t, c, "+15550199", "wait:3s,2,wait:1s,8,wait:1s,5", parisWeekday), "enter billing-menu")
	tr, err := Simulate(c, SimOptions{To: "+15550199", Script: "wait:3s,1", At: parisWeekday, TransferFails: true,
		Duration: func(string) (time.Duration, bool) { return time.Second, true }})
	require.NoError(t, err)
	got := brief(tr)
	assert.Contains(t, got, "transfer_failed main-menu")
	assert.Contains(t, got, "transfer voicemail 2000/voicemail", "overflow runs when the group does not answer")
}

func TestValidationRules(t *testing.T) {
	t.Parallel()
	base := func(extra string) string {
		return `
trunks: [{ name: pstn, uri: "sip:gw.example.net" }]
extensions: [{ number: "1001" }]
schedules: [{ id: office, timezone: "UTC", open: ["mon-fri 09:00-17:00"] }]
ivrs:
  - id: main
    extensions: ["100"]
    prompt: menu
` + extra
	}
	cases := []struct {
		name, yaml, path, msg string
	}{
		{"unknown ivr", base("    keys:\n      \"4\": { ivr: sales2 }\n"), "ivrs[main].keys.4", `unknown ivr "sales2"`},
		{"unknown trunk", base("    keys:\n      \"2\": { external: \"+1555\", trunk: nope }\n"), "ivrs[main].keys.2", `unknown trunk "nope"`},
		{"unknown extension", base("    keys:\n      \"3\": { extension: \"999\" }\n"), "ivrs[main].keys.3", `unknown extension "999"`},
		{"unknown schedule", base("    schedule: weekends\n"), "ivrs[main].schedule", `unknown schedule "weekends"`},
		{"unknown prompt", base("    greeting: hello\n"), "ivrs[main].greeting", `unknown prompt "hello"`},
		{"prompt_repeat range", base("    prompt_repeat: 6\n"), "ivrs[main].prompt_repeat", "out of range 1-5"},
		{"response_timeout range", base("    response_timeout: 11s\n"), "ivrs[main].response_timeout", "out of range 1s-10s"},
		{"digit_timeout range", base("    digit_timeout: 500ms\n"), "ivrs[main].digit_timeout", "out of range 1s-10s"},
		{"bad key", base("    keys:\n      \"10\": hangup\n"), "ivrs[main].keys.10", "want 0-9, *, # or default"},
		{"key collides with extension", base("    direct_dial: true\n    keys:\n      \"1\": hangup\n") + "", "", ""},
		{"dial_out without allow", base("    dial_out: { trunk: pstn }\n"), "ivrs[main].dial_out.allow", "at least one allow pattern"},
		{"bad regex", base("    dial_out: { trunk: pstn, allow: [\"^1[\"] }\n"), "ivrs[main].dial_out.allow[0]", "bad regular expression"},
		{"duplicate dialled number", base("  - id: other\n    extensions: [\"100\"]\n    prompt: menu\n"), "ivrs[other].extensions[0]", `"100" already reaches ivr "main"`},
		{"duplicate id", base("  - id: main\n    prompt: menu\n"), "ivrs[main]", `duplicate ivr id "main"`},
		{"bad time zone", strings.Replace(base(""), `timezone: "UTC"`, `timezone: "Mars/Olympus"`, 1), "schedules[office].timezone", "unknown time zone"},
		{"bad open hours", strings.Replace(base(""), `mon-fri 09:00-17:00`, `mon-fri 9-5`, 1), "schedules[office].open[0]", "bad time range"},
		{"bad codec", "server: { media: { codecs: [G729] } }\n" + base(""), "server.media.codecs[0]", `unsupported codec "G729"`},
		{"bad rtp ports", "server: { media: { rtp_ports: \"abc\" } }\n" + base(""), "server.media.rtp_ports", "want"},
		{"bad listen", "server: { sip: { listen: [\"sctp://1.2.3.4:5060\"] } }\n" + base(""), "server.sip.listen[0]", "want udp://"},
		{"overflow on a menu key", base("    keys:\n      \"1\": { ivr: main, overflow: hangup }\n"), "ivrs[main].keys.1.overflow", "only applies"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			y := tc.yaml
			if tc.name == "key collides with extension" {
				y = strings.Replace(y, `extensions: [{ number: "1001" }]`, `extensions: [{ number: "1001" }, { number: "1" }]`, 1)
				tc.path, tc.msg = "ivrs[main].keys.1", "can never be reached"
			}
			c, err := Parse([]byte(y))
			require.NoError(t, err)
			probs := Validate(c, []string{"menu"})
			var found []string
			for _, p := range probs {
				found = append(found, p.String())
				if p.Path == tc.path && strings.Contains(p.Msg, tc.msg) && !p.Warning {
					return
				}
			}
			t.Fatalf("want %s: %s; got %v", tc.path, tc.msg, found)
		})
	}
}

func TestValidationReportsEverythingAndWarnsOnUnreachable(t *testing.T) {
	t.Parallel()
	c, err := Parse([]byte(`
ivrs:
  - id: main
    extensions: ["100"]
    prompt: nope
    prompt_repeat: 9
    keys: { "1": { ivr: ghost } }
  - id: island
    prompt: menu
`))
	require.NoError(t, err)
	probs := Validate(c, []string{"menu"})
	assert.GreaterOrEqual(t, len(probs), 4)
	var warned bool
	for _, p := range probs {
		if p.Path == "ivrs[island]" && p.Warning {
			warned = true
		}
	}
	assert.True(t, warned, "%v", probs)
}

func TestParseErrorsNameTheLine(t *testing.T) {
	t.Parallel()
	_, err := Parse([]byte("ivrs:\n  - id: main\n    promt: typo\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "line 3")
	assert.Contains(t, err.Error(), "promt")
	_, err = Parse([]byte("ivrs:\n  - id: main\n    keys: { \"1\": { url: x } }\n"))
	assert.ErrorContains(t, err, `unknown destination field "url"`)
	_, err = Parse([]byte("ivrs:\n  - id: main\n    response_timeout: soon\n"))
	assert.ErrorContains(t, err, "bad duration")
	_, err = Parse([]byte("ivrs:\n  - id: main\n    keys: { \"1\": elsewhere }\n"))
	assert.ErrorContains(t, err, `unknown destination "elsewhere"`)
}

func TestLoadResolvesPromptsDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "x.yaml"), []byte("prompts_dir: sounds\n"), 0o644))
	c, err := Load(filepath.Join(dir, "x.yaml"))
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "sounds"), c.PromptsPath())
}

func TestAdmitSource(t *testing.T) {
	t.Parallel()
	open, err := Parse([]byte("trunks: [{ name: pstn, uri: \"sip:gw\" }]\n"))
	require.NoError(t, err)
	_, ok := open.AdmitSource(netip.MustParseAddr("198.51.100.7"))
	assert.True(t, ok, "no inbound_from anywhere: an open IVR")

	c, err := Parse([]byte("trunks: [{ name: pstn, uri: \"sip:gw\", inbound_from: [\"203.0.113.0/24\", \"192.0.2.9\"] }]\n"))
	require.NoError(t, err)
	trunk, ok := c.AdmitSource(netip.MustParseAddr("203.0.113.77"))
	assert.True(t, ok)
	assert.Equal(t, "pstn", trunk)
	_, ok = c.AdmitSource(netip.MustParseAddr("192.0.2.9"))
	assert.True(t, ok)
	_, ok = c.AdmitSource(netip.MustParseAddr("198.51.100.7"))
	assert.False(t, ok, "unknown source refused")
	c.Server.SIP.AllowUnknownSources = true
	_, ok = c.AdmitSource(netip.MustParseAddr("198.51.100.7"))
	assert.True(t, ok, "unless the config says otherwise")
}
