package media

import (
	"testing"

	"github.com/ivrd/ivrd/internal/testenv"
	"github.com/pion/rtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func rtpPacket(t testing.TB, h rtp.Header, payload []byte) []byte {
	b, err := (&rtp.Packet{Header: h, Payload: payload}).Marshal()
	require.NoError(t, err)
	return b
}

func TestSplitRTP(t *testing.T) {
	t.Parallel()
	plain := rtpPacket(t, rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: 7, Timestamp: 160, SSRC: 1}, []byte{1, 2, 3})
	withCSRC := rtpPacket(t, rtp.Header{Version: 2, PayloadType: 8, CSRC: []uint32{5, 6}}, []byte{9})
	withExt := rtp.Header{Version: 2, PayloadType: 0}
	require.NoError(t, withExt.SetExtension(1, []byte{0xaa}))
	padded := append(rtpPacket(t, rtp.Header{Version: 2, PayloadType: 0}, []byte{4, 5}), 0, 0, 3)
	padded[0] |= 0x20

	var h rtp.Header
	for _, c := range []struct {
		name    string
		pkt     []byte
		payload []byte
		err     string
	}{
		{"plain", plain, []byte{1, 2, 3}, ""},
		{"CSRCs", withCSRC, []byte{9}, ""},
		{"header extension", rtpPacket(t, withExt, []byte{7, 7}), []byte{7, 7}, ""},
		{"padding", padded, []byte{4, 5}, ""},
		{"short", plain[:11], nil, "shorter than its 12-byte header"},
		{"version 1", append([]byte{0x40}, plain[1:]...), nil, "version is not 2"},
		{"version 0 (STUN-like)", append([]byte{0x00}, plain[1:]...), nil, "version is not 2"},
		{"CSRC count beyond the packet", append([]byte{0x8f}, plain[1:12]...), nil, "size"},
		{"padding longer than payload", append(append([]byte{0xa0}, plain[1:12]...), 1, 9), nil, "padding"},
		{"padding count zero", append(append([]byte{0xa0}, plain[1:12]...), 1, 0), nil, "padding"},
		{"padding flag, no payload", append([]byte{0xa0}, plain[1:12]...), nil, "padding"},
	} {
		got, err := splitRTP(&h, c.pkt)
		if c.err != "" {
			require.Error(t, err, c.name)
			assert.Contains(t, err.Error(), c.err, c.name)
			continue
		}
		require.NoError(t, err, c.name)
		assert.Equal(t, c.payload, got, c.name)
	}
	assert.Equal(t, uint16(7), func() uint16 { _, _ = splitRTP(&h, plain); return h.SequenceNumber }())
}

func TestSplitRTPAllocatesNothing(t *testing.T) {
	pkt := rtpPacket(t, rtp.Header{Version: 2, PayloadType: 0, SSRC: 1}, make([]byte, 160))
	var h rtp.Header
	assert.Zero(t, testenv.AllocsPerRun(100, func() { _, _ = splitRTP(&h, pkt) }))
}

// FuzzSplitRTP: any datagram is either rejected with an error or split
// into a header and a payload lying inside the datagram.
func FuzzSplitRTP(f *testing.F) {
	f.Add(rtpPacket(f, rtp.Header{Version: 2, PayloadType: 0, SSRC: 1}, []byte{1, 2, 3}))
	f.Add(rtpPacket(f, rtp.Header{Version: 2, PayloadType: 101, Marker: true, CSRC: []uint32{1}}, []byte{5, 0x8a, 0, 160}))
	f.Add([]byte{0xb0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xbe, 0xde, 0, 1, 0x10, 0xff, 0, 0, 2})
	f.Fuzz(func(t *testing.T, pkt []byte) {
		var h rtp.Header
		payload, err := splitRTP(&h, pkt)
		if err != nil {
			return
		}
		if h.Version != 2 || len(payload) > len(pkt)-12 {
			t.Fatalf("accepted version %d with payload %d of %d bytes", h.Version, len(payload), len(pkt))
		}
	})
}
