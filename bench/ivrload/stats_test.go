package ivrload

import (
	"math"
	"testing"
	"time"

	"github.com/zaf/g711"
)

func pkt(seq uint16, ssrc uint32) []byte {
	b := make([]byte, 12+160)
	putRTP(b, false, 0, seq, uint32(seq)*160, ssrc)
	return b
}

func TestStreamLossAndIntervals(t *testing.T) {
	all := window{0, 1<<63 - 1}
	var s stream
	var h histogram
	at := int64(1e18)
	const ms = int64(time.Millisecond)
	// 65530..65535, 0..9 (a wrap), with 3 missing and one late and a
	// duplicate.
	seqs := []uint16{65530, 65531, 65532, 65534, 65535, 0, 1, 2, 2, 5, 4, 6, 7, 8, 9}
	for i, q := range seqs {
		s.packet(pkt(q, 1), at+int64(i)*20*ms, &all, &h)
	}
	// range 65530..65545 = 16 packets, 15 received (one duplicate):
	// 65533 and 3 lost, the duplicate hides one of them.
	if s.received != 15 || s.lost() != 1 {
		t.Fatalf("received %d lost %d", s.received, s.lost())
	}
	if h.n == 0 || h.quantile(0.5) > 10*time.Microsecond {
		t.Fatalf("intervals %d p50 %v", h.n, h.quantile(0.5))
	}
	if s.maxGap != 20*ms {
		t.Fatalf("max gap %d", s.maxGap)
	}
	// A new source: counted apart, its start noted.
	s.packet(pkt(1000, 2), at+400*ms, &all, &h)
	s.packet(pkt(1002, 2), at+440*ms, &all, &h)
	if s.newSSRCAt != at+400*ms || s.lost() != 2 {
		t.Fatalf("new SSRC at %d, lost %d", s.newSSRCAt, s.lost())
	}
}

func TestStreamWindow(t *testing.T) {
	const ms = int64(time.Millisecond)
	w := window{from: 100 * ms, to: 200 * ms}
	var s stream
	var h histogram
	for i := int64(0); i < 15; i++ {
		if i == 7 {
			continue // lost inside the window
		}
		s.packet(pkt(uint16(i), 1), i*20*ms, &w, &h)
	}
	// in the window: 100..180 ms = seq 5..9, 7 lost
	if s.received != 4 || s.lost() != 1 {
		t.Fatalf("received %d lost %d", s.received, s.lost())
	}
}

func TestHistogramQuantiles(t *testing.T) {
	var h histogram
	for i := 1; i <= 1000; i++ {
		h.add(int64(i) * int64(time.Microsecond))
	}
	h.add(int64(time.Second))
	if q := h.quantile(0.5); q < 490*time.Microsecond || q > 510*time.Microsecond {
		t.Fatalf("p50 %v", q)
	}
	if q := h.quantile(1); q != time.Second {
		t.Fatalf("max %v", q)
	}
}

// TestStreamIgnoresRTCP: a sender report landing on an RTP socket is not
// a new source and costs no loss.
func TestStreamIgnoresRTCP(t *testing.T) {
	all := window{0, 1<<63 - 1}
	var s stream
	var h histogram
	s.packet(pkt(10, 1), 1e9, &all, &h)
	sr := []byte{0x80, 200, 0, 6, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	s.packet(sr, 1e9+1e7, &all, &h)
	s.packet(pkt(11, 1), 1e9+2e7, &all, &h)
	if s.rtcp != 1 || s.newSSRCAt != 0 || s.lost() != 0 || s.received != 2 {
		t.Fatalf("rtcp %d newSSRC %d lost %d received %d", s.rtcp, s.newSSRCAt, s.lost(), s.received)
	}
}

// power is the Goertzel power of f in µ-law audio.
func power(ulaw []byte, f float64) float64 {
	k := 2 * math.Cos(2*math.Pi*f/8000)
	var s1, s2 float64
	for _, b := range ulaw {
		s := float64(g711.DecodeUlawFrame(b)) + k*s1 - s2
		s2, s1 = s1, s
	}
	return s1*s1 + s2*s2 - k*s1*s2
}

// TestKeyToneIsTheKeysPair: each key's tone holds its row and column
// frequencies, far above every other keypad frequency.
func TestKeyToneIsTheKeysPair(t *testing.T) {
	for r, row := range keypad {
		for c := range row {
			tone := keyTone(row[c], CodecPCMU)
			want := power(tone, keyRows[r])
			if p := power(tone, keyCols[c]); p < want/2 || p > want*2 {
				t.Fatalf("%c: column tone %g, row tone %g", row[c], p, want)
			}
			for _, f := range append(keyRows[:], keyCols[:]...) {
				if f != keyRows[r] && f != keyCols[c] && power(tone, f) > want/100 {
					t.Fatalf("%c: %g Hz at %g of the row tone", row[c], f, power(tone, f)/want)
				}
			}
		}
	}
}
