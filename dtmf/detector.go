package dtmf

import "math"

// Block length of the Goertzel analysis: 102 samples (12.75 ms) resolve the
// 8 DTMF frequencies while letting a 40 ms tone fill at least two blocks.
const blockLen = 102

var (
	rowFreqs = [4]float64{697, 770, 852, 941}
	colFreqs = [4]float64{1209, 1336, 1477, 1633}
	keypad   = [4][4]byte{
		{'1', '2', '3', 'A'},
		{'4', '5', '6', 'B'},
		{'7', '8', '9', 'C'},
		{'*', '0', '#', 'D'},
	}
	coeffs [8]float64
)

func init() {
	for i, f := range rowFreqs {
		coeffs[i] = 2 * math.Cos(2*math.Pi*f/8000)
	}
	for i, f := range colFreqs {
		coeffs[4+i] = 2 * math.Cos(2*math.Pi*f/8000)
	}
}

// Detection thresholds (see bench/RESULTS.md for what they reach).
const (
	// minTonePower: a tone must be above about -32 dBm0 (Goertzel power of
	// a sine of amplitude A over blockLen samples is (A*blockLen/2)^2).
	minToneAmp   = 550.0
	normalTwist  = 8.5 // dB the column tone may be weaker than the row tone
	reverseTwist = 4.5 // dB the column tone may be stronger
	// The two tones must hold most of the block's energy (talk-off guard).
	minToneShare = 0.6
	// Within a group, the peak must stand this far above the next bin.
	groupMargin = 4.0 // dB
)

// Detector finds DTMF tones in 8 kHz linear audio. It keeps its state
// across frames of any length and allocates nothing.
type Detector struct {
	s1, s2 [8]float64
	energy float64
	n      int

	last    byte // key seen in the previous block (0: none)
	run     int  // consecutive blocks with last
	miss    int  // consecutive blocks without the current key
	current byte // key being held (reported), 0 when idle
}

// NewDetector returns a detector ready for a new stream.
func NewDetector() *Detector { return &Detector{} }

// Frame feeds samples; it returns a key when a new press is recognised.
func (d *Detector) Frame(pcm []int16) (key byte, ok bool) {
	for _, v := range pcm {
		x := float64(v)
		d.energy += x * x
		for i := range d.s1 {
			s := x + coeffs[i]*d.s1[i] - d.s2[i]
			d.s2[i], d.s1[i] = d.s1[i], s
		}
		d.n++
		if d.n == blockLen {
			if k, hit := d.endBlock(); hit {
				key, ok = k, true
			}
		}
	}
	return key, ok
}

// endBlock classifies one block and advances the press state machine.
func (d *Detector) endBlock() (byte, bool) {
	var p [8]float64
	for i := range p {
		p[i] = d.s1[i]*d.s1[i] + d.s2[i]*d.s2[i] - coeffs[i]*d.s1[i]*d.s2[i]
	}
	k := classify(&p, d.energy)
	d.s1, d.s2, d.energy, d.n = [8]float64{}, [8]float64{}, 0, 0

	if k != 0 && k == d.last {
		d.run++
	} else {
		d.run = 1
	}
	d.last = k
	if d.current != 0 {
		if k == d.current {
			d.miss = 0
			return 0, false
		}
		// One missing block (a dropout up to ~10 ms) does not end a press.
		d.miss++
		if d.miss < 2 {
			return 0, false
		}
		d.current = 0
	}
	if k != 0 && d.run >= 2 {
		d.current, d.miss = k, 0
		return k, true
	}
	return 0, false
}

func classify(p *[8]float64, energy float64) byte {
	r, c := peak(p[:4]), peak(p[4:])
	rp, cp := p[r], p[4+c]
	minPower := (minToneAmp * blockLen / 2) * (minToneAmp * blockLen / 2)
	if rp < minPower || cp < minPower {
		return 0
	}
	twist := 10 * math.Log10(rp/cp)
	if twist > normalTwist || -twist > reverseTwist {
		return 0
	}
	if !standsOut(p[:4], r) || !standsOut(p[4:], c) {
		return 0
	}
	// A sine of power P in the block has Goertzel power P*blockLen/2 *
	// blockLen/2... normalised: share = (rp+cp) / (energy*blockLen/2).
	if energy == 0 || (rp+cp)/(energy*blockLen/2) < minToneShare {
		return 0
	}
	return keypad[r][c]
}

func peak(g []float64) int {
	best := 0
	for i := 1; i < len(g); i++ {
		if g[i] > g[best] {
			best = i
		}
	}
	return best
}

func standsOut(g []float64, best int) bool {
	limit := g[best] / math.Pow(10, groupMargin/10)
	for i, v := range g {
		if i != best && v > limit {
			return false
		}
	}
	return true
}
