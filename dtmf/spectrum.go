package dtmf

import (
	"fmt"
	"math"
	"math/cmplx"

	"github.com/ivrd/ivrd/audio"
)

// Block sizes. A block lasts 12.75 ms at every rate (102 samples at 8 kHz,
// 204 at 16 kHz), so the frequency resolution, the timing and every limit
// are the same on narrowband and wideband calls; only the Goertzel
// coefficients and the sample counts differ.
const (
	blockMs  = 12.75
	maxBlock = 204 // at the highest rate supported
	maxHalf  = maxBlock / 2
)

// The keypad: row tones (freqs[0:4]) and column tones (freqs[4:8]).
var (
	keypad = [4][4]byte{
		{'1', '2', '3', 'A'},
		{'4', '5', '6', 'B'},
		{'7', '8', '9', 'C'},
		{'*', '0', '#', 'D'},
	}
	freqs = [8]float64{697, 770, 852, 941, 1209, 1336, 1477, 1633}
)

// rateTables are the per-rate constants of the analysis, computed once
// (narrowband, wideband) and never changed.
type rateTables struct {
	rate              float64
	blockLen, halfLen int
	omega, coeffs     [8]float64
	cosW, sinW        [8]float64
	// unwind[i] turns the Goertzel output after halfLen samples into the
	// DFT referenced to the half's first sample; shift[i] moves the second
	// half's DFT to the block's time origin.
	unwind, shift [8]complex128
	// shiftN[n][i] moves a half's DFT n halves later to the start of the
	// long window (see longKey).
	shiftN   [longHalves][8]complex128
	minPower float64 // a tone at minToneDBm0, as block DFT power
	// startLead and endLag place a press's start and end from the blocks
	// that saw it (see Detector.Detect), in samples.
	startLead, endLag int64
}

var (
	narrowband = newRateTables(8000)
	wideband   = newRateTables(16000)
)

func newRateTables(rate int) *rateTables {
	t := &rateTables{rate: float64(rate), blockLen: int(blockMs * float64(rate) / 1000)}
	t.halfLen = t.blockLen / 2
	for i, f := range freqs {
		w := 2 * math.Pi * f / t.rate
		t.omega[i] = w
		t.coeffs[i] = 2 * math.Cos(w)
		t.sinW[i], t.cosW[i] = math.Sincos(w)
		t.unwind[i] = cmplx.Exp(complex(0, -w*float64(t.halfLen-1)))
		t.shift[i] = cmplx.Exp(complex(0, -w*float64(t.halfLen)))
		for n := range t.shiftN {
			t.shiftN[n][i] = cmplx.Exp(complex(0, -w*float64(n*t.halfLen)))
		}
	}
	a := audio.Amplitude(minToneDBm0) * float64(t.blockLen) / 2
	t.minPower = a * a
	t.startLead = int64(startLeadMs * float64(rate) / 1000)
	t.endLag = int64(endLagMs * float64(rate) / 1000)
	return t
}

// tablesFor returns the tables of a supported sample rate.
func tablesFor(rate int) (*rateTables, error) {
	switch rate {
	case 8000:
		return narrowband, nil
	case 16000:
		return wideband, nil
	}
	return nil, fmt.Errorf("dtmf: sample rate %d Hz not supported (8000 or 16000)", rate)
}

// offsetHz is a tone's distance from bin i, from the phase it advanced
// between the two halves beyond the bin's own advance.
func (t *rateTables) offsetHz(a, b complex128, i int) float64 {
	dphi := math.Remainder(cmplx.Phase(b/a)-t.omega[i]*float64(t.halfLen), 2*math.Pi)
	return dphi * t.rate / (2 * math.Pi * float64(t.halfLen))
}

// kernel is the DFT of a unit complex exponential at angular offset th
// over a half: sum of e^{j th n}, n = 0..halfLen-1.
func (t *rateTables) kernel(th float64) complex128 {
	m := float64(t.halfLen)
	s := math.Sin(th / 2)
	if math.Abs(s) < 1e-12 {
		return complex(m, 0)
	}
	// e^{j th (M-1)/2} sin(M th/2) / sin(th/2), from e^{j M th/2} e^{-j th/2}
	sm, cm := math.Sincos(m * th / 2)
	c := math.Cos(th / 2)
	r := sm / s
	return complex((cm*c+sm*s)*r, (sm*c-cm*s)*r)
}

// leak is what a tone seen as x in bin from (off hz from it) puts into
// bin to, counting the real tone's negative-frequency image.
func (t *rateTables) leak(x complex128, from int, hz float64, to int) complex128 {
	w := t.omega[from] + 2*math.Pi*hz/t.rate
	amp := x / t.kernel(w-t.omega[from]) // (a/2) e^{j phi}
	return amp*t.kernel(w-t.omega[to]) + cmplx.Conj(amp)*t.kernel(-w-t.omega[to])
}

// dirichlet2 is the block DFT's power response to a tone hz away from the
// bin, relative to one exactly on it.
func (t *rateTables) dirichlet2(hz float64) float64 {
	x := math.Pi * hz / t.rate
	if math.Abs(x) < 1e-9 {
		return 1
	}
	n := float64(t.blockLen)
	r := math.Sin(x*n) / (n * math.Sin(x))
	return math.Max(r*r, 0.05)
}

// Where a press's tone begins and ends relative to the blocks that saw it,
// in milliseconds: the mean errors TestPressTimes measured without them
// (+1.8 and +1.3 ms at both rates, the worst within 5 ms).
const (
	startLeadMs = 1.8 // the tone began this long before the first good block
	endLagMs    = 1.3 // the last held block ended this long after the tone
)

// strongestIn is the bin of group g (0: rows, 1: columns) with the most
// power.
func strongestIn(p *[8]float64, g int) int {
	b := 4 * g
	for i := b + 1; i < 4*g+4; i++ {
		if p[i] > p[b] {
			b = i
		}
	}
	return b
}
