package dtmftest

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/ivrd/ivrd/audio"
)

// Real synthetic speech for talk-off and talk-down tests, from espeak-ng
// when it is installed. Tests skip (not fail) without it.

// EspeakAvailable reports whether espeak-ng is installed.
func EspeakAvailable() bool {
	_, err := exec.LookPath("espeak-ng")
	return err == nil
}

// Espeak speaks text with an espeak-ng voice ("en-us", "de", "en+f3",
// ...) and returns it as 8 kHz linear audio. espeak-ng writes a file (not
// a pipe, whose WAV header holds placeholder sizes) so that audio.Decode,
// the decoder prompts go through, reads and resamples it.
func Espeak(voice, text string) ([]int16, error) {
	dir, err := os.MkdirTemp("", "espeak")
	if err != nil {
		return nil, err
	}
	defer func() { _ = os.RemoveAll(dir) }() // a temporary directory
	name := filepath.Join(dir, "speech.wav")
	if out, err := exec.Command("espeak-ng", "-v", voice, "-w", name, text).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("espeak-ng -v %s: %w: %s", voice, err, out)
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	pcm, err := audio.Decode(name, f)
	if err != nil {
		return nil, fmt.Errorf("espeak-ng -v %s: %w", voice, err)
	}
	return pcm, nil
}

// ScaleActive scales speech so its active level (samples above a noise
// floor, pauses excluded, after ITU-T P.56's idea) is dBm0.
func ScaleActive(pcm []int16, dBm0 float64) Signal {
	sum, n := 0.0, 0
	for _, v := range pcm {
		if v > 100 || v < -100 {
			sum += float64(v) * float64(v)
			n++
		}
	}
	out := make(Signal, len(pcm))
	if n == 0 {
		return out
	}
	k := Amplitude(dBm0) / math.Sqrt2 / math.Sqrt(sum/float64(n))
	for i, v := range pcm {
		out[i] = float64(v) * k
	}
	return out
}
