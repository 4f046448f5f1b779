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
		{"star, pound and A-D", concat(press(1000, '*', 0), press(2000, '#', 100), press(3000, 'A', 200), press(4000, 'D', 300)), "*#AD"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, feed(t, tc.seq))
		})
	}
}

func TestEventReportedOnFirstPacket(t *testing.T) {
	var d EventDecoder
	k, ok, err := d.Packet(100, true, AppendEvent(nil, '6', false, 10, 160), 0)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, byte('6'), k)
}

func TestNonDigitEventsIgnoredAndShortPayloadRejected(t *testing.T) {
	var d EventDecoder
	_, ok, err := d.Packet(100, true, []byte{16, 0, 0, 160}, 0) // flash
	assert.NoError(t, err)
	assert.False(t, ok)
	_, ok, err = d.Packet(100, true, []byte{1, 0}, 0)
	assert.ErrorContains(t, err, "2 bytes")
	assert.False(t, ok)
}

func TestLostEndTimeoutThenSameTimestampIsNew(t *testing.T) {
	var d EventDecoder
	_, ok, _ := d.Packet(100, true, AppendEvent(nil, '1', false, 10, 160), 0)
	assert.True(t, ok)
	d.Tick(2 * time.Second)
	assert.False(t, d.InEvent(), "closed by the timeout")
}

func FuzzEventDecoder(f *testing.F) {
	f.Add(uint32(100), true, []byte{1, 0x8a, 0, 160}, int64(0))
	f.Add(uint32(0), false, []byte{200, 0, 255, 255, 9}, int64(5))
	f.Fuzz(func(t *testing.T, ts uint32, marker bool, payload []byte, at int64) {
		var d EventDecoder
		for i := 0; i < 3; i++ {
			k, ok, err := d.Packet(ts, marker, payload, time.Duration(at))
			if err != nil && ok {
				t.Fatal("digit with an error")
			}
			if ok && !isDigitKey(k) {
				t.Fatalf("bad key %q", k)
			}
			if ok && i > 0 {
				t.Fatal("the same packet repeated made a second digit")
			}
		}
	})
}

func isDigitKey(k byte) bool {
	_, ok := EventForKey(k)
	return ok
}
