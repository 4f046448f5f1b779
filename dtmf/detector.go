package dtmf

import (
	"math"
	"math/cmplx"

	"github.com/ivrd/ivrd/audio"
)

// The detector analyses 8 kHz audio in blocks of 102 samples (12.75 ms),
// each split in two halves of 51. Per half it takes the complex DFT at the
// eight DTMF frequencies (Goertzel, all eight updated per sample in one
// loop). Comparing the phase of the two halves gives each tone's real
// frequency to about a hertz, which is what lets it accept 1.5% and reject
// 3.5% off-frequency tones — a block this short cannot separate them by
// magnitude alone — and it corrects the measured levels for that offset
// before judging twist.
//
// Blocks overlap by half: one is judged every 51 samples from the last two
// halves. A press needs three good blocks in a row (four halves: a 40 ms
// tone always fills five, a 20 ms one at most three) and ends after five
// bad ones (a 40 ms pause spoils at least seven, a 10 ms dropout at most
// four).
//
// Speech is what makes false digits (talk-off), and voiced speech that
// mimics a key pair looks like a pair near the edges of what a keypad
// sends: the low tone well above the high one (vowels put most energy in
// the first formant) and frequencies a percent or two off. So the purity a
// block must show (the two tones' share of its energy) rises as its twist
// and frequency errors approach the limits: a keypad at the limits of
// Q.24 sends clean tones, a voice that lands there does not.
const (
	blockLen = 102
	halfLen  = blockLen / 2
)

var (
	rowFreqs = [4]float64{697, 770, 852, 941}
	colFreqs = [4]float64{1209, 1336, 1477, 1633}
	keypad   = [4][4]byte{
		{'1', '2', '3', 'A'},
		{'4', '5', '6', 'B'},
		{'7', '8', '9', 'C'},
		{'*', '0', '#', 'D'},
	}
	freqs  [8]float64
	omega  [8]float64
	coeffs [8]float64
	// unwind[i] turns the Goertzel output after halfLen samples into the
	// DFT referenced to the half's first sample; shift[i] moves the second
	// half's DFT to the block's time origin.
	unwind, shift [8]complex128
	cosW, sinW    [8]float64
)

func init() {
	copy(freqs[:4], rowFreqs[:])
	copy(freqs[4:], colFreqs[:])
	for i, f := range freqs {
		w := 2 * math.Pi * f / 8000
		omega[i] = w
		coeffs[i] = 2 * math.Cos(w)
		sinW[i], cosW[i] = math.Sincos(w)
		unwind[i] = cmplx.Exp(complex(0, -w*float64(halfLen-1)))
		shift[i] = cmplx.Exp(complex(0, -w*float64(halfLen)))
	}
}

// Limits. They sit between what Q.24 says must pass and what must not.
const (
	minToneDBm0  = -43.0 // per tone; must accept -25 (spandsp: -41), must ignore -55
	maxOffset    = 0.025 // relative frequency error; accept 1.5%, reject 3.5%
	normalTwist  = 9.0   // dB the column tone may be weaker (8 must pass, with offsets)
	reverseTwist = 5.0   // dB the column tone may be stronger (4 must pass)
	minToneShare = 0.80  // the two tones' share of the block's energy
	weakShare    = 0.60  // ... the least a steady press may show
	steadyOffset = 0.003 // relative frequency change allowed between weak blocks
	groupMargin  = 8.0   // dB a tone must stand above its group's others
	halfSpread   = 2.5   // dB a tone may differ between the two halves (a half under 38 of 51 samples fails)
	edgeShare    = 0.10  // share added at the limits (edgeStress 1)
	twistFree    = 0.5   // fraction of the twist limits free of it
	offsetFree   = 0.008 // frequency error free of it
	offsetSpan   = 0.012 // ... and the error beyond that counting as a limit
	levelDrop    = 12.0  // dB below a press's peak that counts as released
	harmonicDB   = 12.0  // a second harmonic this close to a tone rejects it
	startBlocks  = 3     // good blocks to recognise a press
	endBlocks    = 5     // bad blocks to end one
	echoBlocks   = 16    // how long (in blocks, ~100 ms) an echo of a press is ignored
)

// Thresholds as power ratios, computed once.
var (
	dropRatio     = math.Pow(10, -levelDrop/10)
	groupRatio    = math.Pow(10, -groupMargin/10)
	minPower      = func() float64 { a := audio.Amplitude(minToneDBm0) * blockLen / 2; return a * a }()
	spreadRatio   = math.Pow(10, halfSpread/20)
	harmonicRatio = math.Pow(10, -harmonicDB/10)
	steadyRatio   = math.Pow(10, 1.5/10) // level change allowed between weak blocks

	lenientGroupRatio  = math.Pow(10, -5.0/10)
	lenientSpreadRatio = math.Pow(10, 4.0/20) // a half under 32 of 51 samples still fails
	lenientShare       = 0.65
)

// Detector finds DTMF key presses in 8 kHz linear audio. It keeps its
// state across frames of any length and allocates nothing.
type Detector struct {
	s1, s2 [8]float64
	n      int
	energy [2]float64 // of the previous and the current half
	half   [2][8]complex128
	halves int // halves seen (the first block needs two)
	// the block's samples, kept for the harmonic test of a candidate
	samples [2][halfLen]float64

	cand    byte // key of the last good block
	run     int  // good blocks of cand, with at most one bad one among them
	grace   bool // the one bad block was used
	current byte // press being held (reported), 0 when idle
	miss    int  // consecutive blocks without current
	peak    float64
	tones   [2]tone // of the last good block
	prevT   [2]tone // of the good block before it
	weak    bool    // the last good block passed only on the weak share
	prevWk  bool
	last    byte    // the press that ended last
	lastPk  float64 // its peak
	since   int     // blocks since it ended
}

// NewDetector returns a detector for a new stream.
func NewDetector() *Detector { return &Detector{} }

// Reset forgets all state.
func (d *Detector) Reset() { *d = Detector{} }

// Frame feeds samples and returns a key when a new press is recognised.
func (d *Detector) Frame(pcm []int16) (key byte, ok bool) {
	for len(pcm) > 0 {
		n := min(halfLen-d.n, len(pcm))
		d.accumulate(pcm[:n])
		pcm = pcm[n:]
		d.n += n
		if d.n < halfLen {
			break
		}
		for i := range d.s1 {
			// y = s[N-1] - e^{-jw} s[N-2] = e^{jw(N-1)} X
			y := complex(d.s1[i]-cosW[i]*d.s2[i], sinW[i]*d.s2[i])
			d.half[1][i] = y * unwind[i]
		}
		d.s1, d.s2, d.n = [8]float64{}, [8]float64{}, 0
		d.halves++
		if d.halves >= 2 {
			if k, hit := d.endBlock(); hit {
				key, ok = k, true
			}
		}
		d.half[0], d.energy[0], d.energy[1] = d.half[1], d.energy[1], 0
		d.samples[0] = d.samples[1]
	}
	return key, ok
}

// accumulate runs the eight Goertzel filters over samples, all eight per
// sample in one loop with the state in registers: the hot loop.
func (d *Detector) accumulate(pcm []int16) {
	c0, c1, c2, c3, c4, c5, c6, c7 := coeffs[0], coeffs[1], coeffs[2], coeffs[3], coeffs[4], coeffs[5], coeffs[6], coeffs[7]
	a0, a1, a2, a3, a4, a5, a6, a7 := d.s1[0], d.s1[1], d.s1[2], d.s1[3], d.s1[4], d.s1[5], d.s1[6], d.s1[7]
	b0, b1, b2, b3, b4, b5, b6, b7 := d.s2[0], d.s2[1], d.s2[2], d.s2[3], d.s2[4], d.s2[5], d.s2[6], d.s2[7]
	e := d.energy[1]
	buf := d.samples[1][d.n : d.n+len(pcm)]
	for j, v := range pcm {
		x := float64(v)
		buf[j] = x
		e += x * x
		a0, b0 = x+c0*a0-b0, a0
		a1, b1 = x+c1*a1-b1, a1
		a2, b2 = x+c2*a2-b2, a2
		a3, b3 = x+c3*a3-b3, a3
		a4, b4 = x+c4*a4-b4, a4
		a5, b5 = x+c5*a5-b5, a5
		a6, b6 = x+c6*a6-b6, a6
		a7, b7 = x+c7*a7-b7, a7
	}
	d.s1 = [8]float64{a0, a1, a2, a3, a4, a5, a6, a7}
	d.s2 = [8]float64{b0, b1, b2, b3, b4, b5, b6, b7}
	d.energy[1] = e
}

// tone is one group's strongest frequency in a block.
type tone struct {
	idx    int
	power  float64 // corrected for frequency offset
	offset float64 // relative
}

func (d *Detector) endBlock() (byte, bool) {
	// Once a block has passed the strict test, the next ones of the same
	// key are judged leniently: speech under a tone (talk-down) spoils
	// blocks here and there, while a 20 ms tone still cannot make three.
	lenient := d.current != 0 || (d.cand != 0 && d.run >= 1)
	var k byte
	var power float64
	if d.current != 0 {
		k, power = d.stillHeld()
	} else {
		k, power = d.classify(lenient)
	}
	if lenient && k != 0 && k != d.cand && k != d.current {
		k, power = d.classify(false)
	}
	drop := dropRatio
	// A press whose level falls far below its peak is over, and the same
	// key far below the press that just ended is its echo, not a new one.
	if k != 0 && k == d.current && power < d.peak*drop {
		k = 0
	}
	d.since++
	if k != 0 && k == d.last && d.since < echoBlocks && power < d.lastPk*drop {
		k = 0
	}
	switch {
	case k != 0 && k == d.cand && d.current == 0 && (d.weak || d.prevWk) && !d.steady():
		// Weak blocks whose tones moved: a gliding voice, not a keypad.
		d.run = 1
	case k != 0 && k == d.cand:
		d.run++
	case k == 0 && d.cand != 0 && !d.grace:
		// One spoiled block (speech over the tone) does not restart the
		// count; a 20 ms tone still cannot reach startBlocks good ones.
		d.grace = true
	default:
		d.cand, d.run, d.grace = k, 1, false
	}
	if k == 0 && d.grace && d.run == 0 {
		d.cand = 0
	}
	if d.current != 0 {
		if k == d.current {
			d.miss = 0
			d.peak = math.Max(d.peak, power)
			return 0, false
		}
		d.miss++
		if d.miss < endBlocks {
			return 0, false
		}
		d.last, d.lastPk, d.since = d.current, d.peak, 0
		d.current = 0
	}
	if k != 0 && d.run >= startBlocks {
		if !d.pure() {
			d.cand, d.run, d.grace = 0, 0, false
			return 0, false
		}
		d.current, d.miss, d.peak = k, 0, power
		return k, true
	}
	return 0, false
}

// debugReject, when set by a test, is told why a block was rejected (v is
// the measured value or ratio).
var debugReject func(reason string, v float64)

func reject(reason string, v float64) (byte, float64) {
	if debugReject != nil {
		debugReject(reason, v)
	}
	return 0, 0
}

// stillHeld is the cheap test while a press is held: the same two bins
// lead their groups and hold most of the energy. Anything else gets the
// full classification.
func (d *Detector) stillHeld() (byte, float64) {
	r, c := d.tones[0].idx, d.tones[1].idx
	var full [8]float64
	for i := range full {
		x := d.half[0][i] + d.half[1][i]*shift[i]
		full[i] = real(x)*real(x) + imag(x)*imag(x)
	}
	energy := d.energy[0] + d.energy[1]
	for i := 0; i < 8; i++ {
		lead := r
		if i >= 4 {
			lead = c
		}
		if i != lead && full[i] > full[lead]*lenientGroupRatio {
			return d.classify(true)
		}
	}
	p := full[r] + full[c]
	if energy == 0 || p/(energy*blockLen/2) < lenientShare || full[r] < minPower || full[c] < minPower {
		return d.classify(true)
	}
	return d.current, p
}

// classify returns the key a block holds (0: none) and its tone power.
func (d *Detector) classify(lenient bool) (byte, float64) {
	// A strict block may pass on a weaker share (loud speech under the
	// tones: talk-down), but then the press must prove itself steady.
	gRatio, sRatio, minShare := groupRatio, spreadRatio, weakShare
	if lenient {
		gRatio, sRatio, minShare = lenientGroupRatio, lenientSpreadRatio, lenientShare
	}
	energy := d.energy[0] + d.energy[1]
	if energy == 0 {
		return 0, 0
	}
	var full [8]float64
	for i := range full {
		x := d.half[0][i] + d.half[1][i]*shift[i]
		full[i] = real(x)*real(x) + imag(x)*imag(x)
	}
	var best [2]int
	for g := 0; g < 2; g++ {
		b := 4 * g
		for i := 4 * g; i < 4*g+4; i++ {
			if full[i] > full[b] {
				b = i
			}
		}
		if full[b] < minPower {
			return reject("level", full[b])
		}
		limit := full[b] * gRatio
		for i := 4 * g; i < 4*g+4; i++ {
			if i != b && full[i] > limit {
				return reject("group", full[b]/full[i])
			}
		}
		best[g] = b
	}
	// Each half's view of the two tones, with each tone's leakage into
	// the other's bin removed: a strong row tone's sidelobes would
	// otherwise swamp the phase and level of a weak column tone.
	var x [2][2]complex128 // [half][group]
	for h := 0; h < 2; h++ {
		x[h][0], x[h][1] = d.half[h][best[0]], d.half[h][best[1]]
	}
	hz0 := offsetHz(x[0][0], x[1][0], best[0])
	hz1 := offsetHz(x[0][1], x[1][1], best[1])
	for h := 0; h < 2; h++ {
		r, c := x[h][0], x[h][1]
		x[h][0] = r - leak(c, best[1], hz1, best[0])
		x[h][1] = c - leak(r, best[0], hz0, best[1])
	}
	var hz [2]float64
	var t [2]tone
	for g := 0; g < 2; g++ {
		a, b := x[0][g], x[1][g]
		pa, pb := cmplx.Abs(a), cmplx.Abs(b)
		if pa == 0 || pb == 0 || pa > pb*sRatio || pb > pa*sRatio {
			return reject("halves", pa/pb)
		}
		hz[g] = offsetHz(a, b, best[g])
		off := hz[g] / freqs[best[g]]
		if math.Abs(off) > maxOffset {
			return reject("offset", off)
		}
		f := a + b*shift[best[g]]
		p := real(f)*real(f) + imag(f)*imag(f)
		t[g] = tone{idx: best[g], power: p / dirichlet2(hz[g]), offset: off}
	}
	twist := 10 * math.Log10(t[0].power/t[1].power)
	if twist > normalTwist || -twist > reverseTwist {
		return reject("twist", twist)
	}
	share := (t[0].power + t[1].power) / (energy * blockLen / 2)
	need := minShare
	if r := edgeStress(twist, t[0].offset, t[1].offset); r > 0 {
		// Near the limits only a clean pair passes, whatever the path.
		need = minToneShare + edgeShare*r
	}
	if share < need {
		return reject("share", share)
	}
	d.prevT, d.prevWk = d.tones, d.weak
	d.tones, d.weak = t, share < minToneShare
	return keypad[t[0].idx][t[1].idx-4], t[0].power + t[1].power
}

// edgeStress is how close a block's twist and frequency errors are to the
// limits, from 0 (nearly level tones within 0.8%) to 1 (at a limit, or a
// bit of both).
func edgeStress(twist, off0, off1 float64) float64 {
	tw := math.Max(twist/normalTwist, -twist/reverseTwist)
	off := math.Max(math.Abs(off0), math.Abs(off1))
	r := math.Max(0, (tw-twistFree)/(1-twistFree)) + math.Max(0, (off-offsetFree)/offsetSpan)
	return math.Min(1, r)
}

// steady reports whether the last two good blocks saw the same two tones
// at nearly the same frequencies and levels: keypads are steady, voices
// glide.
func (d *Detector) steady() bool {
	for g := 0; g < 2; g++ {
		a, b := d.prevT[g], d.tones[g]
		if a.idx != b.idx || math.Abs(a.offset-b.offset) > steadyOffset {
			return false
		}
		if a.power > b.power*steadyRatio || b.power > a.power*steadyRatio {
			return false
		}
	}
	return true
}

// pure reports whether the last good block's tones come without a strong
// second harmonic: keys are pure tones, notes and vowels are not. Checked
// once, when a press is about to be reported, so it costs nothing while
// a key is held. A row tone's harmonic that falls next to the column tone
// (within 200 Hz of it) cannot be measured and is skipped.
func (d *Detector) pure() bool {
	for g := 0; g < 2; g++ {
		f := 2 * freqs[d.tones[g].idx] * (1 + d.tones[g].offset)
		if g == 0 && math.Abs(f-freqs[d.tones[1].idx]) < 200 {
			continue
		}
		if h := d.powerAt(f); h > d.tones[g].power*harmonicRatio {
			reject("harmonic", h/d.tones[g].power)
			return false
		}
	}
	return true
}

// powerAt is the block's DFT power at f (Goertzel over the kept samples).
func (d *Detector) powerAt(f float64) float64 {
	c := 2 * math.Cos(2*math.Pi*f/8000)
	var s1, s2 float64
	for h := 0; h < 2; h++ {
		for _, x := range d.samples[h] {
			s1, s2 = x+c*s1-s2, s1
		}
	}
	return s1*s1 + s2*s2 - c*s1*s2
}

// offsetHz is a tone's distance from bin i, from the phase it advanced
// between the two halves beyond the bin's own advance.
func offsetHz(a, b complex128, i int) float64 {
	dphi := math.Remainder(cmplx.Phase(b/a)-omega[i]*halfLen, 2*math.Pi)
	return dphi * 8000 / (2 * math.Pi * halfLen)
}

// kernel is the DFT of a unit complex exponential at angular offset th
// over a half: sum of e^{j th n}, n = 0..halfLen-1.
func kernel(th float64) complex128 {
	s := math.Sin(th / 2)
	if math.Abs(s) < 1e-12 {
		return complex(halfLen, 0)
	}
	// e^{j th (M-1)/2} sin(M th/2) / sin(th/2), from e^{j M th/2} e^{-j th/2}
	sm, cm := math.Sincos(halfLen * th / 2)
	c := math.Cos(th / 2)
	r := sm / s
	return complex((cm*c+sm*s)*r, (sm*c-cm*s)*r)
}

// leak is what a tone seen as x in bin from (off hz from it) puts into
// bin to, counting the real tone's negative-frequency image.
func leak(x complex128, from int, hz float64, to int) complex128 {
	w := omega[from] + 2*math.Pi*hz/8000
	amp := x / kernel(w-omega[from]) // (a/2) e^{j phi}
	return amp*kernel(w-omega[to]) + cmplx.Conj(amp)*kernel(-w-omega[to])
}

// dirichlet2 is the block DFT's power response to a tone hz away from the
// bin, relative to one exactly on it.
func dirichlet2(hz float64) float64 {
	x := math.Pi * hz / 8000
	if math.Abs(x) < 1e-9 {
		return 1
	}
	r := math.Sin(x*blockLen) / (blockLen * math.Sin(x))
	return math.Max(r*r, 0.05)
}
