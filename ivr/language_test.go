package ivr

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const languagesConfig = `
language: en
prompts:
  - { name: hello, say: "Hello." }
  - { name: hello, language: es, say: "Hola." }
ivrs:
  - id: main
    extensions: ["100"]
    greeting: hello
    prompt: choices
    prompt_repeat: 1
    keys:
      "9": { set_language: es }
      "8": { set_language: fr, then: { play: goodbye, then: hangup } }
      "7": { set_language: en, then: { ivr: spanish } }
      "#": hangup
  - id: spanish
    extensions: ["101"]
    language: es
    prompt: choices
    prompt_repeat: 1
    keys:
      "1": { ivr: main }
`

func simLines(t *testing.T, c *Config, to, script string) string {
	t.Helper()
	tr, err := Simulate(c, SimOptions{To: to, Script: script,
		Duration: func(p string) (time.Duration, bool) {
			if strings.HasPrefix(p, "es/") && p != "es/hello" {
				return 0, false // only hello has a Spanish version: the rest falls back
			}
			return time.Second, true
		}})
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, WriteTrace(&b, tr))
	return b.String()
}

func TestSetLanguageKeySwitchesPrompts(t *testing.T) {
	t.Parallel()
	c, err := Parse([]byte(languagesConfig))
	require.NoError(t, err)
	out := simLines(t, c, "100", "wait:1500ms,9")
	assert.Contains(t, out, `{"t_ms":0,"event":"play","prompt":"hello","barge_in":false}`+"\n", "the configuration's own language plays the default set")
	assert.Contains(t, out, `{"t_ms":1500,"event":"language","ivr":"main","detail":"es"}`+"\n")
	assert.Contains(t, out, `{"t_ms":1500,"event":"play","prompt":"choices","barge_in":true,"language":"es"}`+"\n", "the menu again, in Spanish")

	// A menu with its own language switches the call; set_language en is
	// the default set; then leads on.
	out = simLines(t, c, "100", "wait:1500ms,7,wait:500ms,1")
	assert.Contains(t, out, `"event":"enter","ivr":"spanish"}`)
	assert.Contains(t, out, `"event":"play","prompt":"choices","barge_in":true,"language":"es"}`)
	assert.Contains(t, out, `{"t_ms":2000,"event":"enter","ivr":"main"}`)
	assert.NotContains(t, out[strings.Index(out, `"enter","ivr":"main"}`+"\n"+`{"t_ms":2000`):], `"play","prompt":"hello"`, "the greeting is not replayed")

	out = simLines(t, c, "101", "")
	assert.Contains(t, out, `{"t_ms":0,"event":"play","prompt":"choices","barge_in":true,"language":"es"}`)
	out = simLines(t, c, "100", "wait:1500ms,8")
	assert.Contains(t, out, `"event":"play","prompt":"goodbye","barge_in":false,"language":"fr"}`)
}

func TestValidateLanguages(t *testing.T) {
	t.Parallel()
	c, err := Parse([]byte(languagesConfig))
	require.NoError(t, err)
	assert.Equal(t, []string{"es", "fr"}, c.Languages(), "en is the default set's own language")
	var got []string
	for _, p := range Validate(c, []string{"choices", "goodbye", "es/choices", "fr/choices", "fr/goodbye"}) {
		got = append(got, p.String())
	}
	assert.ElementsMatch(t, []string{
		`ivrs[main].keys.8.then.play: warning: prompt "goodbye" has no es version (no es/goodbye.wav in prompts_dir, no prompts entry with language: es): callers in es hear the default one`,
		`ivrs[main].greeting: warning: prompt "hello" has no fr version (no fr/hello.wav in prompts_dir, no prompts entry with language: fr): callers in fr hear the default one`,
	}, got)

	bad, err := Parse([]byte(`
language: "Spanish!"
prompts:
  - { name: x, say: "" , language: "e s" }
ivrs:
  - id: main
    extensions: ["100"]
    language: "../es"
    keys:
      "9": { set_language: "" }
      "8": { set_language: es, then: { play: nope } }
`))
	require.NoError(t, err)
	got = nil
	for _, p := range Validate(bad, []string{}) {
		got = append(got, p.String())
	}
	for _, want := range []string{
		`language: "Spanish!": want a language code like es, fr, pt-br`,
		`prompts[e s/x].say: say is required`,
		`prompts[e s/x].language: "e s": want a language code`,
		`ivrs[main].language: "../es": want a language code`,
		`ivrs[main].keys.9.set_language: want a language code like es`,
		`ivrs[main].keys.8.then.play: unknown prompt "nope"`,
	} {
		found := false
		for _, g := range got {
			found = found || strings.HasPrefix(g, want)
		}
		assert.True(t, found, "want %s in\n%s", want, strings.Join(got, "\n"))
	}
}
