package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/node/nodetest"
)

// importSeed imports one of Wazo's dialplans (asterisk/testdata, as the
// seed gives them) with a second-long WAV for each of its sounds, and
// returns the configuration file written.
func importSeed(t *testing.T, name string) string {
	t.Helper()
	dir := t.TempDir()
	for _, p := range []string{"ivr-example-welcome-sound", "ivr-example-choices", "ivr-example-invalid-choice",
		"ivr-example-error", "ivr-example-submenu-choices"} {
		nodetest.WriteTone(t, filepath.Join(dir, p+".wav"), 440, time.Second)
	}
	out := filepath.Join(dir, "ivr.yaml")
	code, stdout, stderr := runCLI("import", "asterisk", "--pbx", "wazo.example.net", "--prompts", dir, "--out", out,
		filepath.Join("..", "..", "asterisk", "testdata", name))
	require.Equal(t, 0, code, stdout+stderr)
	assert.Contains(t, stderr, "not translated: line 26: a pause before the menu is not modelled", "what it could not carry over is said")
	code, vout, verr := runCLI("validate", out)
	require.Equal(t, 0, code, vout+verr)
	return out
}

// simulate runs one call and returns its events.
func simulate(t *testing.T, cfg, to, input string) []ivr.SimEvent {
	t.Helper()
	code, out, errOut := runCLI("simulate", "--config", cfg, "--to", to, "--input", input)
	require.Equal(t, 0, code, errOut)
	var evs []ivr.SimEvent
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var ev ivr.SimEvent
		require.NoError(t, json.Unmarshal([]byte(line), &ev), line)
		evs = append(evs, ev)
	}
	return evs
}

func played(evs []ivr.SimEvent, prompt string) int {
	n := 0
	for _, ev := range evs {
		if ev.Event == ivr.StepPlay && ev.Prompt == prompt {
			n++
		}
	}
	return n
}

// The seed's minimal IVR, imported, behaves as the seed describes: a
// caller dialling 8899 hears the welcome once, the choices each round;
// a timeout is an error, and at the third error the error sound plays
// and the call hangs up.
func TestImportedWazoMinimalIVRBehavesAsTheSeed(t *testing.T) {
	cfg := importSeed(t, "minimal.conf")
	evs := simulate(t, cfg, "8899", "wait:40s")
	assert.Equal(t, 1, played(evs, "ivr-example-welcome-sound"), "welcome once")
	assert.Equal(t, 3, played(evs, "ivr-example-choices"), "the choices each round")
	assert.Equal(t, 2, played(evs, "ivr-example-invalid-choice"), "two errors heard as invalid")
	assert.Equal(t, 1, played(evs, "ivr-example-error"), "the third error plays the error sound")
	last := evs[len(evs)-1]
	assert.Equal(t, ivr.StepHangup, last.Event)

	evs = simulate(t, cfg, "8899", "wait:2500ms,2")
	var dest string
	for _, ev := range evs {
		if ev.Event == ivr.StepTransfer {
			dest = ev.Dest.Target
		}
	}
	assert.Equal(t, "8833", dest, "2 reaches 8833")
}

// The submenu counts its own errors from zero (the seed's counter is
// reset on entering it).
func TestImportedWazoSubmenuHasAFreshCounter(t *testing.T) {
	cfg := importSeed(t, "submenu.conf")
	// One timeout in the main menu, then 3: the submenu.
	evs := simulate(t, cfg, "8899", "wait:9s,3,wait:40s")
	entered := -1
	for i, ev := range evs {
		if ev.Event == ivr.StepEnter && ev.IVR == "dp-ivr-submenu" {
			entered = i
			break
		}
	}
	require.GreaterOrEqual(t, entered, 0, "3 opens the submenu")
	assert.Equal(t, 1, played(evs[:entered], "ivr-example-invalid-choice"), "one error in the main menu")
	assert.Equal(t, 2, played(evs[entered:], "ivr-example-invalid-choice"), "the submenu allows its own two")
	assert.Equal(t, 3, played(evs[entered:], "ivr-example-submenu-choices"))
	assert.Equal(t, 1, played(evs[entered:], "ivr-example-error"))
}
