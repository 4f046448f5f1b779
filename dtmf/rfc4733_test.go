package dtmf

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pkt is one telephone-event packet in a test sequence.
type pkt struct {
	ts       uint32
	marker   bool
	key      byte
	end      bool
	duration uint16
	at       time.Duration
}

func ev(ts uint32, marker bool, key byte, end bool, dur uint16, atMs int) pkt {
	return pkt{ts, marker, key, end, dur, time.Duration(atMs) * time.Millisecond}
}

func feed(t *testing.T, seq []pkt) string {
	t.Helper()
	var d EventDecoder
	var got []byte
	for _, p := range seq {
		d.Tick(p.at)
		k, ok, err := d.Packet(p.ts, p.marker, AppendEvent(nil, p.key, p.end, 10, p.duration), p.at)
		require.NoError(t, err)
		if ok {
			got = append(got, k)
		}
	}
	return string(got)
}

// press is a well-formed event: start, continuations, three end packets.
func press(ts uint32, key byte, atMs int) []pkt {
	return []pkt{
		ev(ts, true, key, false, 160, atMs),
		ev(ts, false, key, false, 320, atMs+20),
		ev(ts, false, key, false, 480, atMs+40),
		ev(ts, false, key, true, 640, atMs+60),
		ev(ts, false, key, true, 640, atMs+60),
		ev(ts, false, key, true, 640, atMs+60),
	}
}

func concat(seqs ...[]pkt) []pkt {
	var out []pkt
	for _, s := range seqs {
		out = append(out, s...)
	}
	return out
}

func TestEventSequences(t *testing.T) {
	t.Parallel()
	p1 := press(1000, '1', 0)
	cases := []struct {
		name string
		seq  []pkt
		want string
	}{
		{"one press, three end packets", p1, "1"},
		{"two presses", concat(press(1000, '1', 0), press(3000, '2', 200)), "12"},
		{"same key twice", concat(press(1000, '5', 0), press(3000, '5', 200)), "55"},
		{"duplicated packets", concat(p1, p1), "1"},
		{"reordered", []pkt{p1[1], p1[0], p1[3], p1[2], p1[4]}, "1"},
		{"lost start", p1[2:], "1"},
		{"only end packets", p1[3:], "1"},
		{"no marker bit", []pkt{ev(1000, false, '7', false, 160, 0), ev(1000, false, '7', true, 320, 20)}, "7"},
		{"zero durations", []pkt{ev(1000, true, '8', false, 0, 0), ev(1000, false, '8', false, 0, 20), ev(1000, false, '8', true, 0, 40)}, "8"},
		{"irregular durations", []pkt{ev(1000, true, '9', false, 400, 0), ev(1000, false, '9', false, 80, 20), ev(1000, false, '9', true, 1200, 40)}, "9"},
		{"lost end closed by the next event", concat(p1[:3], press(5000, '2', 300)), "12"},
		{"new press reusing the timestamp", concat(press(1000, '4', 0), press(1000, '4', 400)), "44"},
		{"late packet of an earlier event", concat(press(1000, '1', 0), press(3000, '2', 200), []pkt{ev(1000, false, '1', false, 480, 260)}), "12"},
		{"long event in segments", []pkt{
			ev(1000, true, '3', false, 65000, 0), ev(1000, false, '3', false, 65535, 20),
			ev(1000+65535, false, '3', false, 400, 40), ev(1000+65535, false, '3', true, 800, 60)}, "3"},
		{"lost end, same key pressed again", concat(p1[:3], press(2000, '1', 300)), "11"},
		{"lost end, same key again within segment reach", concat(press(1000, '5', 0)[:2], press(1000+320+400, '5', 110)), "55"},
		{"lost end, next press reuses the timestamp", concat(p1[:3], press(1000, '1', 300)), "11"},
		{"retransmitted start is not a new press", []pkt{p1[0], p1[1], ev(1000, true, '1', false, 160, 30), p1[2], p1[3]}, "1"},
		{"reused timestamp, end packets straggling", concat(p1, []pkt{ev(1000, false, '1', true, 640, 70)}), "1"},
		{"long event wrapping without segments", []pkt{
			ev(1000, true, '2', false, 65000, 0), ev(1000, false, '2', false, 65535, 20),
			ev(1000, false, '2', false, 65535, 40), ev(1000, false, '2', true, 65535, 60)}, "2"},
		{"16 kHz event clock", []pkt{
			ev(2000, true, '3', false, 320, 0), ev(2000, false, '3', false, 640, 20),
			ev(2000, false, '3', true, 1280, 40), ev(2000, false, '3', true, 1280, 40),
			ev(4600, true, '4', false, 320, 200), ev(4600, false, '4', true, 960, 220)}, "34"},
		{"48 kHz event clock, segments", []pkt{
			ev(48000, true, '6', false, 960, 0), ev(48000, false, '6', false, 24000, 500),
			ev(48000, false, '6', false, 48000, 1000), ev(48000, false, '6', false, 63360, 1320),
			ev(48000+65535, false, '6', false, 1440, 1400), ev(48000+65535, false, '6', true, 6240, 1500),
			ev(48000+65535, false, '6', true, 6240, 1500)}, "6"},
		{"star, pound and A-D", concat(press(1000, '*', 0), press(2000, '#', 100), press(3000, 'A', 200), press(4000, 'D', 300)), "*#AD"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, feed(t, tc.seq))
		})
	}
}

func TestEventReportedOnFirstPacket(t *testing.T) {
	t.Parallel()
	var d EventDecoder
	k, ok, err := d.Packet(100, true, AppendEvent(nil, '6', false, 10, 160), 0)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, byte('6'), k)
}

func TestNonDigitEventsIgnoredAndShortPayloadRejected(t *testing.T) {
	t.Parallel()
	var d EventDecoder
	_, ok, err := d.Packet(100, true, []byte{16, 0, 0, 160}, 0) // flash
	assert.NoError(t, err)
	assert.False(t, ok)
	_, ok, err = d.Packet(100, true, []byte{1, 0}, 0)
	assert.ErrorContains(t, err, "2 bytes")
	assert.False(t, ok)
}

func TestNonDigitEventBetweenDigits(t *testing.T) {
	t.Parallel()
	var d EventDecoder
	var got []byte
	for i, p := range [][]byte{
		AppendEvent(nil, '1', false, 10, 160), AppendEvent(nil, '1', true, 10, 320),
		{16, 0x0a, 0, 160}, {16, 0x8a, 1, 64}, // flash
		{70, 0x0a, 0, 160}, // a tone event
		AppendEvent(nil, '1', false, 10, 160),
	} {
		k, ok, err := d.Packet(uint32(1000*(i/2+1)), i%2 == 0, p, time.Duration(i)*100*time.Millisecond)
		require.NoError(t, err)
		if ok {
			got = append(got, k)
		}
	}
	assert.Equal(t, "11", string(got))
}

func TestLostEndTimeoutThenSameTimestampIsNew(t *testing.T) {
	t.Parallel()
	var d EventDecoder
	_, ok, _ := d.Packet(100, true, AppendEvent(nil, '1', false, 10, 160), 0)
	assert.True(t, ok)
	d.Tick(2 * time.Second)
	assert.False(t, d.InEvent(), "closed by the timeout")
	k, ok, _ := d.Packet(100, true, AppendEvent(nil, '1', false, 10, 160), 2100*time.Millisecond)
	assert.True(t, ok, "a start packet reusing the timestamp is a new press")
	assert.Equal(t, byte('1'), k)
}

// FuzzEventDecoder: raw payloads never panic, repeats never make a second
// digit; and a train of well-formed presses mangled by loss, duplication
// and reordering (driven by the fuzzer) still yields one digit per press
// of which any packet arrived.
func FuzzEventDecoder(f *testing.F) {
	f.Add(uint32(100), true, []byte{1, 0x8a, 0, 160}, []byte{0, 1, 2, 3})
	f.Add(uint32(0), false, []byte{200, 0, 255, 255, 9}, []byte{9, 9, 9, 9, 9, 9})
	f.Add(uint32(0xffffff00), true, []byte{11, 0x3f, 0, 0}, []byte{0x55, 0xaa, 0x13})
	f.Fuzz(func(t *testing.T, ts uint32, marker bool, payload []byte, mangle []byte) {
		var d EventDecoder
		for i := 0; i < 3; i++ {
			k, ok, err := d.Packet(ts, marker, payload, time.Duration(len(mangle))*time.Millisecond)
			if (err != nil) != (len(payload) < 4) {
				t.Fatalf("error %v for a %d-byte payload", err, len(payload))
			}
			if ok && (!isDigitKey(k) || i > 0) {
				t.Fatalf("packet repeat %d gave key %q", i, k)
			}
		}
		// Presses 300 ms apart; mangle decides, per packet: drop,
		// duplicate, swap with the next one.
		d = EventDecoder{}
		var want, got []byte
		m := 0
		next := func() byte {
			if len(mangle) == 0 {
				return 0
			}
			b := mangle[m%len(mangle)]
			m++
			return b
		}
		for n := 0; n < 8; n++ {
			key := keys[(int(ts)+n*int(next()|1))&15]
			seq := press(ts+uint32(n)*2400, key, n*300)
			var sent []pkt
			for i := 0; i < len(seq); i++ {
				switch op := next() % 8; {
				case op == 0:
					continue
				case op == 1:
					sent = append(sent, seq[i], seq[i])
				case op == 2 && i+1 < len(seq):
					sent = append(sent, seq[i+1], seq[i])
					i++
				default:
					sent = append(sent, seq[i])
				}
			}
			if len(sent) > 0 {
				want = append(want, key)
			}
			for _, p := range sent {
				d.Tick(p.at)
				k, ok, err := d.Packet(p.ts, p.marker, AppendEvent(nil, p.key, p.end, 10, p.duration), p.at)
				if err != nil {
					t.Fatal(err)
				}
				if ok {
					got = append(got, k)
				}
			}
		}
		if string(got) != string(want) {
			t.Fatalf("heard %q, sent %q", got, want)
		}
	})
}

func isDigitKey(k byte) bool {
	_, ok := EventForKey(k)
	return ok
}

// A call whose audio nobody decodes (RFC 4733 only: no in-band detector,
// so no Tick between packets) still closes a press whose end packets were
// lost: the next packet does it, and a sender that reuses the timestamp
// for its next press, without a marker, is heard.
func TestLostEndClosedByTheNextPacketWithoutTicks(t *testing.T) {
	t.Parallel()
	var d EventDecoder
	k, ok, _ := d.Packet(100, true, AppendEvent(nil, '1', false, 10, 160), 0)
	require.True(t, ok)
	require.Equal(t, byte('1'), k)
	_, ok, _ = d.Packet(100, false, AppendEvent(nil, '1', false, 10, 320), 20*time.Millisecond)
	require.False(t, ok, "the same press")
	k, ok, _ = d.Packet(100, false, AppendEvent(nil, '1', false, 10, 160), 1500*time.Millisecond)
	assert.True(t, ok, "1.5 s later, a shorter duration on the same timestamp is the next press")
	assert.Equal(t, byte('1'), k)
	assert.True(t, d.InEvent())
}
