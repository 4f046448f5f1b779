package asterisk

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func translateFile(t *testing.T, path string) *Config {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	d, err := Parse(f)
	require.NoError(t, err)
	return Translate(d, Options{PBX: "wazo.example.net", PromptsDir: "sounds"})
}

// The seed's minimal IVR: welcome once, the choices with a 5 s wait,
// three numbers and a repeat, a timeout counted as an error, the third
// error plays the error sound and hangs up; 8899 reaches it.
func TestWazoMinimalIVR(t *testing.T) {
	c := translateFile(t, "testdata/minimal.conf")
	require.Len(t, c.IVRs, 1)
	m := c.IVRs[0]
	assert.Equal(t, "dp-ivr-example", m.ID)
	assert.Equal(t, []string{"8899"}, m.Extensions)
	assert.Equal(t, "1s", m.AnswerDelay)
	assert.Equal(t, "ivr-example-welcome-sound", m.Greeting)
	assert.Equal(t, "ivr-example-choices", m.Prompt)
	assert.Equal(t, "5s", m.ResponseTimeout)
	assert.Equal(t, 3, m.MaxErrors)
	assert.Equal(t, "ivr-example-invalid-choice", m.InvalidPrompt)
	assert.Equal(t, "ivr-example-invalid-choice", m.TimeoutPrompt, "t goes to i: a timeout is an invalid entry")
	assert.Equal(t, &Dest{Prompt: "ivr-example-error", Then: &Dest{Word: "hangup"}}, m.OnFailure)
	assert.Equal(t, &Dest{Extension: "8000"}, m.Keys["1"])
	assert.Equal(t, &Dest{Extension: "8547"}, m.Keys["3"])
	assert.Equal(t, &Dest{Word: "repeat"}, m.Keys["4"])
	assert.Contains(t, c.Extensions, Extn{Number: "8833", Contact: "sip:8833@wazo.example.net"})
	var notes []string
	for _, n := range c.Notes {
		notes = append(notes, n.String())
	}
	assert.Contains(t, strings.Join(notes, "\n"), "Wait(1)", "the pause it could not model is named")
}

func TestWazoSubmenu(t *testing.T) {
	c := translateFile(t, "testdata/submenu.conf")
	require.Len(t, c.IVRs, 2)
	main, sub := c.IVRs[0], c.IVRs[1]
	assert.Equal(t, []string{"8899"}, main.Extensions)
	assert.Empty(t, sub.Extensions, "a key that jumps to the submenu is not a number of it")
	assert.Equal(t, &Dest{IVR: "dp-ivr-submenu"}, main.Keys["3"])
	assert.Equal(t, "ivr-example-submenu-choices", sub.Prompt)
	assert.Empty(t, sub.Greeting)
	assert.Equal(t, &Dest{IVR: "dp-ivr-example"}, sub.Keys["3"], "back to the main menu (its welcome is not played twice)")
	assert.Equal(t, 3, sub.MaxErrors, "the submenu counts its own errors")
}

func TestParseRefusesNamingTheLine(t *testing.T) {
	for text, want := range map[string]string{
		"exten => 1,1,Answer()\n":           "line 1: a line before any [context]",
		"[a]\nsame => n,Hangup()\n":         "line 2: same => with no exten",
		"[a]\nexten => 1,x,Hangup()\n":      "line 2: the priority is a number",
		"[a]\nexten => 1,1,Playback(a(b)\n": "line 2: unbalanced",
		"[a]\nthis is not dialplan\n":       "line 2: want exten",
	} {
		_, err := Parse(strings.NewReader(text))
		require.Error(t, err, text)
		assert.Contains(t, err.Error(), want)
	}
}

func FuzzParse(f *testing.F) {
	for _, p := range []string{"testdata/minimal.conf", "testdata/submenu.conf"} {
		b, err := os.ReadFile(p)
		require.NoError(f, err)
		f.Add(string(b))
	}
	f.Add("[a]\nexten => s,1,GotoIfTime(08:00-18:00,mon-fri,*,*?open)\nsame => n(open),Background(x)\n")
	f.Fuzz(func(t *testing.T, text string) {
		d, err := Parse(strings.NewReader(text))
		if err != nil {
			return
		}
		c := Translate(d, Options{})
		if _, err := c.YAML("fuzz"); err != nil {
			t.Fatalf("a translated dialplan does not write as YAML: %v", err)
		}
	})
}
