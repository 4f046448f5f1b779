package audio

import (
	"math"
	"testing"
)

// goertzelLevel is the amplitude of frequency f in pcm (rate Hz).
func goertzelLevel(pcm []int16, f float64, rate int) float64 {
	w := 2 * math.Pi * f / float64(rate)
	c := 2 * math.Cos(w)
	var s1, s2 float64
	for _, x := range pcm {
		s := float64(x) + c*s1 - s2
		s2, s1 = s1, s
	}
	p := s1*s1 + s2*s2 - c*s1*s2
	return 2 * math.Sqrt(math.Max(p, 0)) / float64(len(pcm))
}

func sine(f float64, rate, n int, amp float64) []int16 {
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(amp * math.Sin(2*math.Pi*f*float64(i)/float64(rate)))
	}
	return out
}

// The decimator keeps the telephone band at its level and keeps what is
// above 4 kHz from folding into it: a 6 kHz tone would otherwise be heard
// at 2 kHz, among the DTMF frequencies.
func TestDecimatorKeepsBandRejectsAliases(t *testing.T) {
	var d Decimator
	in := sine(1000, 16000, 16000, 10000)
	out := make([]int16, 8000)
	// Fed in uneven pieces, as packets of any size arrive.
	n := 0
	for i := 0; i < len(in); {
		step := min(len(in)-i, 317)
		n += d.Down(out[n:], in[i:i+step])
		i += step
	}
	if n != 8000 {
		t.Fatalf("%d samples out of 16000, want 8000", n)
	}
	if got := db(goertzelLevel(out[100:], 1000, 8000) / 10000); math.Abs(got) > 0.1 {
		t.Errorf("1 kHz through the decimator: %.2f dB, want 0", got)
	}
	var d2 Decimator
	alias := make([]int16, 8000)
	d2.Down(alias, sine(6000, 16000, 16000, 10000))
	if got := db(goertzelLevel(alias[100:], 2000, 8000) / 10000); got > -55 {
		t.Errorf("6 kHz folded to 2 kHz at %.1f dB, want below -55", got)
	}
}

// The interpolator doubles the rate with the tone at its level and its
// image (8 kHz - f) suppressed.
func TestInterpolatorKeepsToneSuppressesImage(t *testing.T) {
	var p Interpolator
	in := sine(1000, 8000, 8000, 10000)
	out := make([]int16, 16000)
	n := 0
	for i := 0; i < len(in); i += 160 {
		n += p.Up(out[n:], in[i:i+160])
	}
	if n != 16000 {
		t.Fatalf("%d samples out of 8000, want 16000", n)
	}
	if got := db(goertzelLevel(out[200:], 1000, 16000) / 10000); math.Abs(got) > 0.1 {
		t.Errorf("1 kHz through the interpolator: %.2f dB, want 0", got)
	}
	if got := db(goertzelLevel(out[200:], 7000, 16000) / 10000); got > -55 {
		t.Errorf("image at 7 kHz: %.1f dB, want below -55", got)
	}
}

func TestHalfbandAllocatesNothing(t *testing.T) {
	var d Decimator
	var p Interpolator
	wide, narrow := make([]int16, 320), make([]int16, 160)
	if a := testing.AllocsPerRun(100, func() {
		d.Down(narrow, wide)
		p.Up(wide, narrow)
	}); a != 0 {
		t.Errorf("%v allocations per frame", a)
	}
}
