package main

import (
	"bytes"
	"context"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zaf/g711"

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/sip/siptest"
)

func needEspeak(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		t.Skip("espeak-ng is not installed (apt-get install espeak-ng): spoken prompts are not tested")
	}
}

// sayConfig greets with a spoken prompt, then (no key) ends the call.
const sayConfig = `
server:
  sip:
    listen: ["udp://127.0.0.1:0"]
  media:
    rtp_ports: "RTP_RANGE"
prompts_dir: "PROMPTS"
prompts:
  - name: hello
    say: "SAY_TEXT"
ivrs:
  - id: main
    extensions: ["100"]
    greeting: hello
    response_timeout: 1s
    prompt_repeat: 1
    keys:
      "#": hangup
`

const sayText = "Thank you for calling the spoken prompt test. Please hold."

// espeakReference is espeak-ng's own rendering of text at the rate ivrd
// uses, decoded as any prompt file is.
func espeakReference(t *testing.T, voice, text string) []int16 {
	t.Helper()
	out := filepath.Join(t.TempDir(), "ref.wav")
	require.NoError(t, exec.Command("espeak-ng", "-v", voice, "-s", "150", "-w", out, text).Run())
	f, err := os.Open(out)
	require.NoError(t, err)
	defer f.Close()
	pcm, err := audio.Decode(out, f)
	require.NoError(t, err)
	return pcm
}

// span is where the sound is: from the first to the last sample above
// 5% of the peak.
func span(pcm []int16) (int, int) {
	peak := 0.0
	for _, v := range pcm {
		peak = math.Max(peak, math.Abs(float64(v)))
	}
	first, last := -1, -1
	for i, v := range pcm {
		if math.Abs(float64(v)) > 0.05*peak {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	return first, last + 1
}

// correlation is the normalised correlation of a and b over their common
// length.
func correlation(a, b []int16) float64 {
	n := min(len(a), len(b))
	var ab, aa, bb float64
	for i := 0; i < n; i++ {
		x, y := float64(a[i]), float64(b[i])
		ab, aa, bb = ab+x*y, aa+x*x, bb+y*y
	}
	return ab / math.Sqrt(aa*bb)
}

// received is the call's audio in sequence order, decoded from µ-law.
func received(pkts []siptest.Packet) []int16 {
	sort.SliceStable(pkts, func(i, j int) bool {
		return int16(pkts[i].Header.SequenceNumber-pkts[0].Header.SequenceNumber) < int16(pkts[j].Header.SequenceNumber-pkts[0].Header.SequenceNumber)
	})
	var pcm []int16
	for _, p := range pkts {
		for _, b := range p.Payload {
			pcm = append(pcm, g711.DecodeUlawFrame(b))
		}
	}
	return pcm
}

// A say: prompt is heard on a real call: the RTP decodes to speech as
// long as espeak-ng's own rendering of the text, and the same speech.
func TestSpokenPromptHeardOnACall(t *testing.T) {
	needEspeak(t)
	path := writeConfig(t, sayConfig, "SAY_TEXT", sayText)
	svc := startConfig(t, path)
	c := newCaller(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := c.Call(ctx, svc.sip.Addr("udp"), "100")
	require.NoError(t, err)
	// The greeting plays, nothing is pressed, the menu hangs up.
	_, err = c.WaitRequest("BYE", 30*time.Second)
	require.NoError(t, err)

	got := received(c.Packets())
	ref := espeakReference(t, "en-us", sayText)
	g0, g1 := span(got)
	r0, r1 := span(ref)
	require.Greater(t, g0, -1, "the call was silent")
	assert.Greater(t, audio.MeasureLevel(got).ActiveDBm0, -30.0, "speech, not silence")
	gotLen, refLen := float64(g1-g0)/8000, float64(r1-r0)/8000
	assert.InDelta(t, refLen, gotLen, 0.06, "speech length: heard %.2fs, espeak-ng %.2fs", gotLen, refLen)
	assert.Greater(t, refLen, 2.0)
	c2 := correlation(got[g0:g1], ref[r0:r1])
	assert.Greater(t, c2, 0.9, "the call's audio is espeak-ng's speech of the text (correlation %.3f)", c2)
}

// validate names the spoken prompt espeak-ng cannot speak, and so does
// serve, which refuses the file.
func TestValidateWithoutEspeak(t *testing.T) {
	path := writeConfig(t, sayConfig, "SAY_TEXT", sayText)
	empty := t.TempDir()
	t.Setenv("PATH", empty) // no espeak-ng anywhere
	code, out, _ := runCLI("validate", path)
	assert.Equal(t, 1, code)
	assert.Contains(t, out, `prompts[hello]: cannot speak this prompt: espeak-ng is not installed (apt-get install espeak-ng)`)
	assert.NotContains(t, out, `unknown prompt "hello"`, "one problem, at the prompt's own place")

	_, err := newService(path, os.Stderr, "warn")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `prompts[hello]: cannot speak this prompt: espeak-ng is not installed`)
}

// A voice espeak-ng does not have, or a voice that would be an option,
// is an error at the prompt.
func TestValidateBadVoice(t *testing.T) {
	needEspeak(t)
	path := writeConfig(t, `
prompts_dir: "PROMPTS"
prompts:
  - { name: bad, say: "Hello", voice: "xx-nonexistent" }
  - { name: worse, say: "Hello", voice: "--help" }
  - { name: fine, say: "Hello", language: es }
ivrs:
  - id: main
    extensions: ["100"]
    greeting: bad
    prompt: worse
    invalid_prompt: fine
    keys:
      "#": hangup
`)
	code, out, _ := runCLI("validate", path)
	assert.Equal(t, 1, code)
	assert.Contains(t, out, `prompts[bad]: cannot speak this prompt: speech synthesis failed: espeak-ng -v xx-nonexistent: Error: The specified espeak-ng voice does not exist.`)
	assert.Contains(t, out, `prompts[worse].voice: "--help" is not an espeak-ng voice name`)
	assert.NotContains(t, out, `prompts[worse]: cannot speak`, "reported once, at the voice")
	// es/fine exists only in Spanish: the default set has no "fine".
	assert.Contains(t, out, `ivrs[main].invalid_prompt: unknown prompt "fine"`)
}

// The store carries spoken prompts and languages: what serve imported,
// `ivrd config export` writes back, and the export validates.
func TestExportCarriesSpokenPromptsAndLanguages(t *testing.T) {
	needEspeak(t)
	path := writeConfig(t, `
server:
  sip: { listen: ["udp://127.0.0.1:0"] }
  media: { rtp_ports: "RTP_RANGE" }
prompts_dir: "PROMPTS"
language: en
prompts:
  - { name: hello, say: "Hello." }
  - { name: hello, language: es, say: "Hola." }
ivrs:
  - id: main
    extensions: ["100"]
    greeting: hello
    prompt: beep
    keys:
      "9": { set_language: es, then: { ivr: main-es } }
  - { id: main-es, language: es, prompt: hello }
`)
	svc := startConfig(t, path)
	_, ok := svc.snap.Load().Prompts.Lookup("es", "hello")
	require.True(t, ok)
	var out, errb bytes.Buffer
	require.Equal(t, 0, run([]string{"config", "export", "--config", path}, &out, &errb), errb.String())
	for _, want := range []string{"language: en", "say: Hola.", "set_language: es", "language: es"} {
		assert.Contains(t, out.String(), want)
	}
	exported := filepath.Join(filepath.Dir(path), "exported.yaml") // beside beep.wav, its prompts_dir
	require.NoError(t, os.WriteFile(exported, out.Bytes(), 0o644))
	var vout bytes.Buffer
	assert.Equal(t, 0, run([]string{"validate", exported}, &vout, &vout), vout.String()+"\n"+out.String())
}

// The bilingual example speaks every prompt, in English and Spanish.
func TestBilingualExampleSpeaks(t *testing.T) {
	needEspeak(t)
	code, out, _ := runCLI("validate", "../../examples/bilingual.yaml")
	assert.Equal(t, 0, code, out)
	assert.NotContains(t, out, "warning", "every prompt has its Spanish version")
}
