//go:build opus

package opus

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ivrd/ivrd/audio"
)

func sine16k(n int, amp float64, freqs ...float64) []int16 {
	out := make([]int16, n)
	for i := range out {
		var v float64
		for _, f := range freqs {
			v += amp * math.Sin(2*math.Pi*f*float64(i)/SampleRate)
		}
		out[i] = int16(v)
	}
	return out
}

// level is the amplitude of frequency f in pcm at 16 kHz (Goertzel).
func level(pcm []int16, f float64) float64 {
	c := 2 * math.Cos(2*math.Pi*f/SampleRate)
	var s1, s2 float64
	for _, x := range pcm {
		s := float64(x) + c*s1 - s2
		s2, s1 = s1, s
	}
	return 2 * math.Sqrt(math.Max(s1*s1+s2*s2-c*s1*s2, 0)) / float64(len(pcm))
}

// roundTrip encodes pcm in 20 ms frames, checks every packet is
// OpusFrameBytes, and decodes them with a decoder of its own.
func roundTrip(t *testing.T, pcm []int16) []int16 {
	t.Helper()
	enc, err := NewEncoder()
	if err != nil {
		t.Fatal(err)
	}
	dec, err := NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	var out []int16
	pkt := make([]byte, audio.OpusFrameBytes)
	for i := 0; i+FrameSamples <= len(pcm); i += FrameSamples {
		if err := enc.Encode(pkt, pcm[i:i+FrameSamples]); err != nil {
			t.Fatalf("frame %d: %v", i/FrameSamples, err)
		}
		got, err := dec.Decode(pkt)
		if err != nil {
			t.Fatalf("frame %d: decode: %v", i/FrameSamples, err)
		}
		if len(got) != FrameSamples {
			t.Fatalf("frame %d decoded to %d samples", i/FrameSamples, len(got))
		}
		out = append(out, got...)
	}
	return out
}

// A wideband caller hears the prompt's 1 kHz and its 5 kHz (above the
// telephone band) at about their level: the coding is wideband, and the
// padded packets decode as libopus's own.
func TestRoundTripKeepsWidebandTones(t *testing.T) {
	out := roundTrip(t, sine16k(SampleRate, 6000, 1000, 5000))
	tail := out[len(out)/2:]
	for _, f := range []float64{1000, 5000} {
		if l := 20 * math.Log10(level(tail, f)/6000); l < -3 || l > 2 {
			t.Errorf("%v Hz came back at %.1f dB", f, l)
		}
	}
	if l := 20 * math.Log10(level(tail, 3000)/6000); l > -25 {
		t.Errorf("3 kHz (not sent) came back at %.1f dB", l)
	}
}

// Whatever the signal (silence, noise at full scale, clipping tones),
// every packet has the one fixed size and decodes.
func TestEveryPacketHasTheFixedSize(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	noise := make([]int16, SampleRate)
	for i := range noise {
		noise[i] = int16(rng.IntN(65536) - 32768)
	}
	roundTrip(t, noise)
	roundTrip(t, make([]int16, SampleRate/5))
	roundTrip(t, sine16k(SampleRate/2, 30000, 300, 3100, 7000))
}

// Silence's constant packet is what a decoder plays as silence.
func TestSilencePacketDecodesToSilence(t *testing.T) {
	dec, err := NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	pkt := make([]byte, audio.OpusFrameBytes)
	for range 5 {
		Silence(pkt)
		pcm, err := dec.Decode(pkt)
		if err != nil || len(pcm) != FrameSamples {
			t.Fatalf("silence decoded to %d samples, %v", len(pcm), err)
		}
		for i, v := range pcm {
			if v > 16 || v < -16 {
				t.Fatalf("silence sample %d is %d", i, v)
			}
		}
	}
}

// A 60 ms packet and a stereo one (what some phones send) decode to 16
// kHz mono.
func TestDecodesLongAndStereoPackets(t *testing.T) {
	dec, err := NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	// Code 3, 3 frames (CBR, no padding) of SILK WB 20 ms stereo
	// (config 9, s=1): each frame a silent SILK frame is not needed,
	// empty frames are valid and conceal.
	pkt := []byte{0x48 | 0x4 | 3, 3}
	pcm, err := dec.Decode(pkt)
	if err != nil {
		t.Fatalf("60 ms stereo packet: %v", err)
	}
	if len(pcm) != 3*FrameSamples {
		t.Errorf("60 ms packet gave %d samples, want %d", len(pcm), 3*FrameSamples)
	}
}

// The per-packet paths a call runs allocate nothing.
func TestEncodeDecodeAllocateNothing(t *testing.T) {
	enc, err := NewEncoder()
	if err != nil {
		t.Fatal(err)
	}
	dec, err := NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	pcm := sine16k(FrameSamples, 5000, 440)
	pkt := make([]byte, audio.OpusFrameBytes)
	if a := testing.AllocsPerRun(50, func() {
		_ = enc.Encode(pkt, pcm)
		_, _ = dec.Decode(pkt)
	}); a != 0 {
		t.Errorf("%v allocations per frame", a)
	}
}

func BenchmarkEncode(b *testing.B) {
	enc, err := NewEncoder()
	if err != nil {
		b.Fatal(err)
	}
	pcm := sine16k(FrameSamples, 5000, 440, 1900)
	pkt := make([]byte, audio.OpusFrameBytes)
	for b.Loop() {
		_ = enc.Encode(pkt, pcm)
	}
}

func BenchmarkDecode(b *testing.B) {
	enc, err := NewEncoder()
	if err != nil {
		b.Fatal(err)
	}
	dec, err := NewDecoder()
	if err != nil {
		b.Fatal(err)
	}
	pkt := make([]byte, audio.OpusFrameBytes)
	_ = enc.Encode(pkt, sine16k(FrameSamples, 5000, 440, 1900))
	for b.Loop() {
		_, _ = dec.Decode(pkt)
	}
}
