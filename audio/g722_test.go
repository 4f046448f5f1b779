package audio

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// sine16k is a tone at 16 kHz of the given peak amplitude.
func sine16k(freq, amp float64, n int) []int16 {
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(amp * math.Sin(2*math.Pi*freq*float64(i)/G722SampleRate))
	}
	return out
}

// speechLike is a voiced-speech stand-in at 16 kHz: a 120-200 Hz gliding
// pitch with harmonics up to 7 kHz falling off at 9 dB per octave (voiced
// speech's spectral tilt lies between 6 and 12), under
// a syllable-rate envelope, plus a little breath noise.
func speechLike(n int) []int16 {
	rng := rand.New(rand.NewPCG(1, 2))
	out := make([]int16, n)
	phase := 0.0
	for i := range out {
		t := float64(i) / G722SampleRate
		f0 := 160 + 40*math.Sin(2*math.Pi*1.3*t)
		phase += 2 * math.Pi * f0 / G722SampleRate
		v := 0.0
		for h := 1; float64(h)*f0 < 7000; h++ {
			v += math.Sin(float64(h)*phase) / math.Pow(float64(h), 1.5)
		}
		env := 0.55 + 0.45*math.Sin(2*math.Pi*4*t)
		out[i] = int16(6000*env*v + 100*rng.NormFloat64())
	}
	return out
}

func g722RoundTrip(pcm []int16) []int16 {
	var e G722Encoder
	var d G722Decoder
	code := make([]byte, len(pcm)/2)
	e.Encode(code, pcm)
	out := make([]int16, len(pcm))
	d.Decode(out, code)
	return out
}

// snrAligned is the signal-to-noise ratio in dB of out against in, at the
// codec's delay (the two QMFs delay the signal by some samples: the best
// alignment within 64 is taken), skipping the first 50 ms while the
// adaptive quantizers settle.
func snrAligned(in, out []int16) (snr float64, delay int) {
	skip := G722SampleRate / 20
	best := math.Inf(-1)
	for dl := 0; dl < 64; dl++ {
		var sig, noise float64
		for i := skip; i+dl < len(out); i++ {
			s := float64(in[i])
			e := float64(out[i+dl]) - s
			sig += s * s
			noise += e * e
		}
		if v := 10 * math.Log10(sig/noise); v > best {
			best, delay = v, dl
		}
	}
	return best, delay
}

// G.722 at 64 kbit/s keeps tones within its 50-7000 Hz band and speech
// well above what a listener would call clean (G.711 gives ~35 dB).
func TestG722RoundTripSNR(t *testing.T) {
	cases := []struct {
		name string
		pcm  []int16
		min  float64
	}{
		{"300 Hz", sine16k(300, 10000, G722SampleRate), 40},
		{"1 kHz", sine16k(1000, 10000, G722SampleRate), 35},
		{"3.4 kHz", sine16k(3400, 10000, G722SampleRate), 28},
		{"6 kHz (above narrowband)", sine16k(6000, 6000, G722SampleRate), 18},
		{"1 kHz quiet", sine16k(1000, 300, G722SampleRate), 25},
		{"speech-like", speechLike(2 * G722SampleRate), 20},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			snr, delay := snrAligned(tc.pcm, g722RoundTrip(tc.pcm))
			t.Logf("SNR %.1f dB at a delay of %d samples", snr, delay)
			require.Greater(t, snr, tc.min)
		})
	}
}

// Silence in stays (nearly) silence out: no idle noise, no DC.
func TestG722SilenceStaysQuiet(t *testing.T) {
	out := g722RoundTrip(make([]int16, G722SampleRate))
	for i, s := range out {
		require.LessOrEqual(t, abs16(s), int16(8), "sample %d", i)
	}
}

func abs16(s int16) int16 {
	if s < 0 {
		return -s
	}
	return s
}

// The encoder and decoder carry their state across calls: a stream
// coded 20 ms at a time is byte for byte the stream coded at once, and a
// coder that forgot its state between frames would not be.
func TestG722StateCarriesAcrossFrames(t *testing.T) {
	pcm := speechLike(G722SampleRate)
	var whole G722Encoder
	want := make([]byte, len(pcm)/2)
	whole.Encode(want, pcm)

	var framed G722Encoder
	got := make([]byte, 0, len(want))
	frame := make([]byte, G722FrameBytes)
	for off := 0; off < len(pcm); off += G722FrameSamples {
		n := framed.Encode(frame, pcm[off:off+G722FrameSamples])
		require.Equal(t, G722FrameBytes, n)
		got = append(got, frame[:n]...)
	}
	require.Equal(t, want, got)

	var dWhole, dFramed G722Decoder
	wantPCM := make([]int16, len(pcm))
	dWhole.Decode(wantPCM, want)
	gotPCM := make([]int16, 0, len(pcm))
	buf := make([]int16, G722FrameSamples)
	for off := 0; off < len(want); off += G722FrameBytes {
		n := dFramed.Decode(buf, want[off:off+G722FrameBytes])
		require.Equal(t, G722FrameSamples, n)
		gotPCM = append(gotPCM, buf[:n]...)
	}
	require.Equal(t, wantPCM, gotPCM)

	// A decoder reset in the middle loses the adaptation: its output
	// differs, which is what the state is for.
	var fresh G722Decoder
	restarted := make([]int16, G722FrameSamples)
	fresh.Decode(restarted, want[10*G722FrameBytes:11*G722FrameBytes])
	require.NotEqual(t, wantPCM[10*G722FrameSamples:11*G722FrameSamples], restarted)

	// Reset gives a new stream: the same input codes the same again.
	framed.Reset()
	again := make([]byte, len(want))
	framed.Encode(again, pcm)
	require.Equal(t, want, again)
}

func TestG722Lengths(t *testing.T) {
	var e G722Encoder
	require.Equal(t, 2, e.Encode(make([]byte, 10), make([]int16, 5)), "an odd last sample is left")
	require.Equal(t, 3, e.Encode(make([]byte, 3), make([]int16, 20)), "dst bounds the output")
	var d G722Decoder
	require.Equal(t, 8, d.Decode(make([]int16, 9), make([]byte, 10)), "dst bounds the output, in pairs")
	require.Equal(t, 0, d.Decode(make([]int16, 4), nil))
}

func BenchmarkG722Encode20ms(b *testing.B) {
	pcm := speechLike(G722FrameSamples)
	var e G722Encoder
	dst := make([]byte, G722FrameBytes)
	b.ReportAllocs()
	b.SetBytes(G722FrameSamples * 2)
	for b.Loop() {
		e.Encode(dst, pcm)
	}
}

func BenchmarkG722Decode20ms(b *testing.B) {
	pcm := speechLike(G722FrameSamples)
	var e G722Encoder
	code := make([]byte, G722FrameBytes)
	e.Encode(code, pcm)
	var d G722Decoder
	dst := make([]int16, G722FrameSamples)
	b.ReportAllocs()
	b.SetBytes(G722FrameBytes)
	for b.Loop() {
		d.Decode(dst, code)
	}
}

func TestG722NoAllocations(t *testing.T) {
	pcm := speechLike(G722FrameSamples)
	var e G722Encoder
	var d G722Decoder
	code := make([]byte, G722FrameBytes)
	out := make([]int16, G722FrameSamples)
	allocs := testing.AllocsPerRun(100, func() {
		e.Encode(code, pcm)
		d.Decode(out, code)
		e.EncodeNarrow(code, pcm[:G722FrameBytes])
		d.DecodeNarrow(out, code)
	})
	require.Zero(t, allocs)
}

// toneAt measures a tone at f in pcm (rate Hz), skipping the first 50
// ms: its amplitude, and the share of the signal's power it holds.
func toneAt(pcm []int16, rate int, f float64) (amp, purity float64) {
	pcm = pcm[rate/20:]
	var c, s, total float64
	for i, v := range pcm {
		w := 2 * math.Pi * f * float64(i) / float64(rate)
		c += float64(v) * math.Cos(w)
		s += float64(v) * math.Sin(w)
		total += float64(v) * float64(v)
	}
	n := float64(len(pcm))
	amp = 2 * math.Hypot(c, s) / n
	return amp, (amp * amp / 2) / (total / n)
}

// The narrow paths meet G.711's world: a wideband caller's audio read at
// 8 kHz (for digits, or a G.711 leg) and 8 kHz audio sent as G.722 to a
// wideband decoder keep a tone's frequency and level (the lower sub-band
// lags the 16 kHz signal by a fraction of a sample, so a sample-by-sample
// SNR would measure that lag, not the audio).
func TestG722NarrowPaths(t *testing.T) {
	for _, f := range []float64{697, 941, 1209, 1633, 3000} {
		tone16 := sine16k(f, 8000, G722SampleRate)
		var e G722Encoder
		code := make([]byte, len(tone16)/2)
		e.Encode(code, tone16)
		var d G722Decoder
		got8 := make([]int16, len(code))
		require.Equal(t, len(code), d.DecodeNarrow(got8, code))
		amp, purity := toneAt(got8, SampleRate, f)
		t.Logf("%v Hz at 16 kHz read at 8 kHz: amplitude %.0f of 8000, purity %.4f", f, amp, purity)
		require.InDelta(t, 8000, amp, 8000*0.11, "%v Hz read narrow: level within 1 dB", f)
		require.Greater(t, purity, 0.99, "%v Hz read narrow", f)

		tone8 := Resample(tone16, G722SampleRate, SampleRate)
		var en G722Encoder
		code = make([]byte, len(tone8))
		require.Equal(t, len(tone8), en.EncodeNarrow(code, tone8))
		var dw G722Decoder
		got16 := make([]int16, 2*len(code))
		dw.Decode(got16, code)
		amp, purity = toneAt(got16, G722SampleRate, f)
		t.Logf("%v Hz at 8 kHz sent narrow, decoded at 16 kHz: amplitude %.0f, purity %.4f", f, amp, purity)
		require.InDelta(t, 8000, amp, 8000*0.11, "%v Hz sent narrow: level within 1 dB", f)
		require.Greater(t, purity, 0.99, "%v Hz sent narrow", f)
	}
}

// G722's silence byte decodes to silence after speech, once the
// predictor has let go of it (within 50 ms).
func TestG722SilenceByte(t *testing.T) {
	var d G722Decoder
	var e G722Encoder
	speech := speechLike(G722SampleRate / 2)
	code := make([]byte, len(speech)/2)
	e.Encode(code, speech)
	d.Decode(make([]int16, len(speech)), code)
	quiet := make([]byte, G722FrameBytes*10)
	for i := range quiet {
		quiet[i] = G722.SilenceByte()
	}
	out := make([]int16, 2*len(quiet))
	d.Decode(out, quiet)
	for i, s := range out[len(out)/2:] {
		require.LessOrEqual(t, abs16(s), int16(40), "sample %d: silence should be below -58 dBFS", i)
	}
}

// The receive path of a G.722 call that is not bridged: 20 ms read at
// 8 kHz for the digit detector.
func BenchmarkG722DecodeNarrow20ms(b *testing.B) {
	pcm := speechLike(G722FrameSamples)
	var e G722Encoder
	code := make([]byte, G722FrameBytes)
	e.Encode(code, pcm)
	var d G722Decoder
	dst := make([]int16, G722FrameBytes)
	b.ReportAllocs()
	for b.Loop() {
		d.DecodeNarrow(dst, code)
	}
}

// A decoder read narrow and then in full (a bridge to a wideband leg
// began) plays what a decoder that decoded everything plays: its state
// was kept exact, so there is no transient.
func TestG722NarrowThenWideSettles(t *testing.T) {
	pcm := sine16k(1000, 6000, G722SampleRate)
	for i, v := range sine16k(5000, 6000, len(pcm)) {
		pcm[i] += v
	}
	var e G722Encoder
	code := make([]byte, len(pcm)/2)
	e.Encode(code, pcm)
	var full, switched G722Decoder
	want := make([]int16, len(pcm))
	full.Decode(want, code)
	half := len(code) / 2
	switched.DecodeNarrow(make([]int16, half), code[:half])
	got := make([]int16, len(pcm)-2*half)
	switched.Decode(got, code[half:])
	worst := 0
	for i := range got {
		worst = max(worst, int(abs16(got[i]-want[2*half+i])))
	}
	require.Zero(t, worst, "the switched decoder plays exactly what the full one does")
}
