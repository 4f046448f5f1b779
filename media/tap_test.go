package media

import (
	"net/netip"
	"sync"
	"testing"

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/internal/testenv"
	"github.com/pion/rtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countingTap keeps the first sample of every frame it sees.
type countingTap struct {
	mu       sync.Mutex
	in, out  []int16
	inFrames int
}

func (c *countingTap) Inbound(pcm []int16) {
	c.mu.Lock()
	c.in = append(c.in, pcm[0])
	c.inFrames++
	c.mu.Unlock()
}

func (c *countingTap) Outbound(pcm []int16) {
	c.mu.Lock()
	c.out = append(c.out, pcm[0])
	c.mu.Unlock()
}

// constFeed gives n frames of v.
type constFeed struct {
	v int16
	n int
}

func (f *constFeed) NextFrame(pcm []int16) bool {
	if f.n == 0 {
		return false
	}
	f.n--
	for i := range pcm {
		pcm[i] = f.v
	}
	return true
}

// A tap sees what the peer sends and what the session sends; a feed's
// frames go out when no prompt plays, encoded in the call's codec, and
// silence follows when it runs dry.
func TestTapSeesBothWaysAndFeedPlays(t *testing.T) {
	e := testEngine(t, 2)
	p := newPeer(t)
	s, err := e.NewSession()
	require.NoError(t, err)
	defer s.Close()
	tap := &countingTap{}
	s.AddTap(tap)
	s.FeedFrom(&constFeed{v: 4000, n: 5})
	s.Start(Params{Remote: p.addr(), Codec: audio.PCMU, Send: true})
	want := audio.EncodeSample(4000, audio.PCMU)
	eventually(t, "the fed frames and silence after them", func() bool {
		fed, after := 0, false
		for _, pkt := range p.packets() {
			if pkt.Payload[0] == want {
				fed++
			} else if fed > 0 {
				after = true
			}
		}
		return fed == 5 && after
	})
	tap.mu.Lock()
	saw := 0
	for _, v := range tap.out {
		if v == audio.DecodeSample(want, audio.PCMU) {
			saw++
		}
	}
	tap.mu.Unlock()
	assert.Equal(t, 5, saw, "the tap saw the fed frames as sent")

	// From the peer: a frame of 1000 reaches the tap decoded.
	pkt, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SSRC: 9, SequenceNumber: 1},
		Payload: fill(160, audio.EncodeSample(1000, audio.PCMU))}).Marshal()
	_, err = p.conn.WriteToUDPAddrPort(pkt, s.LocalAddr())
	require.NoError(t, err)
	eventually(t, "the peer's frame at the tap", func() bool {
		tap.mu.Lock()
		defer tap.mu.Unlock()
		return tap.inFrames == 1 && tap.in[0] == audio.DecodeSample(audio.EncodeSample(1000, audio.PCMU), audio.PCMU)
	})
	s.RemoveTap(tap)
	tap.mu.Lock()
	n := len(tap.out)
	tap.mu.Unlock()
	eventually(t, "more packets sent", func() bool { return len(p.packets()) > n+5 })
	tap.mu.Lock()
	assert.LessOrEqual(t, len(tap.out), n+2, "a removed tap hears at most the frame in flight")
	tap.mu.Unlock()
}

func fill(n int, b byte) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = b
	}
	return out
}

// discardTap drops what it sees.
type discardTap struct{}

func (discardTap) Inbound([]int16)  {}
func (discardTap) Outbound([]int16) {}

// endlessFeed always has a frame.
type endlessFeed struct{}

func (endlessFeed) NextFrame(pcm []int16) bool { pcm[0] = 1; return true }

func TestTappedAndFedSessionAllocatesNothing(t *testing.T) {
	e := testEngine(t, 2)
	p := newPeer(t)
	s, err := e.NewSession()
	require.NoError(t, err)
	defer s.Close()
	s.AddTap(discardTap{})
	s.FeedFrom(endlessFeed{})
	from := netip.MustParseAddrPort("127.0.0.1:4000")
	s.mu.Lock()
	s.params = Params{Remote: p.addr(), Codec: audio.PCMU, Send: true}
	s.latch.reset(Params{Remote: from, Codec: audio.PCMU})
	s.mu.Unlock()
	in, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SSRC: 7}, Payload: make([]byte, 160)}).Marshal()
	var h rtp.Header
	pcm := make([]int16, 1500)
	seq := uint16(0)
	allocs := testenv.AllocsPerRun(300, func() {
		seq++
		in[2], in[3] = byte(seq>>8), byte(seq)
		_ = s.handleRTP(in, from, &h, pcm)
		s.sendFrame(nil)
	})
	assert.Zero(t, allocs)
}
