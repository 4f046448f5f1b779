package media

import (
	"net"
	"net/netip"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/audio"
)

func TestPortsAreHandedOutAtRandom(t *testing.T) {
	t.Parallel()
	e := testEngine(t, 500)
	var ports []int
	for i := 0; i < 10; i++ {
		s, err := e.NewSession()
		require.NoError(t, err)
		defer s.Close()
		ports = append(ports, int(s.LocalAddr().Port()))
	}
	seen := map[int]bool{}
	for _, p := range ports {
		assert.Zero(t, p%2, "even ports only")
		assert.False(t, seen[p], "a port handed out twice")
		seen[p] = true
	}
	// Ten ports from ~270 pairs come out in ascending order once in 10!
	// (3.6 million) draws: in order, the next call's port is a guess away.
	assert.False(t, sort.IntsAreSorted(ports), "ports handed out in order: %v", ports)
}

// phone is a loopback UDP socket at a chosen IP that sends RTP with its
// own sequence and counts what it receives.
type phone struct {
	conn *net.UDPConn
	seq  uint16
	mu   sync.Mutex
	got  int
}

func newPhone(t *testing.T, ip string) *phone {
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr(ip), 0)))
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	p := &phone{conn: c}
	go func() {
		buf := make([]byte, 1500)
		for {
			if _, err := c.Read(buf); err != nil {
				return
			}
			p.mu.Lock()
			p.got++
			p.mu.Unlock()
		}
	}()
	return p
}

func (p *phone) addr() netip.AddrPort { return p.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

func (p *phone) received() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.got
}

// send sends n packets of payload type pt in sequence to dst.
func (p *phone) send(t *testing.T, dst netip.AddrPort, pt uint8, n int) {
	t.Helper()
	payload := make([]byte, 160)
	if pt == 101 {
		payload = []byte{1, 10, 0, 160} // key 1
	}
	for i := 0; i < n; i++ {
		p.seq++
		b, err := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: p.seq, Timestamp: uint32(p.seq) * 160, SSRC: 0xbad}, Payload: payload}).Marshal()
		require.NoError(t, err)
		_, err = p.conn.WriteToUDPAddrPort(b, dst)
		require.NoError(t, err)
	}
}

func (r *recorder) counts() (audio, events int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.audio, r.events
}

// TestStrangerCannotPressKeysOrTakeTheAudio is issue 13's attack: key
// presses and audio from a stranger's socket, before and after the
// caller's first packet.
func TestStrangerCannotPressKeysOrTakeTheAudio(t *testing.T) {
	t.Parallel()
	e := testEngine(t, 2)
	caller, stranger := newPhone(t, "127.0.0.1"), newPhone(t, "127.0.0.2")
	rec := &recorder{}
	s, err := e.NewSession()
	require.NoError(t, err)
	defer s.Close()
	s.SetDigits(rec)
	s.Start(Params{Remote: caller.addr(), Codec: audio.PCMU, EventPT: 101, Send: true})

	stranger.send(t, s.LocalAddr(), 101, 10) // before the caller: a hijack
	stranger.send(t, s.LocalAddr(), 0, 10)
	caller.send(t, s.LocalAddr(), 0, 1)
	eventually(t, "the caller's packet", func() bool { a, _ := rec.counts(); return a == 1 })
	stranger.send(t, s.LocalAddr(), 101, 10) // after: injected keys
	stranger.send(t, s.LocalAddr(), 0, 10)
	caller.send(t, s.LocalAddr(), 101, 1)
	eventually(t, "the caller's key", func() bool { _, ev := rec.counts(); return ev == 1 })
	eventually(t, "strangers counted", func() bool { return s.Stats().Foreign == 40 })

	a, ev := rec.counts()
	assert.Equal(t, 1, a, "only the caller's audio is heard")
	assert.Equal(t, 1, ev, "only the caller's key is pressed")
	assert.Equal(t, uint64(2), s.Stats().Received)
	assert.Equal(t, caller.addr(), s.Remote())
	eventually(t, "audio reaches the caller", func() bool { return caller.received() > 3 })
	assert.Zero(t, stranger.received(), "the stranger gets no audio")
}

// TestCallerBehindNATLatchesFromItsSignallingIP: the SDP gives a private
// address; the caller's packets come from the IP its SIP came from.
func TestCallerBehindNATLatchesFromItsSignallingIP(t *testing.T) {
	t.Parallel()
	e := testEngine(t, 2)
	caller, stranger := newPhone(t, "127.0.0.1"), newPhone(t, "127.0.0.2")
	rec := &recorder{}
	s, err := e.NewSession()
	require.NoError(t, err)
	defer s.Close()
	s.SetDigits(rec)
	s.Start(Params{Remote: netip.MustParseAddrPort("192.0.2.10:4000"), SignalIP: netip.MustParseAddr("127.0.0.1"),
		Codec: audio.PCMU, EventPT: 101, Send: true})
	stranger.send(t, s.LocalAddr(), 101, 3)
	caller.send(t, s.LocalAddr(), 101, 3)
	eventually(t, "the caller's key", func() bool { _, ev := rec.counts(); return ev == 3 })
	assert.Equal(t, caller.addr(), s.Remote(), "latched to the caller's real source")
	eventually(t, "audio reaches the caller", func() bool { return caller.received() > 3 })
	assert.Equal(t, uint64(3), s.Stats().Foreign)
	assert.Zero(t, stranger.received())
}

// TestWithoutSignalIPOnlyTheSDPAddressIsTrusted: no signalling IP given,
// a source at another IP than the SDP's never latches.
func TestWithoutSignalIPOnlyTheSDPAddressIsTrusted(t *testing.T) {
	t.Parallel()
	e := testEngine(t, 2)
	other := newPhone(t, "127.0.0.2")
	rec := &recorder{}
	s, err := e.NewSession()
	require.NoError(t, err)
	defer s.Close()
	s.SetDigits(rec)
	sdp := netip.MustParseAddrPort("127.0.0.1:9")
	s.Start(Params{Remote: sdp, Codec: audio.PCMU, EventPT: 101, Send: true})
	other.send(t, s.LocalAddr(), 0, 5)
	eventually(t, "dropped", func() bool { return s.Stats().Foreign == 5 })
	a, _ := rec.counts()
	assert.Zero(t, a)
	assert.Equal(t, sdp, s.Remote())
}

// TestRelatchOnlyOnASustainedStreamAfterSilence: a second socket on the
// caller's IP (a NAT that re-mapped its port, or someone on that host)
// takes over only when the caller has gone quiet and it sends a steady
// stream; while the caller talks, it is dropped.
func TestRelatchOnlyOnASustainedStreamAfterSilence(t *testing.T) {
	t.Parallel()
	e := testEngine(t, 2)
	caller, moved := newPhone(t, "127.0.0.1"), newPhone(t, "127.0.0.1")
	rec := &recorder{}
	s, err := e.NewSession()
	require.NoError(t, err)
	defer s.Close()
	s.SetDigits(rec)
	s.Start(Params{Remote: caller.addr(), Codec: audio.PCMU, EventPT: 101, Send: true})
	caller.send(t, s.LocalAddr(), 0, 1)
	eventually(t, "latched", func() bool { a, _ := rec.counts(); return a == 1 })

	moved.send(t, s.LocalAddr(), 101, 30) // a burst while the caller is live
	eventually(t, "burst dropped", func() bool { return s.Stats().Foreign == 30 })
	_, ev := rec.counts()
	assert.Zero(t, ev, "no key from the other port")
	assert.Equal(t, caller.addr(), s.Remote())

	// The caller falls silent for a while: the scenario (the latch reads
	// the wall clock), not a wait.
	time.Sleep(300 * time.Millisecond)
	moved.send(t, s.LocalAddr(), 0, relatchPackets)
	eventually(t, "re-latched", func() bool { return s.Remote() == moved.addr() })
	a, _ := rec.counts()
	assert.Equal(t, 2, a, "the packet that completes the stream is heard")
	caller.send(t, s.LocalAddr(), 0, 1) // the old source is now the stranger
	eventually(t, "old source dropped", func() bool { return s.Stats().Foreign == 30+relatchPackets-1+1 })
}

func TestRTCPOnlyFromThePeer(t *testing.T) {
	t.Parallel()
	e := testEngineRTCP(t, 1, -1)
	caller, stranger := newPhone(t, "127.0.0.1"), newPhone(t, "127.0.0.2")
	s, err := e.NewSession()
	require.NoError(t, err)
	defer s.Close()
	s.Start(Params{Remote: caller.addr(), Codec: audio.PCMU, Send: true})
	rtcpTo := netip.AddrPortFrom(s.LocalAddr().Addr(), s.LocalAddr().Port()+1)
	s.mu.Lock()
	ours := s.hdr.SSRC
	s.mu.Unlock()
	forged := appendSenderReport(nil, 0xbad, false, 0, 0, 0, 0, &reportBlock{SSRC: ours, Lost: 99})
	_, err = stranger.conn.WriteToUDPAddrPort(forged, rtcpTo)
	require.NoError(t, err)
	eventually(t, "stranger's report dropped", func() bool { return s.Stats().RTCPForeign == 1 })
	real := appendSenderReport(nil, 0x5eed, false, 0, 0, 0, 0, &reportBlock{SSRC: ours, Lost: 2})
	_, err = caller.conn.WriteToUDPAddrPort(real, rtcpTo)
	require.NoError(t, err)
	eventually(t, "the caller's report taken", func() bool { return s.Stats().RTCPReceived == 1 })
	assert.Equal(t, int64(2), s.Stats().PeerLost)
}
