package dtmf

import (
	"os"
	"testing"

	"github.com/go-audio/wav"
)

// readSpeech reads an espeak-ng WAV (22.05 kHz mono) as 8 kHz samples by
// keeping every third-ish sample after a crude low-pass: talk-off needs
// speech, not fidelity.
func readSpeech(t *testing.T, path string) []int16 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d := wav.NewDecoder(f)
	buf, err := d.FullPCMBuffer()
	if err != nil {
		t.Fatal(err)
	}
	rate := int(d.SampleRate)
	var out []int16
	acc, n := 0.0, 0
	pos := 0.0
	step := float64(rate) / 8000
	for i, v := range buf.Data {
		acc += float64(v)
		n++
		if float64(i) >= pos {
			out = append(out, int16(acc/float64(n)))
			acc, n = 0, 0
			pos += step
		}
	}
	return out
}
