package prompts

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/internal/testenv"
)

// espeakOwn is espeak-ng's own rendering of text, read as a prompt file
// would be: what a spoken prompt must sound like.
func espeakOwn(t *testing.T, voice, text string) []int16 {
	t.Helper()
	out := filepath.Join(t.TempDir(), "own.wav")
	require.NoError(t, exec.Command("espeak-ng", "-v", voice, "-s", "150", "-w", out, text).Run())
	f, err := os.Open(out)
	require.NoError(t, err)
	defer f.Close()
	pcm, err := audio.Decode(out, f)
	require.NoError(t, err)
	return pcm
}

func TestSpeakRendersCachesAndNormalises(t *testing.T) {
	t.Parallel()
	testenv.NeedEspeak(t, "spoken prompts")
	cache := t.TempDir()
	sp := &Speaker{CacheDir: cache}
	text := "You have reached the spoken prompt test."
	pcm, err := sp.Speak(text, "en-us")
	require.NoError(t, err)
	own := espeakOwn(t, "en-us", text)
	assert.Equal(t, len(own), len(pcm), "as long as espeak-ng's own output")
	lv := audio.MeasureLevel(pcm)
	assert.InDelta(t, -3, lv.PeakDBFS, 0.5, "peak normalised as the bundled prompts")

	// Cached in memory and on disk: a new speaker with the same folder
	// reads the disk copy (same samples, the file is there).
	files, _ := filepath.Glob(filepath.Join(cache, "*.pcm"))
	require.Len(t, files, 1)
	again, err := (&Speaker{CacheDir: cache}).Speak(text, "en-us")
	require.NoError(t, err)
	assert.Equal(t, pcm, again)
	// Another voice is another render.
	other, err := sp.Speak(text, "en+f3")
	require.NoError(t, err)
	assert.NotEqual(t, pcm, other)
}

func TestSpeakErrorsNameTheCause(t *testing.T) {
	t.Parallel()
	_, err := (&Speaker{Binary: "no-such-espeak-ng"}).Speak("hello", "en-us")
	assert.ErrorIs(t, err, ErrNoSpeaker)
	assert.Contains(t, err.Error(), "espeak-ng is not installed")

	testenv.NeedEspeak(t, "spoken prompts")
	sp := &Speaker{}
	_, err = sp.Speak("hello", "xx-nonexistent")
	assert.ErrorIs(t, err, ErrSpeech)
	assert.Contains(t, err.Error(), "xx-nonexistent")
	_, err = sp.Speak("hello", "--help")
	assert.ErrorIs(t, err, ErrSpeech, "a voice that would be an option is refused before espeak-ng runs")
	_, err = sp.Speak("   ", "en-us")
	assert.ErrorIs(t, err, ErrSpeech)
	// Text that looks like an option is spoken, not obeyed (it goes in
	// on stdin).
	pcm, err := sp.Speak("--version", "en-us")
	require.NoError(t, err)
	assert.Greater(t, len(pcm), SampleRate/4)
}

func TestSpeakTimesOut(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	slow := filepath.Join(dir, "espeak-ng")
	require.NoError(t, os.WriteFile(slow, []byte("#!/bin/sh\nexec sleep 30\n"), 0o755))
	sp := &Speaker{Binary: slow, Timeout: 200 * time.Millisecond}
	_, err := sp.Speak("hello", "en-us")
	assert.ErrorIs(t, err, ErrSpeech)
	assert.Contains(t, err.Error(), "longer than")
}

func TestAddSpokenNamesEachFailure(t *testing.T) {
	t.Parallel()
	testenv.NeedEspeak(t, "spoken prompts")
	base := (&Library{byName: map[string]*Prompt{}}).With(New("beep", make([]int16, 160)))
	lib, errs := (&Speaker{}).AddSpoken(base, []Spoken{
		{Name: "hello", Text: "Hello."},
		{Name: "hello", Language: "es", Text: "Hola."},
		{Name: "broken", Text: "Hello.", Voice: "xx-nonexistent"},
	})
	require.Len(t, errs, 1)
	var se *SpeechError
	require.True(t, errors.As(errs[0], &se))
	assert.Equal(t, "broken", se.Label())
	assert.Contains(t, errs[0].Error(), `prompt "broken"`)
	assert.True(t, lib.Has("", "hello"))
	assert.True(t, lib.Has("es", "hello"))
	assert.True(t, lib.Has("", "beep"))
	assert.False(t, base.Has("", "hello"), "the base library is not changed")
	es, _ := lib.Lookup("es", "hello")
	en, _ := lib.Lookup("", "hello")
	assert.NotEqual(t, en.PCM, es.PCM, "the Spanish version is spoken in Spanish")
}
