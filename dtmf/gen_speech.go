package dtmf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os/exec"
)

// Real synthetic speech for talk-off and talk-down tests, from espeak-ng
// when it is installed. Tests skip (not fail) without it.

// EspeakAvailable reports whether espeak-ng is installed.
func EspeakAvailable() bool {
	_, err := exec.LookPath("espeak-ng")
	return err == nil
}

// Espeak speaks text with an espeak-ng voice ("en-us", "de", "en+f3",
// ...) and returns it as 8 kHz linear audio.
func Espeak(voice, text string) ([]int16, error) {
	out, err := exec.Command("espeak-ng", "-v", voice, "--stdout", text).Output()
	if err != nil {
		return nil, fmt.Errorf("espeak-ng -v %s: %w", voice, err)
	}
	pcm, rate, err := parseWAV(out)
	if err != nil {
		return nil, fmt.Errorf("espeak-ng -v %s: %w", voice, err)
	}
	return Resample(pcm, rate, 8000), nil
}

// parseWAV reads 16-bit mono PCM WAV as espeak-ng writes it to a pipe:
// its chunk sizes are placeholders, so the data runs to the end.
func parseWAV(b []byte) ([]int16, int, error) {
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, 0, errors.New("not a WAV stream")
	}
	rate := 0
	for p := 12; p+8 <= len(b); {
		id, size := string(b[p:p+4]), int(binary.LittleEndian.Uint32(b[p+4:p+8]))
		body := b[p+8:]
		switch id {
		case "fmt ":
			if len(body) < 16 || binary.LittleEndian.Uint16(body[0:2]) != 1 ||
				binary.LittleEndian.Uint16(body[2:4]) != 1 || binary.LittleEndian.Uint16(body[14:16]) != 16 {
				return nil, 0, errors.New("WAV is not 16-bit mono PCM")
			}
			rate = int(binary.LittleEndian.Uint32(body[4:8]))
		case "data":
			if rate == 0 {
				return nil, 0, errors.New("WAV data before its format")
			}
			pcm := make([]int16, len(body)/2)
			_ = binary.Read(bytes.NewReader(body[:2*len(pcm)]), binary.LittleEndian, pcm)
			return pcm, rate, nil
		}
		if size < 0 || size > len(body) {
			break
		}
		p += 8 + size + size&1
	}
	return nil, 0, errors.New("WAV without data")
}

// Resample converts between rates with a windowed-sinc low-pass at 90% of
// the lower Nyquist frequency (good enough for test material).
func Resample(in []int16, from, to int) []int16 {
	if from == to || len(in) == 0 {
		return append([]int16(nil), in...)
	}
	const half = 16                                     // zero crossings each side
	const steps = 64                                    // kernel table resolution per tap
	fc := 0.45 * float64(min(from, to)) / float64(from) // cycles per input sample
	width := int(math.Ceil(half * 0.5 / fc))            // kernel half-width in input samples
	table := make([]float64, width*steps+1)
	for i := range table {
		x := float64(i) / steps
		w := 0.5 + 0.5*math.Cos(math.Pi*x/float64(width)) // Hann
		s := 2 * fc
		if x > 0 {
			s = math.Sin(2*math.Pi*fc*x) / (math.Pi * x)
		}
		table[i] = w * s
	}
	n := int(int64(len(in)) * int64(to) / int64(from))
	out := make([]int16, n)
	for j := range out {
		p := float64(j) * float64(from) / float64(to)
		c := int(p)
		acc := 0.0
		for k := max(c-width+1, 0); k <= c+width && k < len(in); k++ {
			d := math.Abs(float64(k) - p)
			if i := int(d*steps + 0.5); i < len(table) {
				acc += float64(in[k]) * table[i]
			}
		}
		out[j] = int16(math.Max(-32768, math.Min(32767, math.Round(acc))))
	}
	return out
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
