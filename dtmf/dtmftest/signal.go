package dtmftest

import (
	"math"
	"math/rand/v2"

	"github.com/ivrd/ivrd/audio"
)

// The signal generator builds test audio: DTMF digits with any level,
// twist and frequency error, pauses, noise, echo, clipping, speech-like
// sounds and G.711 round trips. Levels are dBm0 as audio.Amplitude
// defines them.

// Amplitude is the peak amplitude of a sine at level dBm0 (audio.Amplitude).
func Amplitude(dBm0 float64) float64 { return audio.Amplitude(dBm0) }

// startPhase gives a tone appended at position n its low tone's start
// phase: varied from tone to tone, yet a function of the signal alone, so
// a test sees the same audio whichever tests ran before it, in parallel
// or not.
func startPhase(n int) float64 {
	const golden = 0.6180339887498949
	return math.Mod(float64(n)*golden, 1) * 2 * math.Pi
}

// ToneSpec describes one key press.
type ToneSpec struct {
	Key       byte
	Ms        int     // duration
	LowDBm0   float64 // row tone level
	HighDBm0  float64 // column tone level
	LowShift  float64 // relative frequency error, e.g. 0.015 = +1.5%
	HighShift float64
}

// Nominal is a standard press: -10 dBm0 per tone, no twist, 50 ms.
func Nominal(key byte) ToneSpec {
	return ToneSpec{Key: key, Ms: 50, LowDBm0: -10, HighDBm0: -10}
}

// The keypad as ITU-T Q.23 defines it, written out here rather than taken
// from package dtmf: the generator is an independent reference for the
// detector it tests, and dtmf's own tests import this package.
var (
	rowFreqs = [4]float64{697, 770, 852, 941}
	colFreqs = [4]float64{1209, 1336, 1477, 1633}
	keypad   = [4][4]byte{
		{'1', '2', '3', 'A'},
		{'4', '5', '6', 'B'},
		{'7', '8', '9', 'C'},
		{'*', '0', '#', 'D'},
	}
)

// Frequencies returns the row and column frequencies of a key.
func Frequencies(key byte) (low, high float64, ok bool) {
	for r := range keypad {
		for c := range keypad[r] {
			if keypad[r][c] == key {
				return rowFreqs[r], colFreqs[c], true
			}
		}
	}
	return 0, 0, false
}

// Signal is 8 kHz linear audio under construction (At(8000) as a plain
// slice, which most tests want).
type Signal []float64

// Audio is linear audio at Rate under construction: the same generator at
// 8 or 16 kHz, for the detector's wideband limits.
type Audio struct {
	Rate    int
	Samples []float64
}

// At starts empty audio at rate Hz.
func At(rate int) Audio { return Audio{Rate: rate} }

func (a Audio) with(s []float64) Audio { return Audio{Rate: a.Rate, Samples: s} }

// n is how many samples ms milliseconds take.
func (a Audio) n(ms int) int { return ms * a.Rate / 1000 }

func (s Signal) at() Audio { return Audio{Rate: 8000, Samples: s} }

// Tone appends a key press.
func (s Signal) Tone(t ToneSpec) Signal { return Signal(s.at().Tone(t).Samples) }

// Dual appends two sines.
func (s Signal) Dual(f1, f2, dBm1, dBm2 float64, ms int) Signal {
	return Signal(s.at().Dual(f1, f2, dBm1, dBm2, ms).Samples)
}

// Sine appends one sine.
func (s Signal) Sine(f, dBm0 float64, ms int) Signal { return Signal(s.at().Sine(f, dBm0, ms).Samples) }

// Silence appends quiet.
func (s Signal) Silence(ms int) Signal { return Signal(s.at().Silence(ms).Samples) }

// AddNoise adds white Gaussian noise at level dBm0 (RMS).
func (s Signal) AddNoise(dBm0 float64, rng *rand.Rand) Signal {
	return Signal(s.at().AddNoise(dBm0, rng).Samples)
}

// AddEcho adds a copy delayed by ms, attenuated by db.
func (s Signal) AddEcho(ms int, db float64) Signal { return Signal(s.at().AddEcho(ms, db).Samples) }

// Clip limits the signal to db below its peak (hard clipping).
func (s Signal) Clip(db float64) Signal { return Signal(s.at().Clip(db).Samples) }

// Mix adds o into s (o may be shorter).
func (s Signal) Mix(o Signal) Signal { return Signal(s.at().Mix(o.at()).Samples) }

// PCM converts to 16-bit linear, saturating.
func (s Signal) PCM() []int16 { return s.at().PCM() }

// Speechlike appends ms of voiced, vowel-like sound (Audio.Speechlike).
func (s Signal) Speechlike(ms int, dBm0 float64, rng *rand.Rand) Signal {
	return Signal(s.at().Speechlike(ms, dBm0, rng).Samples)
}

// Music appends ms of synthetic music (Audio.Music).
func (s Signal) Music(ms int, dBm0 float64, rng *rand.Rand) Signal {
	return Signal(s.at().Music(ms, dBm0, rng).Samples)
}

// Ulaw passes audio through a µ-law encode and decode, as a call does.
func Ulaw(pcm []int16) []int16 { return audio.RoundTrip(pcm, audio.PCMU) }

// Alaw passes audio through an A-law encode and decode.
func Alaw(pcm []int16) []int16 { return audio.RoundTrip(pcm, audio.PCMA) }

// Tone appends a key press.
func (a Audio) Tone(t ToneSpec) Audio {
	lo, hi, _ := Frequencies(t.Key)
	return a.Dual(lo*(1+t.LowShift), hi*(1+t.HighShift), t.LowDBm0, t.HighDBm0, t.Ms)
}

// Dual appends two sines.
func (a Audio) Dual(f1, f2, dBm1, dBm2 float64, ms int) Audio {
	s, n, r := a.Samples, a.n(ms), float64(a.Rate)
	a1, a2 := Amplitude(dBm1), Amplitude(dBm2)
	ph := startPhase(len(s) * 8000 / a.Rate)
	for i := 0; i < n; i++ {
		t := float64(i) / r
		s = append(s, a1*math.Sin(2*math.Pi*f1*t+ph)+a2*math.Sin(2*math.Pi*f2*t))
	}
	return a.with(s)
}

// Sine appends one sine.
func (a Audio) Sine(f, dBm0 float64, ms int) Audio {
	s, amp := a.Samples, Amplitude(dBm0)
	for i := 0; i < a.n(ms); i++ {
		s = append(s, amp*math.Sin(2*math.Pi*f*float64(i)/float64(a.Rate)))
	}
	return a.with(s)
}

// Silence appends quiet.
func (a Audio) Silence(ms int) Audio { return a.Pad(a.n(ms)) }

// Pad appends n samples of quiet.
func (a Audio) Pad(n int) Audio { return a.with(append(a.Samples, make([]float64, n)...)) }

// AddNoise adds white Gaussian noise at level dBm0 (RMS) over the whole
// band (to 4 kHz at 8 kHz, to 8 kHz at 16 kHz).
func (a Audio) AddNoise(dBm0 float64, rng *rand.Rand) Audio {
	s := a.Samples
	rms := Amplitude(dBm0) / math.Sqrt2
	for i := range s {
		s[i] += rng.NormFloat64() * rms
	}
	return a
}

// AddEcho adds a copy delayed by ms, attenuated by db.
func (a Audio) AddEcho(ms int, db float64) Audio {
	s, d := a.Samples, a.n(ms)
	g := math.Pow(10, -db/20)
	out := make([]float64, len(s))
	copy(out, s)
	for i := d; i < len(s); i++ {
		out[i] += g * s[i-d]
	}
	return a.with(out)
}

// Clip limits the signal to db below its peak (hard clipping).
func (a Audio) Clip(db float64) Audio {
	s := a.Samples
	peak := 0.0
	for _, v := range s {
		peak = math.Max(peak, math.Abs(v))
	}
	lim := peak * math.Pow(10, -db/20)
	for i, v := range s {
		s[i] = math.Max(-lim, math.Min(lim, v))
	}
	return a
}

// Mix adds o into a (o may be shorter; both at the same rate).
func (a Audio) Mix(o Audio) Audio {
	s := a.Samples
	for i := range s {
		if i < len(o.Samples) {
			s[i] += o.Samples[i]
		}
	}
	return a
}

// PCM converts to 16-bit linear, saturating.
func (a Audio) PCM() []int16 {
	out := make([]int16, len(a.Samples))
	for i, v := range a.Samples {
		out[i] = int16(math.Max(-32768, math.Min(32767, math.Round(v))))
	}
	return out
}

// Speechlike appends ms of voiced, vowel-like sound: a glottal pulse train
// with a wandering pitch through two or three formant resonators, syllables
// separated by short gaps. It is the material DTMF talk-off is about:
// harmonic-rich audio whose partials sweep across the DTMF bands. The
// random draws do not depend on the rate.
func (a Audio) Speechlike(ms int, dBm0 float64, rng *rand.Rand) Audio {
	r := float64(a.Rate)
	n := a.n(ms)
	out := make([]float64, 0, n)
	amp := Amplitude(dBm0)
	for len(out) < n {
		syl := a.n(80 + rng.IntN(220))
		pitch := 90 + rng.Float64()*170
		glide := (rng.Float64() - 0.5) * 60
		f1 := 300 + rng.Float64()*600
		f2 := 900 + rng.Float64()*1600
		f3 := 2200 + rng.Float64()*800
		var y1, y2, z1, z2, w1, w2 float64
		res := func(f, bw float64) (float64, float64, float64) {
			rr := math.Exp(-math.Pi * bw / r)
			return 2 * rr * math.Cos(2*math.Pi*f/r), -rr * rr, 1 - rr
		}
		a1, b1, g1 := res(f1, 80)
		a2, b2, g2 := res(f2, 100)
		a3, b3, g3 := res(f3, 150)
		phase := 0.0
		for i := 0; i < syl && len(out) < n; i++ {
			p := pitch + glide*float64(i)/float64(syl)
			phase += p / r
			x := 0.0
			if phase >= 1 {
				phase -= 1
				x = 1
			}
			x += rng.NormFloat64() * 0.02
			y := a1*y1 + b1*y2 + g1*x
			y2, y1 = y1, y
			z := a2*z1 + b2*z2 + g2*x
			z2, z1 = z1, z
			w := a3*w1 + b3*w2 + g3*x
			w2, w1 = w1, w
			env := math.Sin(math.Pi * float64(i) / float64(syl))
			out = append(out, env*(y+0.6*z+0.3*w))
		}
		out = append(out, make([]float64, a.n(20+rng.IntN(120)))...)
	}
	out = out[:n]
	// Normalise the active speech level (ITU-T P.56's idea: the level
	// while talking, pauses excluded) to dBm0.
	sum, active := 0.0, 0
	for _, v := range out {
		if v != 0 {
			sum += v * v
			active++
		}
	}
	if active > 0 {
		if rms := math.Sqrt(sum / float64(active)); rms > 0 {
			k := amp / math.Sqrt2 / rms
			for i := range out {
				out[i] *= k
			}
		}
	}
	return a.with(append(a.Samples, out...))
}

// Music appends ms of synthetic music: chords of harmonic notes on the
// equal-tempered scale (partials decaying as 1/k), changing every 150-600
// ms, with occasional pitch sweeps. Notes land near DTMF frequencies often
// (F5 at 698 Hz, G5 at 784, ...), which is the point. Partials stop below
// 3.8 kHz at every rate, so 8 and 16 kHz hear the same music.
func (a Audio) Music(ms int, dBm0 float64, rng *rand.Rand) Audio {
	r := float64(a.Rate)
	n := a.n(ms)
	out := make([]float64, 0, n)
	for len(out) < n {
		dur := a.n(150 + rng.IntN(450))
		notes := 1 + rng.IntN(4)
		var f0 [4]float64
		for i := 0; i < notes; i++ {
			f0[i] = 110 * math.Pow(2, float64(rng.IntN(48))/12) // A2..A6
		}
		sweep := 0.0
		if rng.IntN(5) == 0 {
			sweep = (rng.Float64() - 0.5) * 0.5 // up to ±25% over the note
		}
		for i := 0; i < dur && len(out) < n; i++ {
			t := float64(i) / r
			v := 0.0
			for j := 0; j < notes; j++ {
				f := f0[j] * (1 + sweep*float64(i)/float64(dur))
				for k := 1; k <= 6 && f*float64(k) < 3800; k++ {
					v += math.Sin(2*math.Pi*f*float64(k)*t) / float64(k)
				}
			}
			env := math.Exp(-3 * float64(i) / float64(dur))
			out = append(out, v*env)
		}
	}
	out = out[:n]
	sum := 0.0
	for _, v := range out {
		sum += v * v
	}
	if rms := math.Sqrt(sum / float64(len(out))); rms > 0 {
		k := Amplitude(dBm0) / math.Sqrt2 / rms
		for i := range out {
			out[i] *= k
		}
	}
	return a.with(append(a.Samples, out...))
}
