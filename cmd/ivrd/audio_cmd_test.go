package main

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/dtmf/dtmftest"
)

func writeWAVFile(t *testing.T, path string, pcm []int16) {
	t.Helper()
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, audio.WriteWAV(f, pcm))
	require.NoError(t, f.Close())
}

func TestDTMFCommandListsKeysWithTimes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var s dtmftest.Signal
	for _, k := range []byte("159#") {
		s = s.Silence(200).Tone(dtmftest.Nominal(k))
	}
	s = s.Silence(200)
	wavPath := filepath.Join(dir, "keys.wav")
	writeWAVFile(t, wavPath, s.PCM())
	rawPath := filepath.Join(dir, "keys.pcm")
	raw := make([]byte, 2*len(s))
	for i, v := range s.PCM() {
		binary.LittleEndian.PutUint16(raw[2*i:], uint16(v))
	}
	require.NoError(t, os.WriteFile(rawPath, raw, 0o644))

	for _, codec := range []string{"pcmu", "pcma", "none"} {
		code, out, errOut := runCLI("dtmf", "--codec", codec, wavPath, rawPath)
		require.Equal(t, 0, code, errOut)
		assert.Contains(t, out, wavPath+`: 4 keys "159#"`, codec)
		assert.Contains(t, out, rawPath+`: 4 keys "159#"`, codec)
	}
	_, out, _ := runCLI("dtmf", wavPath)
	lines := strings.Split(out, "\n")
	// '1' starts at 200 ms and is heard within about 40 ms of it.
	assert.Regexp(t, `^.*keys\.wav\t0\.2[2-6]s\t1$`, lines[0])

	code, _, errOut := runCLI("dtmf", filepath.Join(dir, "missing.wav"), wavPath)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "missing.wav")
	code, _, errOut = runCLI("dtmf", "--codec", "g729", wavPath)
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, `unknown --codec "g729"`)
}

func TestPromptCommandReportsAndConverts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	quiet := dtmftest.Signal{}.Sine(400, -45, 1500).PCM()
	loud := dtmftest.Signal{}.Sine(400, 6, 500).PCM()
	writeWAVFile(t, filepath.Join(dir, "quiet.wav"), quiet)
	writeWAVFile(t, filepath.Join(dir, "loud.wav"), loud)
	bad := filepath.Join(dir, "bad.wav")
	require.NoError(t, os.WriteFile(bad, []byte("RIFF\x10\x00\x00\x00WAVEjunk"), 0o644))

	code, out, errOut := runCLI("prompt", filepath.Join(dir, "quiet.wav"), filepath.Join(dir, "loud.wav"), bad)
	assert.Equal(t, 1, code, "one file cannot be used")
	assert.Contains(t, out, "quiet.wav: 1.50 s")
	assert.Regexp(t, `quiet\.wav: .* active level -4[4-6]\.\d dBm0 \(warning: very quiet\)`, out)
	assert.Regexp(t, `loud\.wav: 0\.50 s, peak 0\.0 dBFS, .*\(warning: \d+ clipped samples\)`, out)
	assert.Contains(t, errOut, "bad.wav")

	// --out writes what ivrd plays: an 8 kHz mono WAV of the same length.
	out2 := filepath.Join(dir, "out")
	code, _, errOut = runCLI("prompt", "--out", out2, "../../prompts/builtin/welcome.wav")
	require.Equal(t, 0, code, errOut)
	f, err := os.Open(filepath.Join(out2, "welcome.wav"))
	require.NoError(t, err)
	defer f.Close()
	got, err := audio.Decode("welcome.wav", f)
	require.NoError(t, err)
	orig, err := decodeFile("../../prompts/builtin/welcome.wav")
	require.NoError(t, err)
	assert.Equal(t, orig, got)
}
