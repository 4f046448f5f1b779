package audio

// G.722 (ITU-T G.722, 64 kbit/s mode): 7 kHz audio at 16 kHz split by a
// quadrature mirror filter (QMF) into a lower and a higher sub-band, each
// sampled at 8 kHz and coded by adaptive differential PCM (SB-ADPCM): six
// bits a sample for the lower band, two for the higher, so one byte carries
// two 16 kHz samples. The arithmetic follows the Recommendation's blocks
// (SUBTRA, QUANTL/QUANTH, INVQAL/INVQAH, LOGSCL/LOGSCH, SCALEL/SCALEH and
// block 4's predictor update) bit for bit: the ITU test sequences in
// testdata/g722 check it.

// G722SampleRate is the audio rate G.722 carries: 16 kHz, while its RTP
// clock runs at 8 kHz (RFC 3551's historical quirk, kept by every stack).
const G722SampleRate = 16000

// G722FrameSamples is one 20 ms frame at 16 kHz; it encodes to
// G722FrameBytes bytes (one byte per two samples).
const (
	G722FrameSamples = 320
	G722FrameBytes   = G722FrameSamples / 2
)

// Lower sub-band quantizer decision levels (QUANTL, Table 6/G.722) for
// mil = 1..29, in units of det/4096.
var g722Q6 = [31]int32{0, 35, 72, 110, 150, 190, 233, 276, 323, 370, 422, 473, 530, 587, 650, 714,
	786, 858, 940, 1023, 1121, 1219, 1339, 1458, 1612, 1765, 1980, 2195, 2557, 2919, 0}

// The 6-bit lower sub-band code for interval mil, for a negative and a
// non-negative difference signal.
var (
	g722ILNeg = [31]int32{0, 63, 62, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19,
		18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4}
	g722ILPos = [31]int32{0, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47,
		46, 45, 44, 43, 42, 41, 40, 39, 38, 37, 36, 35, 34, 33, 32}
)

// Inverse quantizer outputs: QM4 for the 4-bit code that drives the lower
// band's adaptation (INVQAL), QM6 for the full 6-bit code the decoder
// reconstructs with at 64 kbit/s (INVQBL), QM2 for the higher band.
var (
	g722QM4 = [16]int32{0, -20456, -12896, -8968, -6288, -4240, -2584, -1200,
		20456, 12896, 8968, 6288, 4240, 2584, 1200, 0}
	g722QM6 = [64]int32{-136, -136, -136, -136, -24808, -21904, -19008, -16704,
		-14984, -13512, -12280, -11192, -10232, -9360, -8576, -7856,
		-7192, -6576, -6000, -5456, -4944, -4464, -4008, -3576,
		-3168, -2776, -2400, -2032, -1688, -1360, -1040, -728,
		24808, 21904, 19008, 16704, 14984, 13512, 12280, 11192,
		10232, 9360, 8576, 7856, 7192, 6576, 6000, 5456,
		4944, 4464, 4008, 3576, 3168, 2776, 2400, 2032,
		1688, 1360, 1040, 728, 432, 136, -432, -136}
	g722QM2 = [4]int32{-7408, -1616, 7408, 1616}
)

// Log scale factor multipliers (LOGSCL: WL indexed through RL42 by the
// 4-bit code; LOGSCH: WH through RH2) and the scale factor table ILB
// (SCALEL/SCALEH: 2^(i/32) in 11-bit fixed point).
var (
	g722WL   = [8]int32{-60, -30, 58, 172, 334, 538, 1198, 3042}
	g722RL42 = [16]int32{0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0}
	g722WH   = [3]int32{0, -214, 798}
	g722RH2  = [4]int32{2, 1, 2, 1}
	g722ILB  = [32]int32{2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599,
		2656, 2714, 2774, 2834, 2896, 2960, 3025, 3091, 3158, 3228, 3298, 3371,
		3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008}
	// The 2-bit higher sub-band code for interval mih (1: inner, 2: outer).
	g722IHNeg = [3]int32{0, 1, 0}
	g722IHPos = [3]int32{0, 3, 2}
)

// g722QMF is half of the 24-tap QMF (h0, h2, ..., h22); the odd taps are
// the same values in reverse order (h1 = h22, ..., h23 = h0).
var g722QMF = [12]int32{3, -11, 12, 32, -210, 951, 3876, -805, 362, -156, 53, -11}

// Scale factor limits: the log scale factor's range (LOGSCL, LOGSCH) and
// the shift base of SCALEL/SCALEH.
const (
	lowNBMax   = 18432
	highNBMax  = 22528
	lowShift   = 8
	highShift  = 10
	bandLimHi  = 16383 // LIMIT (block 6): reconstructed band signals are 15-bit
	bandLimLo  = -16384
	qmfHistory = 24
)

func sat16(v int32) int32 {
	if v > 32767 {
		return 32767
	}
	if v < -32768 {
		return -32768
	}
	return v
}

// g722Band is one sub-band's adaptive state: the quantizer scale factor
// and the pole-zero predictor (two poles, six zeros) both ends keep in
// step.
type g722Band struct {
	det    int32 // quantizer scale factor (0: not started yet)
	nb     int32 // its logarithm
	s      int32 // predicted signal
	sz     int32 // the zero section's share of it
	r1, r2 int32 // reconstructed signal, one and two samples back
	p1, p2 int32 // partially reconstructed signal (sz + d), likewise
	a1, a2 int32 // pole coefficients
	b      [6]int32
	dq     [6]int32 // quantized difference signal, 1..6 samples back
}

func (b *g722Band) start(det int32) {
	if b.det == 0 {
		*b = g722Band{det: det}
	}
}

// scale turns the log scale factor into det (SCALEL, SCALEH).
func (b *g722Band) scale(shiftBase int32) {
	mant := g722ILB[(b.nb>>6)&31]
	if sh := shiftBase - (b.nb >> 11); sh < 0 {
		mant <<= -sh
	} else {
		mant >>= sh
	}
	b.det = mant << 2
}

// logScale adapts the log scale factor with multiplier w (LOGSCL, LOGSCH):
// a leak of 127/128 towards zero plus w, held in [0, limit].
func (b *g722Band) logScale(w, limit int32) {
	b.nb = min(max(((b.nb*127)>>7)+w, 0), limit)
}

// adapt is block 4: with the quantized difference d, reconstruct the
// signal, update the predictor's coefficients (UPPOL2, UPPOL1, UPZERO),
// shift its delay lines and predict the next sample (FILTEP, FILTEZ,
// PREDIC).
func (b *g722Band) adapt(d int32) {
	r0 := sat16(b.s + d)
	p0 := sat16(b.sz + d)
	sg0, sg1, sg2 := p0>>15, b.p1>>15, b.p2>>15

	// UPPOL2: the second pole, leaking at 127/128 and nudged by the signs
	// of the partial reconstruction, limited to ±0.375.
	wa := sat16(b.a1 << 2)
	if sg0 == sg1 {
		wa = -wa
	}
	wa = min(wa, 32767)
	a2 := wa >> 7
	if sg0 == sg2 {
		a2 += 128
	} else {
		a2 -= 128
	}
	a2 += (b.a2 * 32512) >> 15
	a2 = min(max(a2, -12288), 12288)

	// UPPOL1: the first pole, limited so the predictor stays stable.
	a1 := (b.a1 * 32640) >> 15
	if sg0 == sg1 {
		a1 += 192
	} else {
		a1 -= 192
	}
	a1 = sat16(a1)
	lim := sat16(15360 - a2)
	a1 = min(max(a1, -lim), lim)

	// UPZERO: each zero moves towards agreeing in sign with d.
	var step int32
	if d != 0 {
		step = 128
	}
	sgd := d >> 15
	for i := range b.b {
		delta := step
		if b.dq[i]>>15 != sgd {
			delta = -step
		}
		b.b[i] = sat16(delta + (b.b[i]*32640)>>15)
	}

	// DELAYA
	copy(b.dq[1:], b.dq[:5])
	b.dq[0] = d
	b.r2, b.r1 = b.r1, r0
	b.p2, b.p1 = b.p1, p0
	b.a1, b.a2 = a1, a2

	// FILTEP, FILTEZ, PREDIC
	sp := sat16((b.a1*sat16(b.r1+b.r1))>>15 + (b.a2*sat16(b.r2+b.r2))>>15)
	var sz int32
	for i, bi := range b.b {
		sz += (bi * sat16(b.dq[i]+b.dq[i])) >> 15
	}
	b.sz = sat16(sz)
	b.s = sat16(sp + b.sz)
}

// G722Encoder encodes 16 kHz audio to G.722 at 64 kbit/s. It keeps the
// codec's state from one call to the next, so one encoder serves one
// stream, frame after frame. The zero value is ready to use.
type G722Encoder struct {
	x         [qmfHistory]int32 // transmit QMF input, oldest first
	low, high g722Band
}

// Reset returns the encoder to its initial state (a new stream).
func (e *G722Encoder) Reset() { *e = G722Encoder{} }

// Encode encodes pcm (16 kHz) into dst, one byte per two samples, and
// returns the number of bytes written: min(len(dst), len(pcm)/2). An odd
// last sample is ignored. It allocates nothing.
func (e *G722Encoder) Encode(dst []byte, pcm []int16) int {
	n := min(len(dst), len(pcm)/2)
	x := &e.x
	for k := range n {
		// Transmit QMF: two input samples in, one sample of each band out.
		copy(x[:qmfHistory-2], x[2:])
		x[qmfHistory-2] = int32(pcm[2*k])
		x[qmfHistory-1] = int32(pcm[2*k+1])
		var even, odd int32
		for i, h := range g722QMF {
			even += x[2*i] * h
			odd += x[2*i+1] * g722QMF[11-i]
		}
		dst[k] = e.encodeBands((odd+even)>>14, (odd-even)>>14)
	}
	return n
}

// EncodeNarrow encodes 8 kHz audio, one byte per sample, and returns the
// number of bytes written: min(len(dst), len(pcm)). The samples go
// straight into the lower sub-band (the 0-4 kHz half a QMF would have
// made) and the higher band codes silence, its coder running on so that
// its state stays the far decoder's: the far end hears narrowband audio,
// for the cost of the two ADPCM coders without the QMF.
func (e *G722Encoder) EncodeNarrow(dst []byte, pcm []int16) int {
	n := min(len(dst), len(pcm))
	for k, s := range pcm[:n] {
		dst[k] = e.encodeBands(int32(s)>>1, 0)
	}
	return n
}

// encodeBands codes one sample of each sub-band (15-bit signals) into one
// byte: the higher band's 2 bits over the lower band's 6. The ITU test
// sequences drive it directly, the QMF bypassed.
func (e *G722Encoder) encodeBands(xl, xh int32) byte {
	return e.encodeHigh(xh) | e.encodeLow(xl)
}

// encodeLow codes one lower sub-band sample into the code's low 6 bits.
func (e *G722Encoder) encodeLow(xl int32) byte {
	low := &e.low
	low.start(32)

	// Lower band: SUBTRA, QUANTL (6 bits), INVQAL on its top 4 bits.
	el := sat16(xl - low.s)
	wd := el
	if el < 0 {
		wd = -(el + 1)
	}
	mil := int32(1)
	for ; mil < 30; mil++ {
		if wd < (g722Q6[mil]*low.det)>>12 {
			break
		}
	}
	il := g722ILPos[mil]
	if el < 0 {
		il = g722ILNeg[mil]
	}
	il4 := il >> 2
	dl := (low.det * g722QM4[il4]) >> 15
	low.logScale(g722WL[g722RL42[il4]], lowNBMax)
	low.scale(lowShift)
	low.adapt(dl)
	return byte(il)
}

// encodeHigh codes one higher sub-band sample into the code's top 2
// bits.
func (e *G722Encoder) encodeHigh(xh int32) byte {
	high := &e.high
	high.start(8)

	// Higher band: SUBTRA, QUANTH (2 bits), INVQAH.
	eh := sat16(xh - high.s)
	wd := eh
	if eh < 0 {
		wd = -(eh + 1)
	}
	mih := 1
	if wd >= (564*high.det)>>12 {
		mih = 2
	}
	ih := g722IHPos[mih]
	if eh < 0 {
		ih = g722IHNeg[mih]
	}
	dh := (high.det * g722QM2[ih]) >> 15
	high.logScale(g722WH[g722RH2[ih]], highNBMax)
	high.scale(highShift)
	high.adapt(dh)
	return byte(ih << 6)
}

// G722Decoder decodes G.722 at 64 kbit/s to 16 kHz audio, keeping the
// codec's state from one call to the next (one decoder per stream). The
// zero value is ready to use.
type G722Decoder struct {
	x         [qmfHistory]int32 // receive QMF input, oldest first
	low, high g722Band
}

// Reset returns the decoder to its initial state (a new stream).
func (d *G722Decoder) Reset() { *d = G722Decoder{} }

// Decode decodes payload into dst, two 16 kHz samples per byte, and
// returns the number of samples written: 2*min(len(dst)/2, len(payload)).
// Every byte is a valid code, so any payload decodes. It allocates
// nothing.
func (d *G722Decoder) Decode(dst []int16, payload []byte) int {
	n := min(len(dst)/2, len(payload))
	x := &d.x
	for k, code := range payload[:n] {
		rl, rh := d.decodeBands(code)
		// Receive QMF: one sample of each band in, two output samples.
		copy(x[:qmfHistory-2], x[2:])
		x[qmfHistory-2] = rl + rh
		x[qmfHistory-1] = rl - rh
		var even, odd int32
		for i, h := range g722QMF {
			even += x[2*i] * h
			odd += x[2*i+1] * g722QMF[11-i]
		}
		dst[2*k] = int16(sat16(odd >> 11))
		dst[2*k+1] = int16(sat16(even >> 11))
	}
	return 2 * n
}

// DecodeNarrow decodes payload to 8 kHz audio, one sample per byte, and
// returns the number of samples written: min(len(dst), len(payload)). The
// lower sub-band is the QMF's half-band split of the caller's 16 kHz
// audio (0-4 kHz at 8 kHz), so it is what a narrowband consumer (the
// digit detector, a G.711 leg) wants, without the receive QMF's
// filtering. The higher band is still decoded and the QMF's history kept
// (an adaptive decoder that skipped codes would take some 300 ms to fall
// back in step with the encoder), so Decode can follow seamlessly when a
// bridge to a wideband leg begins.
func (d *G722Decoder) DecodeNarrow(dst []int16, payload []byte) int {
	n := min(len(dst), len(payload))
	x := &d.x
	for k, code := range payload[:n] {
		rl, rh := d.decodeBands(code)
		copy(x[:qmfHistory-2], x[2:])
		x[qmfHistory-2] = rl + rh
		x[qmfHistory-1] = rl - rh
		dst[k] = int16(rl << 1) // 15-bit band signal back to 16 bits
	}
	return n
}

// decodeBands reconstructs one sample of each sub-band (15-bit) from one
// code byte (the ITU test sequences drive it directly).
func (d *G722Decoder) decodeBands(code byte) (rl, rh int32) {
	return d.decodeLow(code), d.decodeHigh(code)
}

// decodeLow reconstructs the lower sub-band's sample from a code byte's
// low 6 bits.
func (d *G722Decoder) decodeLow(code byte) (rl int32) {
	low := &d.low
	low.start(32)

	// Lower band: INVQBL with all 6 bits for the output (block 5L,
	// RECONS, LIMIT); the adaptation sees only the top 4 (INVQAL), as
	// the encoder's does.
	il := int32(code & 0x3F)
	rl = min(max(low.s+(low.det*g722QM6[il])>>15, bandLimLo), bandLimHi)
	il4 := il >> 2
	dl := (low.det * g722QM4[il4]) >> 15
	low.logScale(g722WL[g722RL42[il4]], lowNBMax)
	low.scale(lowShift)
	low.adapt(dl)
	return rl
}

// decodeHigh reconstructs the higher sub-band's sample from a code
// byte's top 2 bits.
func (d *G722Decoder) decodeHigh(code byte) (rh int32) {
	high := &d.high
	high.start(8)

	// Higher band: INVQAH, RECONS, LIMIT.
	ih := int32(code >> 6)
	dh := (high.det * g722QM2[ih]) >> 15
	rh = min(max(high.s+dh, bandLimLo), bandLimHi)
	high.logScale(g722WH[g722RH2[ih]], highNBMax)
	high.scale(highShift)
	high.adapt(dh)
	return rh
}
