package audio

import (
	"testing"
)

// FuzzG722Decode feeds the decoder what a peer might send: any bytes are
// G.722 codes, so any payload must decode to two samples a byte, without
// a panic, the same way twice (the state is all in the decoder), and
// leave the decoder usable for the next packet. Seeds in
// testdata/fuzz/FuzzG722Decode.
func FuzzG722Decode(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0x00, 0xFF, 0x3F, 0xC0, 0x40, 0x80})
	loud := make([]byte, G722FrameBytes)
	for i := range loud {
		loud[i] = byte(0x20 + i%2*0x1F) // alternating extreme codes: saturation paths
	}
	f.Add(loud)
	f.Fuzz(func(t *testing.T, payload []byte) {
		var a, b G722Decoder
		outA := make([]int16, 2*len(payload))
		outB := make([]int16, 2*len(payload))
		if n := a.Decode(outA, payload); n != 2*len(payload) {
			t.Fatalf("decoded %d samples from %d bytes", n, len(payload))
		}
		b.Decode(outB, payload)
		for i := range outA {
			if outA[i] != outB[i] {
				t.Fatalf("sample %d differs between two decoders: %d, %d", i, outA[i], outB[i])
			}
		}
		// The state stays within the Recommendation's ranges, so the next
		// packet decodes too.
		for _, band := range []*g722Band{&a.low, &a.high} {
			if band.det < 0 || (len(payload) > 0 && band.det == 0) || band.nb < 0 || band.nb > highNBMax || band.a2 < -12288 || band.a2 > 12288 {
				t.Fatalf("band state out of range: %+v", *band)
			}
		}
		next := make([]int16, G722FrameSamples)
		if n := a.Decode(next, make([]byte, G722FrameBytes)); n != G722FrameSamples {
			t.Fatalf("next frame decoded %d samples", n)
		}
	})
}
