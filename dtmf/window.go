package dtmf

import (
	"math"
	"math/cmplx"
)

// The long window: a second look at the last five halves (32 ms) at once,
// for presses that speech spoils block by block (talk-down, issue 22).
//
// A 60 ms press leaves seven 12.75 ms blocks, and a voice harmonic a few
// dB under one of its tones, 40-80 Hz away, spoils most of them: in a block
// that short the harmonic lands in the neighbouring key's bin (the group
// test), beats with the tone so that the two halves differ (the halves
// test) and pulls the measured frequency. Over 32 ms the DFT bins are
// 2.5 times narrower, so the same harmonic falls mostly outside the
// tone's bin and the neighbour's, while a keypad's tone adds up
// coherently, half after half. Voices still pass for keys in a long
// window, though, and differently from in a block: the bins are too
// narrow to catch the harmonics next to the pair, and the voices that
// do pass have a strong first formant, so their row tone stands over the
// column tone (measured on TestSpandspComparison's generated speech: every
// false press of the looser versions tried had the row tone 1-9 dB the
// stronger, and most a share of the energy under 0.6). Keypads send the
// column tone as strong or a little stronger (pre-emphasis). Music has
// exact pairs too (F5 and F#6 are 0.2% from the '3' pair: Fish Fillets'
// music in the corpus), held with other notes around them: in the
// corpus the pair held 60-68% of the window's energy. So this path takes
// only what a keypad sends and a voice or a chord seldom does: both tones
// within 0.4% of the key, the row tone at most 2 dB over the column tone
// (the column tone up to 4 dB over it), present with nearly the same
// amplitude and phase in every half, and the pair holding 70% of the
// window's energy (a key 10 dB over speech holds about 90%). Presses with
// more twist or further off frequency are left to the block path, which
// meets the Q.24 limits on its own.
const (
	longHalves  = 5     // halves in the window (32 ms: a 20 ms tone cannot fill it)
	longOffset  = 0.004 // relative frequency error allowed
	longNormal  = 2.0   // dB the row tone may be the stronger
	longReverse = 4.0   // dB the column tone may be the stronger
	longShare   = 0.70  // the pair's share of the window's energy
	longEach    = 0.5   // each half's part of the tone, relative to the mean, at least (and at most 2 minus it)
	longGate    = 0.55  // the current block's two strongest bins' share below which the window is not looked at
)

// longPress is the long window's chance when the blocks have not found
// a press: it starts one (and reports its key) if the window holds one.
// Not the key that just ended, whatever its level: a press that speech
// broke for a few blocks is not pressed twice.
func (d *Detector) longPress() (byte, bool) {
	k, p := d.longKey()
	if k == 0 || (k == d.last && d.since < echoBlocks) || !d.pure() {
		return 0, false
	}
	d.current, d.miss, d.peak = k, 0, p
	d.start, d.heldEnd = d.pos-int64(longHalves*d.t.halfLen)-d.t.startLead, d.pos
	d.cand, d.run, d.grace = k, startBlocks, false
	return k, true
}

// heldInWindow is the block's key and power (k, power, not the held
// key's) unless the long window still hears the held key near its peak:
// speech over a held key spoils blocks as it spoils a press's first ones,
// and a press speech breaks up must not be reported twice. Asked of every
// block that misses a held press (asking only the one that would end it
// let 50 % more presses be heard twice on the corpus).
func (d *Detector) heldInWindow(k byte, power float64) (byte, float64) {
	if lk, lp := d.longKey(); lk == d.current && lp >= d.peak*dropRatio {
		return lk, lp
	}
	return k, power
}

// longKey judges the window of the last longHalves halves: the key it
// holds (0: none) and its tones' power scaled to a block's, as classify
// returns them. On success it leaves the tones in d.tones.
func (d *Detector) longKey() (byte, float64) {
	tb := d.t
	if d.halves < longHalves {
		return 0, 0
	}
	// Most blocks of speech do not hold a pair at all: the current
	// block's two strongest DTMF bins must hold a fair share of it, each
	// above the level floor, before the window is worth a look (this
	// keeps the cost off the idle path).
	full := &d.recent[d.blocks%onsetBlocks]
	var best [2]int
	for g := 0; g < 2; g++ {
		b := strongestIn(full, g)
		if full[b] < tb.minPower {
			return 0, 0
		}
		best[g] = b
	}
	e := d.energy[0] + d.energy[1]
	if full[best[0]]+full[best[1]] < longGate*e*float64(tb.blockLen)/2 {
		return 0, 0
	}
	// The window's DFT at those two frequencies (the halves' DFTs moved
	// to the window's start and added) and its share of the window's
	// energy first: the test most windows of speech fail.
	first := d.halves - longHalves // index of the window's first half
	window := func(i int) complex128 {
		var x complex128
		for h := 0; h < longHalves; h++ {
			x += d.ring[(first+h)%longHalves][i] * tb.shiftN[h][i]
		}
		return x
	}
	power := func(x complex128) float64 { return real(x)*real(x) + imag(x)*imag(x) }
	energy := 0.0
	for _, v := range d.ringE {
		energy += v
	}
	n := float64(longHalves * tb.halfLen)
	scale := float64(tb.blockLen) * float64(tb.blockLen) / (n * n) // window power to block power
	var x [2]complex128
	var p [2]float64
	for g, b := range best {
		x[g] = window(b)
		p[g] = power(x[g])
	}
	if p[0]+p[1] < longShare*energy*n/2 {
		return 0, 0
	}
	var t [2]tone
	for g, b := range best {
		if p[g]*scale < tb.minPower {
			return 0, 0
		}
		// The other keys of the group, in the window: a tone must stand
		// groupMargin over each (and so be the group's strongest).
		for i := 4 * g; i < 4*g+4; i++ {
			if i != b && power(window(i)) > p[g]*groupRatio {
				return 0, 0
			}
		}
		off, ok := d.longTone(b, x[g], math.Sqrt(p[g]))
		if !ok {
			return 0, 0
		}
		t[g] = tone{idx: b, power: p[g] * scale, offset: off}
	}
	if twist := 10 * math.Log10(t[0].power/t[1].power); twist > longNormal || -twist > longReverse {
		return 0, 0
	}
	d.prevT, d.tones = d.tones, t
	return keypad[t[0].idx][t[1].idx-4], t[0].power + t[1].power
}

// longTone checks the tone in bin b of the window (x its DFT, a its
// magnitude): its frequency, from the phase it advanced between the
// window's first and last two halves, within longOffset of the key's,
// and every half carrying about a fifth of it, in phase.
func (d *Detector) longTone(b int, x complex128, a float64) (float64, bool) {
	tb := d.t
	first := d.halves - longHalves
	const span = longHalves / 2 // halves at each end compared for the frequency
	var a1, a2 complex128
	for h := 0; h < span; h++ {
		a1 += d.ring[(first+h)%longHalves][b] * tb.shiftN[h][b]
		a2 += d.ring[(first+longHalves-span+h)%longHalves][b] * tb.shiftN[h][b]
	}
	m := float64((longHalves - span) * tb.halfLen)
	dphi := math.Remainder(cmplx.Phase(a2/a1)-tb.omega[b]*m, 2*math.Pi)
	off := dphi * tb.rate / (2 * math.Pi * m) / freqs[b]
	if math.Abs(off) > longOffset {
		return off, false
	}
	u := x / complex(a, 0) // the tone's phase
	each := a / longHalves
	for h := 0; h < longHalves; h++ {
		c := d.ring[(first+h)%longHalves][b] * tb.shiftN[h][b] * cmplx.Conj(u)
		if real(c) < longEach*each || cmplx.Abs(c) > (2-longEach)*each {
			return off, false
		}
	}
	return off, true
}
