package dtmf

import (
	"math"
	"math/cmplx"
	"time"
)

// The detector analyses 8 or 16 kHz audio in blocks of 12.75 ms (102 or
// 204 samples), each split in two halves. Per half it takes the complex DFT at the
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
// Q.24 sends clean tones, a voice that lands there does not. Music is the
// other source: two pure notes can sit within a key's limits. A press a
// percent or more off its key must also start as a key does (its tones
// rising from a quieter block just before) and hold its frequency, which
// notes that drift into a key's limits do not (see keyLike).
//
// Speech under a short press (talk-down) spoils most of its blocks: a
// voice harmonic a few dB under a tone lands in a block's bins. When the
// blocks have found nothing, the last five halves are judged as one 32 ms
// window, whose narrower bins separate tone and harmonic; it takes only
// level, exact, steady pairs, which voices seldom make (see longKey).
// Limits. They sit between what Q.24 says must pass and what must not.
const (
	minToneDBm0  = -43.0 // per tone; must accept -25 (spandsp: -41), must ignore -55
	maxOffset    = 0.025 // relative frequency error; accept 1.5%, reject 3.5%
	startOffset  = 0.020 // ... in the blocks that start a press (see classify)
	pairRatioTol = 0.006 // a pair this close to an octave or a fifth is one voice (see pure)
	normalTwist  = 9.0   // dB the column tone may be weaker (8 must pass, with offsets)
	reverseTwist = 5.0   // dB the column tone may be stronger (4 must pass)
	minToneShare = 0.80  // the two tones' share of the block's energy
	weakShare    = 0.60  // ... the least a steady press may show
	steadyOffset = 0.003 // relative frequency change allowed between weak blocks
	onsetFree    = 0.010 // frequency error below which a press's onset is not judged
	onsetDB      = 6.0   // dB a tone well off its key must have risen (see keyLike)
	onsetSpread  = 0.006 // ... and how far its measured frequency may move
	onsetBlocks  = 16    // blocks of bin powers kept for it
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
	spreadRatio   = math.Pow(10, halfSpread/20)
	harmonicRatio = math.Pow(10, -harmonicDB/10)
	steadyRatio   = math.Pow(10, 1.5/10) // level change allowed between weak blocks

	lenientGroupRatio  = math.Pow(10, -5.0/10)
	lenientSpreadRatio = math.Pow(10, 4.0/20) // a half under 32 of 51 samples still fails
	lenientShare       = 0.65
)

// Detector finds DTMF key presses in 8 or 16 kHz linear audio. It keeps
// its state across frames of any length and allocates nothing.
type Detector struct {
	t *rateTables
	// Read for every frame, so kept on the struct's first lines with the
	// filters' state: a call's detector is cold by its next frame, and
	// each further line touched is another cache miss (perf: Detect
	// waited on pending, at the struct's end, and on pos).
	pending Event // a KeyDown that came in the same block as a KeyUp
	up      Event // a press that ended in the block just judged
	pos     int64 // samples fed (timing is in samples since the stream began)
	s1, s2  [8]float64
	n       int
	energy  [2]float64 // of the previous and the current half
	halves  int        // halves seen (the first block needs two)
	// the block's samples, kept for the harmonic test of a candidate:
	// half h is filled in samples[h%2], so the older half is never copied
	// (see blockHalves)
	samples [2][maxHalf]float64

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
	// the lowest and highest frequency error of each tone over cand's run
	runLo, runHi [2]float64
	// the DTMF bins' power in the last onsetBlocks blocks (a ring indexed
	// by blocks), for the onset test
	recent [onsetBlocks][8]float64
	blocks int
	last   byte    // the press that ended last
	lastPk float64 // its peak
	since  int     // blocks since it ended

	// the DTMF bins' DFT and the energy of the last longHalves halves (a
	// ring indexed by halves), for the long window
	ring  [longHalves][8]complex128
	ringE [longHalves]float64

	runStart int64 // first sample of cand's first good block
	start    int64 // of the press being held
	heldEnd  int64 // sample after the latest block that held it
}

// EventKind says what a detector Event reports.
type EventKind uint8

// Event kinds.
const (
	NoEvent EventKind = iota
	KeyDown           // a press was recognised (End is zero)
	KeyUp             // the press of Key ended (its tone stopped at End)
)

// Event is a press starting to be heard or ending. Start and End are
// measured from the start of the stream (NewDetector or Reset), to within
// a few milliseconds of where the tone began and stopped.
type Event struct {
	Kind       EventKind
	Key        byte
	Start, End time.Duration
}

// NewDetector returns a detector for a new 8 kHz stream.
func NewDetector() *Detector { return &Detector{t: narrowband} }

// NewDetectorRate returns a detector for a new stream at sampleRate: 8000
// (G.711 and other narrowband codecs) or 16000 (G.722, Opus decoded at 16
// kHz). Both meet the same limits.
func NewDetectorRate(sampleRate int) (*Detector, error) {
	t, err := tablesFor(sampleRate)
	if err != nil {
		return nil, err
	}
	return &Detector{t: t}, nil
}

// SampleRate is the rate the detector expects.
func (d *Detector) SampleRate() int { return int(d.t.rate) }

// Reset forgets all state; the rate stays.
func (d *Detector) Reset() { *d = Detector{t: d.t} }

// Frame feeds samples and returns a key when a new press is recognised.
// (If two presses are recognised in one long frame, the last is
// returned; Detect reports every one, with its start and end.)
func (d *Detector) Frame(pcm []int16) (key byte, ok bool) {
	for {
		ev, n := d.Detect(pcm)
		pcm = pcm[n:]
		switch ev.Kind {
		case NoEvent:
			return key, ok
		case KeyDown:
			key, ok = ev.Key, true
		}
	}
}

// Detect feeds samples up to the first event (a press recognised or
// ended) and returns it with the number of samples of pcm it consumed;
// with no event it consumes all of pcm. Call it again with the rest:
//
//	for len(pcm) > 0 {
//		ev, n := d.Detect(pcm)
//		pcm = pcm[n:]
//		if ev.Kind != dtmf.NoEvent { ... }
//	}
//
// A press ending and the next recognised in one block give two events,
// the second from the next call (consuming nothing).
func (d *Detector) Detect(pcm []int16) (ev Event, consumed int) {
	if d.pending.Kind != NoEvent {
		ev, d.pending = d.pending, Event{}
		return ev, 0
	}
	t := d.t
	for consumed < len(pcm) {
		n := min(t.halfLen-d.n, len(pcm)-consumed)
		d.accumulate(pcm[consumed : consumed+n])
		consumed += n
		d.n += n
		d.pos += int64(n)
		if d.n < t.halfLen {
			break
		}
		// The half's DFT goes straight into the ring of the last
		// longHalves halves, which the blocks (its last two) and the long
		// window both read: nothing is copied per half.
		j := d.halves % longHalves
		for i := range d.s1 {
			// y = s[N-1] - e^{-jw} s[N-2] = e^{jw(N-1)} X
			y := complex(d.s1[i]-t.cosW[i]*d.s2[i], t.sinW[i]*d.s2[i])
			d.ring[j][i] = y * t.unwind[i]
		}
		d.s1, d.s2, d.n = [8]float64{}, [8]float64{}, 0
		d.ringE[j] = d.energy[1]
		d.halves++
		var down Event
		if d.halves >= 2 {
			if k, hit := d.endBlock(); hit {
				down = Event{Kind: KeyDown, Key: k, Start: d.at(d.start)}
			}
		}
		d.energy[0], d.energy[1] = d.energy[1], 0
		switch {
		case d.up.Kind != NoEvent:
			ev, d.up, d.pending = d.up, Event{}, down
			return ev, consumed
		case down.Kind != NoEvent:
			return down, consumed
		}
	}
	return Event{}, consumed
}

// Finish ends the stream: it returns a KeyDown still pending, then the
// KeyUp of a press still held when the audio stopped (ending where it was
// last heard), then NoEvent. The detector is then idle, as after a pause.
func (d *Detector) Finish() Event {
	if d.pending.Kind != NoEvent {
		ev := d.pending
		d.pending = Event{}
		return ev
	}
	if d.current == 0 {
		return Event{}
	}
	ev := Event{Kind: KeyUp, Key: d.current, Start: d.at(d.start), End: d.at(d.heldEnd - d.t.endLag)}
	d.last, d.lastPk, d.since, d.current = d.current, d.peak, 0, 0
	return ev
}

// blockHalves returns the samples of the block being judged, the older
// half first. (endBlock runs after d.halves counted the newer half.)
func (d *Detector) blockHalves() [2][]float64 {
	h := d.t.halfLen
	return [2][]float64{d.samples[d.halves%2][:h], d.samples[(d.halves+1)%2][:h]}
}

// at converts a sample position to time since the stream began.
func (d *Detector) at(sample int64) time.Duration {
	return time.Duration(max(sample, 0) * int64(time.Second) / int64(d.t.rate))
}

// accumulate converts and stores samples, sums their energy and runs the
// eight Goertzel filters over them (goertzel8): the hot loop. The energy
// is summed in two interleaved sums so that each addition need not wait
// for the one before.
func (d *Detector) accumulate(pcm []int16) {
	buf := d.samples[d.halves%2][d.n : d.n+len(pcm)]
	var e0, e1 float64
	n := len(pcm) &^ 1
	for j := 0; j < n; j += 2 {
		x, y := float64(pcm[j]), float64(pcm[j+1])
		buf[j], buf[j+1] = x, y
		e0 += x * x
		e1 += y * y
	}
	if n < len(pcm) {
		x := float64(pcm[n])
		buf[n] = x
		e0 += x * x
	}
	d.energy[1] += e0 + e1
	goertzel8(buf, &d.t.coeffs, &d.s1, &d.s2)
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
	d.blocks++
	d.recent[d.blocks%onsetBlocks] = [8]float64{}
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
	blockStart := d.pos - int64(d.t.blockLen)
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
		d.run, d.runStart = 1, blockStart
		d.runLo, d.runHi = [2]float64{1, 1}, [2]float64{-1, -1}
		d.widenRun()
	case k != 0 && k == d.cand:
		d.run++
		d.widenRun()
	case k == 0 && d.cand != 0 && !d.grace:
		// One spoiled block (speech over the tone) does not restart the
		// count; a 20 ms tone still cannot reach startBlocks good ones.
		d.grace = true
	default:
		d.cand, d.run, d.grace, d.runStart = k, 1, false, blockStart
		d.runLo, d.runHi = [2]float64{1, 1}, [2]float64{-1, -1}
		d.widenRun()
	}
	if k == 0 && d.grace && d.run == 0 {
		d.cand = 0
	}
	if d.current != 0 {
		if k != d.current {
			k, power = d.heldInWindow(k, power)
		}
		if k == d.current {
			d.miss = 0
			d.peak = math.Max(d.peak, power)
			d.heldEnd = d.pos
			return 0, false
		}
		d.miss++
		if d.miss < endBlocks {
			return 0, false
		}
		d.last, d.lastPk, d.since = d.current, d.peak, 0
		d.up = Event{Kind: KeyUp, Key: d.current, Start: d.at(d.start), End: d.at(d.heldEnd - d.t.endLag)}
		d.current = 0
	}
	if d.current == 0 && (k == 0 || d.run < startBlocks) {
		if lk, ok := d.longPress(); ok {
			return lk, true
		}
	}
	if k != 0 && d.run >= startBlocks {
		if !d.pure() || !d.keyLike() {
			d.cand, d.run, d.grace = 0, 0, false
			return 0, false
		}
		d.current, d.miss, d.peak = k, 0, power
		d.start, d.heldEnd = d.runStart-d.t.startLead, d.pos
		return k, true
	}
	return 0, false
}

// reject refuses a block; reason and v (the measured value or ratio)
// name the test that refused it where a reader of the code looks.
func reject(_ string, _ float64) (byte, float64) { return 0, 0 }

// halfDFTs are the DFTs of the block's two halves (the previous and the
// current), at the eight frequencies, each referenced to its first sample.
func (d *Detector) halfDFTs() (*[8]complex128, *[8]complex128) {
	return &d.ring[(d.halves+longHalves-2)%longHalves], &d.ring[(d.halves-1)%longHalves]
}

// blockPowers is the block's DFT power at the eight frequencies (its two
// halves joined), also kept in recent for the onset test.
func (d *Detector) blockPowers() *[8]float64 {
	h0, h1 := d.halfDFTs()
	full := &d.recent[d.blocks%onsetBlocks]
	for i := range full {
		x := h0[i] + h1[i]*d.t.shift[i]
		full[i] = real(x)*real(x) + imag(x)*imag(x)
	}
	return full
}

// stillHeld is the cheap test while a press is held: the same two bins
// lead their groups and hold most of the energy. Anything else gets the
// full classification.
func (d *Detector) stillHeld() (byte, float64) {
	r, c := d.tones[0].idx, d.tones[1].idx
	full := d.blockPowers()
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
	if energy == 0 || p/(energy*float64(d.t.blockLen)/2) < lenientShare || full[r] < d.t.minPower || full[c] < d.t.minPower {
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
	tb := d.t
	full := d.blockPowers()
	var best [2]int
	for g := 0; g < 2; g++ {
		b := strongestIn(full, g)
		if full[b] < tb.minPower {
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
	h0, h1 := d.halfDFTs()
	x := [2][2]complex128{{h0[best[0]], h0[best[1]]}, {h1[best[0]], h1[best[1]]}} // [half][group]
	hz0 := tb.offsetHz(x[0][0], x[1][0], best[0])
	hz1 := tb.offsetHz(x[0][1], x[1][1], best[1])
	for h := 0; h < 2; h++ {
		r, c := x[h][0], x[h][1]
		x[h][0] = r - tb.leak(c, best[1], hz1, best[0])
		x[h][1] = c - tb.leak(r, best[0], hz0, best[1])
	}
	var hz [2]float64
	var t [2]tone
	for g := 0; g < 2; g++ {
		a, b := x[0][g], x[1][g]
		pa, pb := cmplx.Abs(a), cmplx.Abs(b)
		if pa == 0 || pb == 0 || pa > pb*sRatio || pb > pa*sRatio {
			return reject("halves", pa/pb)
		}
		hz[g] = tb.offsetHz(a, b, best[g])
		off := hz[g] / freqs[best[g]]
		// Until a press is reported the limit is tighter: a keypad within
		// 1.5% measures within 2%, while most musical notes that pass for
		// keys (G#5 for 852, G5 for 770, G#6 for 1633) sit 2-2.5% off.
		if math.Abs(off) > maxOffset || (d.current == 0 && math.Abs(off) > startOffset) {
			return reject("offset", off)
		}
		f := a + b*tb.shift[best[g]]
		p := real(f)*real(f) + imag(f)*imag(f)
		t[g] = tone{idx: best[g], power: p / tb.dirichlet2(hz[g]), offset: off}
	}
	twist := 10 * math.Log10(t[0].power/t[1].power)
	if twist > normalTwist || -twist > reverseTwist {
		return reject("twist", twist)
	}
	share := (t[0].power + t[1].power) / (energy * float64(tb.blockLen) / 2)
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

// widenRun adds the last good block's frequency errors to the run's range.
func (d *Detector) widenRun() {
	for g := 0; g < 2; g++ {
		d.runLo[g] = math.Min(d.runLo[g], d.tones[g].offset)
		d.runHi[g] = math.Max(d.runHi[g], d.tones[g].offset)
	}
}

// keyLike reports whether a press whose tone is well off its key's
// frequency (the middle of its run's range onsetFree or more) behaves as a
// keypad does: its tones rose from a block before its first good one
// where neither was within onsetDB of its level now, and their measured
// frequency held within onsetSpread over the run. A note that wandered
// into a key's limits was sounding before it got there, and notes move
// (vibrato, other instruments, reverberation) where an oscillator does
// not. Tones nearer their key are not judged: speech over a key spoils
// its first blocks (the run that reports it often starts late) and moves
// its measured frequency.
func (d *Detector) keyLike() bool {
	off := false
	for g := 0; g < 2; g++ {
		if math.Abs(d.runLo[g]+d.runHi[g])/2 >= onsetFree {
			off = true
			if d.runHi[g]-d.runLo[g] > onsetSpread {
				reject("pitch", d.runHi[g]-d.runLo[g])
				return false
			}
		}
	}
	back := int((d.pos-d.runStart)/int64(d.t.halfLen)) + 1 // ends a half before the run
	if !off || back >= onsetBlocks || back >= d.blocks {
		return true
	}
	now, before := &d.recent[d.blocks%onsetBlocks], &d.recent[(d.blocks-back)%onsetBlocks]
	risen := math.Pow(10, -onsetDB/10) // once per candidate press
	for _, i := range [...]int{d.tones[0].idx, d.tones[1].idx} {
		if before[i] > now[i]*risen {
			reject("onset", before[i]/now[i])
			return false
		}
	}
	return true
}

// steady reports whether the last two good blocks saw the same two tones
// at nearly the same frequencies and levels: keypads are steady, voices
// glide. Tones within offsetFree of their key may move twice as far
// (speech over a key moves its measured frequency and level; the voices
// that pass for keys sit further off).
func (d *Detector) steady() bool {
	tol, lvl := steadyOffset, steadyRatio
	if d.nearKey() {
		tol, lvl = 2*steadyOffset, steadyRatio*steadyRatio
	}
	for g := 0; g < 2; g++ {
		a, b := d.prevT[g], d.tones[g]
		if a.idx != b.idx || math.Abs(a.offset-b.offset) > tol {
			return false
		}
		if a.power > b.power*lvl || b.power > a.power*lvl {
			return false
		}
	}
	return true
}

// nearKey reports whether both tones of the last two good blocks were
// within offsetFree of their key's frequencies.
func (d *Detector) nearKey() bool {
	for g := 0; g < 2; g++ {
		if math.Abs(d.prevT[g].offset) > offsetFree || math.Abs(d.tones[g].offset) > offsetFree {
			return false
		}
	}
	return true
}
