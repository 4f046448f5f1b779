package main

import (
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
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
	dir := t.TempDir()
	// Keys 200 ms apart, 50 ms each: '1' from 0.200 to 0.250 s, '5' from
	// 0.450 to 0.500, '9' from 0.700 to 0.750, '#' from 0.950 to 1.000.
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
	wide := dtmftest.At(16000)
	for _, k := range []byte("159#") {
		wide = wide.Silence(200).Tone(dtmftest.Nominal(k))
	}
	widePath := filepath.Join(dir, "wide.pcm")
	wideRaw := make([]byte, 0, 2*len(wide.Samples))
	for _, v := range wide.Silence(200).PCM() {
		wideRaw = binary.LittleEndian.AppendUint16(wideRaw, uint16(v))
	}
	require.NoError(t, os.WriteFile(widePath, wideRaw, 0o644))

	// Each press: file, digit, start and end within 5 ms of the truth.
	checkLines := func(out, file string) {
		t.Helper()
		var got []string
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			f := strings.Split(l, "\t")
			require.Len(t, f, 4, "line %q", l)
			if f[0] == file {
				got = append(got, l)
			}
		}
		require.Len(t, got, 4, out)
		for i, l := range got {
			f := strings.Split(l, "\t")
			assert.Equal(t, string("159#"[i]), f[1], l)
			start, err1 := strconv.ParseFloat(f[2], 64)
			end, err2 := strconv.ParseFloat(f[3], 64)
			require.NoError(t, err1)
			require.NoError(t, err2)
			assert.InDelta(t, 0.200+0.250*float64(i), start, 0.005, l)
			assert.InDelta(t, 0.250+0.250*float64(i), end, 0.005, l)
			assert.Regexp(t, `^\d+\.\d{3}$`, f[2], "seconds to the millisecond")
		}
	}
	for _, codec := range []string{"pcmu", "pcma", "none"} {
		code, out, errOut := runCLI("dtmf", "--codec", codec, wavPath, rawPath)
		require.Equal(t, 0, code, errOut)
		checkLines(out, wavPath)
		checkLines(out, rawPath)
	}
	for _, args := range [][]string{{"--rate", "16000", wavPath, widePath}, {"--rate", "16000", "--codec", "none", widePath}} {
		code, out, errOut := runCLI(append([]string{"dtmf"}, args...)...)
		require.Equal(t, 0, code, errOut)
		checkLines(out, args[len(args)-1])
	}

	code, out, errOut := runCLI("dtmf", "--json", wavPath)
	require.Equal(t, 0, code, errOut)
	var presses []struct {
		File       string
		Digit      string
		Start, End float64
	}
	require.NoError(t, json.Unmarshal([]byte(out), &presses), out)
	require.Len(t, presses, 4)
	assert.Equal(t, wavPath, presses[3].File)
	assert.Equal(t, "#", presses[3].Digit)
	assert.InDelta(t, 0.950, presses[3].Start, 0.005)
	assert.InDelta(t, 1.000, presses[3].End, 0.005)

	code, _, errOut = runCLI("dtmf", filepath.Join(dir, "missing.wav"), wavPath)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "missing.wav")
	code, _, errOut = runCLI("dtmf", "--codec", "g729", wavPath)
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, `unknown --codec "g729"`)
	code, _, errOut = runCLI("dtmf", "--rate", "11025", wavPath)
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "--rate 11025")
	code, _, errOut = runCLI("dtmf", "--rate", "16000", "--codec", "pcmu", wavPath)
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "8 kHz only")
}

func TestPromptCommandReportsAndConverts(t *testing.T) {
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
