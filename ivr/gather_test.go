package ivr

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// gatherConfig is a menu whose key 1 gathers an account number and
// whose key 2 gathers a PIN with no terminator.
const gatherConfig = `
extensions:
  - { number: "1001", contact: "sip:a@127.0.0.1" }
ivrs:
  - id: m
    extensions: ["300"]
    prompt: main-choices
    keys:
      "1":
        gather: { prompt: enter, invalid_prompt: invalid, min: 3, max: 6, pattern: "[0-9]+", attempts: 2, digit_timeout: 2s, timeout: 8s, var: acct }
        then: { uri: "sip:acct-${digits}@127.0.0.1:5070" }
        fallback: { play: goodbye, then: hangup }
      "2":
        gather: { prompt: enter, min: 4, max: 4, terminator: none }
        then: { external: "${digits}", trunk: t }
trunks:
  - { name: t, uri: "sip:gw@127.0.0.1" }
prompts:
  - { name: enter, say: "Enter your number" }
`

func simGather(t *testing.T, cfgText, script string) string {
	t.Helper()
	c, err := Parse([]byte(cfgText))
	require.NoError(t, err)
	require.False(t, HasErrors(Validate(c, bundled)), "%v", Validate(c, bundled))
	durations := map[string]time.Duration{"main-choices": 2 * time.Second, "enter": time.Second, "invalid": time.Second}
	tr, err := Simulate(c, SimOptions{To: "300", From: "555", Script: script,
		Duration: func(p string) (time.Duration, bool) { d, ok := durations[p]; return d, ok }})
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, WriteTrace(&out, tr))
	return out.String()
}

func TestGatherTerminatorPutsDigitsInTheURI(t *testing.T) {
	out := simGather(t, gatherConfig, "wait:2s,1,wait:1s,12345#")
	assert.Contains(t, out, `"event":"gathered","ivr":"m","digits":"12345"`)
	assert.Contains(t, out, `"dest":{"type":"uri","target":"sip:acct-12345@127.0.0.1:5070"}`)
}

func TestGatherMaxEndsTheEntryAndKeysCutThePrompt(t *testing.T) {
	// 2 then 4 digits typed straight on: the first cuts the gather's
	// prompt, and the fourth ends the entry (max 4, no terminator).
	out := simGather(t, gatherConfig, "wait:2s,25551")
	assert.Contains(t, out, `{"t_ms":2100,"event":"stop","prompt":"enter"}`)
	assert.Contains(t, out, `"dest":{"type":"external","target":"5551","trunk":"t"}`)
}

func TestGatherDigitTimeoutEndsTheEntry(t *testing.T) {
	// 1, then after the 1 s prompt 3 digits and silence: digit_timeout
	// (2 s after the last key) ends the entry.
	out := simGather(t, gatherConfig, "wait:2s,1,wait:1s,777")
	assert.Contains(t, out, `{"t_ms":5200,"event":"gathered","ivr":"m","digits":"777"}`)
}

func TestGatherRefusesThenFallsBack(t *testing.T) {
	// Too short (2 keys), then nothing at all: two attempts used, the
	// fallback says goodbye and hangs up.
	out := simGather(t, gatherConfig, "wait:2s,1,wait:1s,12#")
	assert.Contains(t, out, `"event":"invalid","ivr":"m","digits":"12","detail":"gather"`)
	assert.Contains(t, out, `"event":"play","prompt":"invalid","barge_in":false`)
	// The second attempt: prompt again, then the whole-entry timeout (8 s).
	assert.Contains(t, out, `"event":"timeout","ivr":"m","detail":"gather"`)
	assert.Contains(t, out, `"event":"failure","ivr":"m","detail":"gather"`)
	assert.Contains(t, out, `"prompt":"goodbye"`)
	assert.Contains(t, out, `"event":"hangup","reason":"failure"`)
	assert.NotContains(t, out, `"event":"transfer"`)
}

func TestGatherPatternIsAnchored(t *testing.T) {
	cfg := `
ivrs:
  - id: m
    extensions: ["300"]
    prompt: main-choices
    keys:
      "1":
        gather: { prompt: main-choices, pattern: "12", max: 4, attempts: 1 }
        then: hangup
        fallback: { play: goodbye, then: hangup }
`
	out := simGather(t, cfg, "wait:2s,1,wait:2s,5123#")
	assert.Contains(t, out, `"digits":"5123","detail":"gather"`) // refused: 12 is inside, not the whole entry
	out = simGather(t, cfg, "wait:2s,1,wait:2s,12#")
	assert.Contains(t, out, `"event":"gathered","ivr":"m","digits":"12"`)
}

func TestValidateGatherAndVariables(t *testing.T) {
	cfg := `
ivrs:
  - id: m
    extensions: ["300"]
    prompt: main-choices
    keys:
      "1":
        gather: { prompt: nowhere, min: 5, max: 3, pattern: "([", terminator: "x", var: "9bad", attempts: 11 }
      "2": { uri: "sip:${account}@h" }
      "3": { webhook: "", data: { a: "${vars.x" } }
      "4": { ask: "ftp://x", then: hangup, timeout: 40s }
      "5": { uri: "sip:a@h", fallback: hangup }
      "6": { ask: "http://169.254.169.254/latest/meta-data/" }
prompts:
  - { name: p, say: "hello ${caller}" }
`
	c, probs := Decode([]byte(cfg))
	require.Empty(t, probs)
	var msgs []string
	for _, p := range Validate(c, bundled) {
		if !p.Warning {
			msgs = append(msgs, p.String())
		}
	}
	joined := ""
	for _, m := range msgs {
		joined += m + "\n"
	}
	for _, want := range []string{
		`keys.1.gather.prompt: unknown prompt "nowhere"`,
		`keys.1.gather.max: 3 is less than min 5`,
		`keys.1.gather.terminator: "x"`,
		`keys.1.gather.pattern: "(["`,
		`keys.1.gather.var: "9bad"`,
		`keys.1.gather.attempts: 11 is out of range`,
		`keys.1.then: a gather needs then`,
		`unknown variable ${account}`,
		`${ without its closing }`,
		`keys.4.ask: "ftp://x": want an http:// or https:// URL`,
		`keys.4.then: an ask goes where its answer says`,
		`keys.4.timeout: 40s is out of range`,
		`keys.5.fallback: fallback only applies to gather, ask and stream`,
		`variables are not available here`,
		`keys.6.ask: "http://169.254.169.254/latest/meta-data/": 169.254.169.254 is a loopback, private or link-local address`,
	} {
		assert.Contains(t, joined, want)
	}
}

func TestDecodeUnknownGatherField(t *testing.T) {
	_, probs := Decode([]byte(`
ivrs:
  - id: m
    extensions: ["300"]
    keys:
      "1": { gather: { promtp: x }, then: hangup }
`))
	require.NotEmpty(t, probs)
	assert.Contains(t, probs[0].Msg, `unknown field "promtp" (did you mean "prompt"?)`)
}

func TestSecretGatherShowsNoKeys(t *testing.T) {
	cfg := `
ivrs:
  - id: m
    extensions: ["300"]
    prompt: main-choices
    keys:
      "1":
        gather: { prompt: main-choices, min: 4, max: 4, secret: true, attempts: 2 }
        then: { uri: "sip:pin-${digits}@127.0.0.1" }
        fallback: hangup
`
	out := simGather(t, cfg, "wait:2s,1,wait:2s,12#,wait:3s,4321")
	assert.Contains(t, out, `"event":"invalid","ivr":"m","digits":"**","detail":"gather"`)
	assert.Contains(t, out, `"event":"gathered","ivr":"m","digits":"****"`)
	assert.Contains(t, out, `"target":"sip:pin-4321@127.0.0.1"`, "${digits} carries them")

	c, err := Parse([]byte(cfg))
	require.NoError(t, err)
	e := NewExecutor(c, c.IVRByID("m"), "555", time.Now())
	e.Handle(Started{})
	acts := e.Handle(DigitPressed{Key: '1'})
	assert.Contains(t, acts, MaskKeys{On: true})
	for _, k := range "432" {
		e.Handle(DigitPressed{Key: byte(k)})
	}
	acts = e.Handle(DigitPressed{Key: '1'})
	assert.Contains(t, acts, MaskKeys{On: false}, "keys are shown again once the gather is over")
}
