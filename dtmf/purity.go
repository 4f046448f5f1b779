package dtmf

import (
	"math"
	"math/cmplx"
)

// The harmonic tests of a candidate press, run once when it is about to
// be reported (moved out of detector.go as it grew).

// pure reports whether the last good block's tones come without a strong
// second harmonic: keys are pure tones, notes and vowels are not. Checked
// once, when a press is about to be reported, so it costs nothing while
// a key is held.
func (d *Detector) pure() bool {
	// Two partials of one note or vowel: the column tone an octave or a
	// fifth above the row tone (a keypad's pairs are at least 1.2% from
	// either when its tones are within 1.5%).
	r := freqs[d.tones[1].idx] * (1 + d.tones[1].offset) / (freqs[d.tones[0].idx] * (1 + d.tones[0].offset))
	for _, h := range [...]float64{2, 1.5} {
		if math.Abs(r/h-1) < pairRatioTol {
			reject("harmonic pair", r)
			return false
		}
	}
	for g := 0; g < 2; g++ {
		f := 2 * freqs[d.tones[g].idx] * (1 + d.tones[g].offset)
		h := 0.0
		if fc := freqs[d.tones[1].idx] * (1 + d.tones[1].offset); g == 0 && math.Abs(f-fc) < 200 {
			// The row tone's harmonic lands next to the column tone (keys
			// 1, 2, 3, 6, B, C): separate the two.
			h = d.powerBeside(f, fc)
		} else {
			h = d.powerAt(f)
		}
		if h > d.tones[g].power*harmonicRatio {
			reject("harmonic", h/d.tones[g].power)
			return false
		}
	}
	return true
}

// powerBeside is the block's power of a sine at f next to a sine at fc
// (under 200 Hz apart, where a block this short sees each in the other's
// bin): both frequencies are known, so their amplitudes solve two linear
// equations, one per DFT.
func (d *Detector) powerBeside(f, fc float64) float64 {
	n := float64(d.t.blockLen)
	xf, xc := d.dftAt(f), d.dftAt(fc)
	w, wc := 2*math.Pi*f/d.t.rate, 2*math.Pi*fc/d.t.rate
	// X(fc) = a N + b S(w-wc), X(f) = a S(wc-w) + b N, S the block's kernel
	sfc, scf := blockKernel(w-wc, d.t.blockLen), blockKernel(wc-w, d.t.blockLen)
	det := complex(n*n, 0) - sfc*scf
	if cmplx.Abs(det) < 1e-9 {
		return d.powerAt(f)
	}
	b := (complex(n, 0)*xf - scf*xc) / det * complex(n, 0)
	return real(b)*real(b) + imag(b)*imag(b)
}

// dftAt is the block's complex DFT at f, referenced to its first sample.
func (d *Detector) dftAt(f float64) complex128 {
	w := 2 * math.Pi * f / d.t.rate
	c := 2 * math.Cos(w)
	var s1, s2 float64
	for _, half := range d.blockHalves() {
		for _, x := range half {
			s1, s2 = x+c*s1-s2, s1
		}
	}
	sw, cw := math.Sincos(w)
	y := complex(s1-cw*s2, sw*s2) // e^{jw(N-1)} X
	return y * cmplx.Exp(complex(0, -w*float64(d.t.blockLen-1)))
}

// blockKernel is sum of e^{j th k}, k = 0..n-1.
func blockKernel(th float64, n int) complex128 {
	s := math.Sin(th / 2)
	if math.Abs(s) < 1e-12 {
		return complex(float64(n), 0)
	}
	return cmplx.Exp(complex(0, th*float64(n-1)/2)) * complex(math.Sin(float64(n)*th/2)/s, 0)
}

// powerAt is the block's DFT power at f (Goertzel over the kept samples).
func (d *Detector) powerAt(f float64) float64 {
	c := 2 * math.Cos(2*math.Pi*f/d.t.rate)
	var s1, s2 float64
	for _, half := range d.blockHalves() {
		for _, x := range half {
			s1, s2 = x+c*s1-s2, s1
		}
	}
	return s1*s1 + s2*s2 - c*s1*s2
}
