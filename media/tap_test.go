package media

import (
	"net/netip"
	"testing"

	"github.com/pion/rtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/audio"
)

// A tapped session copies what it sends and receives into the tap's
// ring without allocating, events excepted; a full ring drops new frames
// and counts them rather than wait.
func TestTapCopiesBothWaysWithoutAllocating(t *testing.T) {
	e := testEngine(t, 2)
	p := newPeer(t)
	s, err := e.NewSession()
	require.NoError(t, err)
	defer s.Close()
	from := netip.MustParseAddrPort("127.0.0.1:4000")
	s.mu.Lock()
	s.params = Params{Remote: p.addr(), Codec: audio.PCMU, EventPT: 101, Send: true}
	s.latch.reset(Params{Remote: from, Codec: audio.PCMU, EventPT: 101})
	s.mu.Unlock()
	tap := NewTap(4096)
	s.SetTap(tap)
	payload := make([]byte, 160)
	for i := range payload {
		payload[i] = byte(i)
	}
	voice, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SSRC: 7}, Payload: payload}).Marshal()
	event, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 101, SSRC: 7}, Payload: []byte{5, 10, 1, 0}}).Marshal()
	var h rtp.Header
	pcm := make([]int16, 1500)
	seq := uint16(0)
	allocs := testing.AllocsPerRun(500, func() {
		seq++
		voice[2], voice[3] = byte(seq>>8), byte(seq)
		_ = s.handleRTP(voice, from, &h, pcm)
		_ = s.handleRTP(event, from, &h, pcm)
		s.sendFrame()
	})
	assert.Zero(t, allocs)
	frames := make([]TapFrame, 2000)
	n := tap.Read(frames)
	assert.Equal(t, 1002, n, "each received voice packet and each sent frame, no event")
	var rx, tx int
	for _, f := range frames[:n] {
		switch f.Dir {
		case TapReceived:
			rx++
			assert.Equal(t, payload, f.Payload())
			assert.Equal(t, audio.PCMU, f.Codec)
		case TapSent:
			tx++
			assert.Len(t, f.Payload(), 160)
		}
	}
	assert.Equal(t, 501, rx)
	assert.Equal(t, 501, tx)

	small := NewTap(2)
	s.SetTap(small)
	s.sendFrame()
	s.sendFrame()
	s.sendFrame()
	assert.Equal(t, uint64(1), small.Dropped(), "the third frame had no room")
	assert.Equal(t, 2, small.Read(frames))
	s.SetTap(nil)
	s.sendFrame()
	assert.Equal(t, 0, small.Read(frames), "detached")
}
