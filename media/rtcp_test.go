package media

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRTCPReportRoundTrip(t *testing.T) {
	t.Parallel()
	blk := reportBlock{SSRC: 0xabc, FractionLost: 64, Lost: -2, HighestSeq: 70000, Jitter: 33, LSR: 0x12345678, DLSR: 6553}
	ntp := ntpTime(time.Date(2026, 11, 23, 10, 0, 0, 500_000_000, time.UTC))
	pkt := appendSenderReport(nil, 0x1111, true, ntp, 8000, 50, 8000, &blk)
	pkt = appendSDES(pkt, 0x1111, "ivrd@127.0.0.1:10000")
	pkt = appendBye(pkt, 0x1111)
	require.Zero(t, len(pkt)%4, "32-bit aligned")
	var r rtcpReport
	require.NoError(t, parseRTCP(pkt, &r))
	assert.True(t, r.HasSR)
	assert.True(t, r.Bye)
	assert.Equal(t, uint32(0x1111), r.SSRC)
	assert.Equal(t, uint32(ntp>>16), r.NTPMid)
	assert.Equal(t, uint32(0x8000), r.NTPMid&0xFFFF, "half a second is half the fraction")
	require.Equal(t, 1, r.NBlocks)
	assert.Equal(t, blk, r.Blocks[0], "negative cumulative loss survives its 24 bits")

	// Reduced-size RTCP (RFC 5506): no SR or RR first.
	require.NoError(t, parseRTCP(appendBye(appendSDES(nil, 0x3333, "x"), 0x3333), &r))
	assert.True(t, r.Bye)
	assert.False(t, r.HasSR)

	rr := appendSenderReport(nil, 0x2222, false, 0, 0, 0, 0, nil)
	require.NoError(t, parseRTCP(rr, &r))
	assert.False(t, r.HasSR)
	assert.Zero(t, r.NBlocks)
	assert.Equal(t, uint32(0x2222), r.SSRC)
}

func TestParseRTCPRejectsMalformed(t *testing.T) {
	t.Parallel()
	sr := appendSenderReport(nil, 1, true, 0, 0, 0, 0, &reportBlock{SSRC: 2})
	var r rtcpReport
	for _, c := range []struct {
		name, want string
		pkt        []byte
	}{
		{"empty", "shorter than its 4-byte header", nil},
		{"three bytes", "shorter than its 4-byte header", sr[:3]},
		{"version 1", "version is not 2", append([]byte{0x41}, sr[1:]...)},
		{"length past the end", "says", sr[:20]},
		{"more blocks than bytes", "report blocks", append([]byte{0x83}, sr[1:]...)},
		{"padding longer than the packet", "bad padding", append([]byte{0xa0}, append(sr[1:len(sr)-1:len(sr)-1], 200)...)},
		{"trailing garbage", "shorter than its 4-byte header", append(append([]byte(nil), sr...), 0x81)},
	} {
		err := parseRTCP(c.pkt, &r)
		require.Error(t, err, c.name)
		assert.Contains(t, err.Error(), c.want, c.name)
	}
}

func TestRecvStatsLossDuplicatesReorderAndWrap(t *testing.T) {
	t.Parallel()
	var r recvStats
	// 65533 and 4 never come, 2 comes twice, 3 before 2.
	for i, seq := range []uint16{65530, 65531, 65532, 65534, 65535, 0, 1, 3, 2, 2, 5} {
		r.packet(7, seq, uint32(i)*160, int64(i)*160, true)
	}
	b := r.block(0, 0)
	assert.Equal(t, uint32(65536+5), b.HighestSeq, "the wrap counts a cycle")
	assert.Equal(t, int32(1), b.Lost, "12 expected, 11 received (a duplicate offsets a loss)")
	assert.Equal(t, uint8(1*256/12), b.FractionLost)
	assert.Zero(t, b.Jitter, "a steady transit time is no jitter")
	// Next interval: 6..15 all arrive, alternating 10 ms early and late.
	for i := 0; i < 10; i++ {
		wobble := int64(80)
		if i%2 == 0 {
			wobble = -80
		}
		r.packet(7, uint16(6+i), uint32(11+i)*160, int64(11+i)*160+wobble, true)
	}
	b = r.block(0, 0)
	assert.Zero(t, b.FractionLost, "nothing lost since the last report")
	assert.Equal(t, int32(1), b.Lost)
	assert.InDelta(t, 80, float64(b.Jitter), 50, "160-unit swings give jitter heading for 160")
	// Event packets (one timestamp for the whole press) count, but not
	// for jitter.
	j := b.Jitter
	for i := 0; i < 5; i++ {
		r.packet(7, uint16(16+i), 20*160, int64(21+i)*160, false)
	}
	b = r.block(0, 0)
	assert.Equal(t, uint32(21), b.HighestSeq-65536+1, "events count as received")
	assert.Equal(t, int32(1), b.Lost)
	assert.LessOrEqual(t, b.Jitter, j, "a press's frozen timestamp is not jitter")
	// A new SSRC starts over.
	r.packet(9, 100, 0, 0, true)
	assert.Zero(t, r.lost())
}

func TestSessionsExchangeRTCP(t *testing.T) {
	t.Parallel()
	e := testEngineRTCP(t, 2, 40*time.Millisecond)
	a, err := e.NewSession()
	require.NoError(t, err)
	b, err := e.NewSession()
	require.NoError(t, err)
	started := time.Now()
	a.Start(Params{Remote: b.LocalAddr(), Codec: 0, Send: true})
	b.Start(Params{Remote: a.LocalAddr(), Codec: 0, Send: true})
	eventually(t, "reports both ways", func() bool {
		return a.Stats().RTCPReceived >= 3 && b.Stats().RTCPReceived >= 3
	})
	waited := time.Since(started)
	for _, s := range []*Session{a, b} {
		st := s.Stats()
		assert.Zero(t, st.Lost)
		assert.Zero(t, st.PeerLost)
		// A round trip measured within the test fits in the time it took
		// (a bound that a loaded machine cannot break, unlike a fixed one;
		// a wrong unit or sign in the arithmetic still fails it).
		assert.GreaterOrEqual(t, st.RTT, time.Duration(0))
		assert.Less(t, st.RTT, waited)
		assert.Less(t, st.Jitter, 10*time.Millisecond)
		assert.Zero(t, st.RTCPMalformed)
	}
	a.Close()
	b.Close()
}

// udpPair binds an even port and the one above it on loopback: a phone's
// RTP and RTCP sockets.
func udpPair(t *testing.T) (rtpConn, rtcpConn *net.UDPConn) {
	for port := 29000 + (time.Now().Nanosecond()/1000%400)*2; port < 65000; port += 2 {
		a, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
		if err != nil {
			continue
		}
		b, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port + 1})
		if err != nil {
			a.Close()
			continue
		}
		t.Cleanup(func() { a.Close(); b.Close() })
		return a, b
	}
	t.Fatal("no free port pair")
	return nil, nil
}

func TestLossReportedBothWays(t *testing.T) {
	t.Parallel()
	e := testEngineRTCP(t, 1, 50*time.Millisecond)
	phoneRTP, phoneRTCP := udpPair(t)
	s, err := e.NewSession()
	require.NoError(t, err)
	s.Start(Params{Remote: phoneRTP.LocalAddr().(*net.UDPAddr).AddrPort(), Codec: 0, Send: true})
	to := net.UDPAddrFromAddrPort(s.LocalAddr())
	// The phone sends 1..50 but 10, 20 and 30 are lost on the way.
	for seq := uint16(1); seq <= 50; seq++ {
		if seq%10 == 0 && seq < 40 {
			continue
		}
		pkt, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: uint32(seq) * 160, SSRC: 0x5eed}, Payload: make([]byte, 160)}).Marshal()
		_, err := phoneRTP.WriteToUDP(pkt, to)
		require.NoError(t, err)
	}
	eventually(t, "47 packets in", func() bool { return s.Stats().Received == 47 })
	assert.Equal(t, int64(3), s.Stats().Lost)

	// ivrd's receiver report, on the phone's RTCP port, says so: the
	// first one written after packet 50 (a report may go out while the
	// packets are still arriving, and speaks of fewer). ivrd sends audio,
	// so its reports are sender reports: each one that follows a frame
	// (a report whose interval saw no frame, the pacer held up on a
	// loaded machine, is a receiver report, as RFC 3550 6.4 wants).
	var r rtcpReport
	buf := make([]byte, 1500)
	found, sender := false, false
	for i := 0; i < 40 && !(found && sender); i++ {
		require.NoError(t, phoneRTCP.SetReadDeadline(time.Now().Add(2*time.Second)))
		n, _, err := phoneRTCP.ReadFromUDP(buf)
		require.NoError(t, err)
		require.NoError(t, parseRTCP(buf[:n], &r))
		sender = sender || r.HasSR
		for _, b := range r.Blocks[:r.NBlocks] {
			if b.SSRC == 0x5eed && b.HighestSeq == 50 && !found {
				found = true
				assert.Equal(t, int32(3), b.Lost)
			}
		}
	}
	require.True(t, found, "a report block about the phone's whole stream")
	assert.True(t, sender, "ivrd sends audio, so it reports as a sender")

	// Garbage on the RTCP port is counted and dropped; the phone's report
	// that 7 of ivrd's packets went missing is taken.
	rtcpTo := net.UDPAddrFromAddrPort(netip.AddrPortFrom(s.LocalAddr().Addr(), s.LocalAddr().Port()+1))
	_, err = phoneRTCP.WriteToUDP([]byte{0x80, 0xc9, 0, 9, 1}, rtcpTo)
	require.NoError(t, err)
	s.mu.Lock()
	ours := s.hdr.SSRC
	s.mu.Unlock()
	rr := appendSenderReport(nil, 0x5eed, false, 0, 0, 0, 0, &reportBlock{SSRC: ours, Lost: 7, Jitter: 80})
	_, err = phoneRTCP.WriteToUDP(rr, rtcpTo)
	require.NoError(t, err)
	eventually(t, "the phone's report taken", func() bool { return s.Stats().PeerLost == 7 })
	st := s.Stats()
	assert.Equal(t, 10*time.Millisecond, st.PeerJitter)
	assert.Equal(t, uint64(1), st.RTCPMalformed)

	// Closing sends a last report with BYE.
	s.Close()
	for {
		require.NoError(t, phoneRTCP.SetReadDeadline(time.Now().Add(2*time.Second)))
		n, _, err := phoneRTCP.ReadFromUDP(buf)
		require.NoError(t, err, "a BYE on close")
		if parseRTCP(buf[:n], &r) == nil && r.Bye {
			break
		}
	}
}

// FuzzParseRTCP: any datagram on the RTCP port is parsed or rejected, and
// never read past.
func FuzzParseRTCP(f *testing.F) {
	f.Add(appendSDES(appendSenderReport(nil, 1, true, 5, 6, 7, 8, &reportBlock{SSRC: 2, Lost: -1}), 1, "a"))
	f.Add(appendBye(appendSenderReport(nil, 1, false, 0, 0, 0, 0, nil), 1))
	f.Add([]byte{0xa1, 0xc9, 0, 1, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, pkt []byte) {
		var r rtcpReport
		if parseRTCP(pkt, &r) == nil && (r.NBlocks > len(r.Blocks) || r.packets == 0) {
			t.Fatalf("accepted %d blocks in %d packets", r.NBlocks, r.packets)
		}
	})
}

// TestRTCPGoesWhereTheSDPSaid: with a=rtcp (Params.RTCP) reports go there,
// not to RTP port + 1.
func TestRTCPGoesWhereTheSDPSaid(t *testing.T) {
	t.Parallel()
	e := testEngineRTCP(t, 1, 30*time.Millisecond)
	rtpSock, _ := udpPair(t)
	elsewhere, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	defer elsewhere.Close()
	s, err := e.NewSession()
	require.NoError(t, err)
	defer s.Close()
	s.Start(Params{Remote: rtpSock.LocalAddr().(*net.UDPAddr).AddrPort(), RTCP: elsewhere.LocalAddr().(*net.UDPAddr).AddrPort(), Codec: 0, Send: true})
	require.NoError(t, elsewhere.SetReadDeadline(time.Now().Add(2*time.Second)))
	// The first report can be a receiver report (sent before the first
	// RTP packet, as RFC 3550 says); a sender report must follow there.
	buf := make([]byte, 1500)
	for {
		n, _, err := elsewhere.ReadFromUDP(buf)
		require.NoError(t, err, "a sender report at the a=rtcp address")
		var r rtcpReport
		if parseRTCP(buf[:n], &r) == nil && r.HasSR {
			return
		}
	}
}

func TestDuplicatesAreNotNegativeLoss(t *testing.T) {
	t.Parallel()
	e := testEngineRTCP(t, 1, -1)
	s, err := e.NewSession()
	require.NoError(t, err)
	defer s.Close()
	pkt, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, SSRC: 1, SequenceNumber: 5}, Payload: make([]byte, 160)}).Marshal()
	var h rtp.Header
	pcm := make([]int16, 1500)
	from := netip.MustParseAddrPort("127.0.0.1:4000")
	s.mu.Lock()
	s.params.Remote = from
	s.latch.reset(s.params)
	s.mu.Unlock()
	for i := 0; i < 3; i++ { // an end packet sent three times with one number
		require.NoError(t, s.handleRTP(pkt, from, &h, pcm))
	}
	assert.Zero(t, s.Stats().Lost)
	assert.Equal(t, uint64(3), s.Stats().Received)
}
