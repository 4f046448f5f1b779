package audio

// A half-band low-pass filter at 16 kHz (47 taps, Kaiser window, β 5.65):
// flat within 0.01 dB to 3.3 kHz and at least 60 dB down from 4.7 kHz, so
// it halves the rate to 8 kHz (Decimator) or doubles it from 8 kHz
// (Interpolator) without folding wideband audio into the telephone band.
// Every other tap of a half-band filter is zero, so only the centre tap
// and the twelve symmetric pairs below are multiplied.

// halfbandCentre is the centre tap; halfbandTaps the taps at odd distances
// 1, 3, ..., 23 from it (each used on both sides).
const halfbandCentre = 0.500039986

var halfbandTaps = [12]float32{0.316797286, -0.101570772, 0.056336147, -0.035689991,
	0.023555664, -0.015580887, 0.010089170, -0.006271985, 0.003661674,
	-0.001943263, 0.000879982, -0.000283019}

const halfbandLen = 47

// Decimator brings 16 kHz audio to 8 kHz, keeping its history across
// calls so a stream can be fed in frames of any even or odd length. The
// zero value is ready; it allocates nothing. One per stream.
type Decimator struct {
	hist [2 * halfbandLen]float32 // the last halfbandLen samples, twice, so a window is contiguous
	pos  int
	odd  bool // the next input sample is the second of a pair (no output)
}

// Down filters src (16 kHz) into dst (8 kHz) and returns the number of
// samples written: one for every two read (at most len(dst)).
func (d *Decimator) Down(dst, src []int16) int {
	n := 0
	for _, s := range src {
		v := float32(s)
		d.hist[d.pos], d.hist[d.pos+halfbandLen] = v, v
		d.pos++
		if d.pos == halfbandLen {
			d.pos = 0
		}
		d.odd = !d.odd
		if d.odd || n == len(dst) {
			continue
		}
		w := d.hist[d.pos : d.pos+halfbandLen] // oldest first
		acc := halfbandCentre * w[23]
		for k, h := range halfbandTaps {
			acc += h * (w[22-2*k] + w[24+2*k])
		}
		dst[n] = saturate(acc)
		n++
	}
	return n
}

// Interpolator brings 8 kHz audio to 16 kHz: two samples out for each
// one in, the new ones filtered from the history. The zero value is
// ready; it allocates nothing. One per stream.
type Interpolator struct {
	hist [2 * 24]float32 // the last 24 samples, twice
	pos  int
}

// Up filters src (8 kHz) into dst (16 kHz) and returns the number of
// samples written: two for each one read (at most len(dst), rounded
// down to pairs).
func (p *Interpolator) Up(dst, src []int16) int {
	n := 0
	for _, s := range src {
		if n+2 > len(dst) {
			break
		}
		v := float32(s)
		p.hist[p.pos], p.hist[p.pos+24] = v, v
		p.pos++
		if p.pos == 24 {
			p.pos = 0
		}
		w := p.hist[p.pos : p.pos+24] // oldest first
		var acc float32
		for k, h := range halfbandTaps {
			acc += h * (w[12+k] + w[11-k])
		}
		dst[n] = saturate(2 * acc)
		dst[n+1] = saturate(2 * halfbandCentre * w[12])
		n += 2
	}
	return n
}

func saturate(v float32) int16 {
	switch {
	case v >= 32767:
		return 32767
	case v <= -32768:
		return -32768
	}
	if v < 0 {
		return int16(v - 0.5)
	}
	return int16(v + 0.5)
}
