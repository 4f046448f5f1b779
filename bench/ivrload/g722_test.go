package ivrload

import (
	"math"
	"net/netip"
	"strings"
	"testing"

	"github.com/ivrd/ivrd/audio"
)

// power16k is the Goertzel power of f in G.722 frames decoded to 16 kHz.
func power16k(g722 []byte, f float64) float64 {
	var d audio.G722Decoder
	pcm := make([]int16, 2*len(g722))
	d.Decode(pcm, g722)
	k := 2 * math.Cos(2*math.Pi*f/16000)
	var s1, s2 float64
	for _, x := range pcm[len(pcm)/4:] { // past the codec's start-up
		s := float64(x) + k*s1 - s2
		s2, s1 = s1, s
	}
	return s1*s1 + s2*s2 - k*s1*s2
}

// With --codec g722 every call offers G722 alone and sends G.722: the
// key's tone pair survives the codec, the caller audio is a loop of whole
// 160-byte frames, and the offer says G722/8000 at payload type 9.
func TestG722Load(t *testing.T) {
	for r, row := range keypad {
		for c := range row {
			tone := keyTone(row[c], CodecG722)
			if len(tone) != keyFrames*frameBytes {
				t.Fatalf("%c: %d bytes", row[c], len(tone))
			}
			want := power16k(tone, keyRows[r])
			if p := power16k(tone, keyCols[c]); p < want/2 || p > want*2 {
				t.Fatalf("%c: column tone %g, row tone %g", row[c], p, want)
			}
			for _, f := range append(keyRows[:], keyCols[:]...) {
				if f != keyRows[r] && f != keyCols[c] && power16k(tone, f) > want/50 {
					t.Fatalf("%c: %g Hz at %g of the row tone", row[c], f, power16k(tone, f)/want)
				}
			}
		}
	}
	if a := callerAudio("noise", CodecG722); len(a) != 8000 {
		t.Fatalf("caller audio: %d bytes, want one second", len(a))
	}
	o := offer(netip.MustParseAddr("127.0.0.1"), 40002, 101, 1, CodecG722, nil)
	if !strings.Contains(string(o), "m=audio 40002 RTP/AVP 9 101\r\na=rtpmap:9 G722/8000\r\n") {
		t.Fatalf("offer:\n%s", o)
	}
	a, err := parseAnswer(o)
	if err != nil || !a.g722 || a.pcmu {
		t.Fatalf("own offer: %+v %v", a, err)
	}
	cfg := Config{Target: "127.0.0.1:5060", Calls: 1, Rate: 1, Hold: 1, Codec: "G722"}
	if err := cfg.fill(); err != nil || cfg.Codec != CodecG722 {
		t.Fatalf("fill: %v %q", err, cfg.Codec)
	}
	cfg = Config{Target: "127.0.0.1:5060", Calls: 1, Rate: 1, Hold: 1, Codec: "G729"}
	if err := cfg.fill(); err == nil || !strings.Contains(err.Error(), "want pcmu, g722 or opus") {
		t.Fatalf("fill G729: %v", err)
	}
}
