package media

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/audio"
)

// A key pressed on a leg whose telephone-event runs at 48 kHz (beside
// Opus) reaches a leg at 8 kHz with the same length in that leg's units,
// and the other way round: 100 ms is 4800 units on one, 800 on the other.
func TestBridgedKeyKeepsItsLengthAcrossEventClocks(t *testing.T) {
	caller, far, callerPhone, farPhone := bridgePair(t, audio.PCMU, audio.PCMA)
	caller.Update(Params{Remote: callerPhone.addr(), Codec: audio.PCMU, EventPT: 110, EventClock: 48000, Send: true})
	far.Update(Params{Remote: farPhone.addr(), Codec: audio.PCMA, EventPT: 101, Send: true})

	// durations heard by a phone in the event packets of payload type pt.
	durations := func(p *peer, pt uint8) []uint16 {
		var out []uint16
		for _, pkt := range p.packets() {
			if pkt.PayloadType == pt && len(pkt.Payload) >= 4 {
				out = append(out, binary.BigEndian.Uint16(pkt.Payload[2:4]))
			}
		}
		return out
	}
	send := func(from *peer, to *Session, pt uint8, ts uint32, dur uint16) {
		pl := []byte{4, 0x80 | 10, byte(dur >> 8), byte(dur)} // key 4, end
		b, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, SSRC: 77, SequenceNumber: uint16(ts), Timestamp: ts, Marker: true},
			Payload: pl}).Marshal()
		_, err := from.conn.WriteToUDPAddrPort(b, to.LocalAddr())
		require.NoError(t, err)
	}
	send(callerPhone, caller, 110, 1000, 4800)
	require.Eventually(t, func() bool { return len(durations(farPhone, 101)) > 0 }, 5*time.Second, 5*time.Millisecond)
	assert.Equal(t, []uint16{800}, durations(farPhone, 101), "48 kHz units to 8 kHz")

	send(farPhone, far, 101, 2000, 800)
	require.Eventually(t, func() bool { return len(durations(callerPhone, 110)) > 0 }, 5*time.Second, 5*time.Millisecond)
	assert.Equal(t, []uint16{4800}, durations(callerPhone, 110), "8 kHz units to 48 kHz")
}
