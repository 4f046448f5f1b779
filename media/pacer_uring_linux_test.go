package media

import (
	"log/slog"
	"net"
	"net/netip"
	"runtime"
	"strings"
	"testing"

	"github.com/pion/rtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/internal/testenv"
)

// ringEngine is an engine of cfg whose pacers run on io_uring, or a skip
// naming why this host refuses it (the epoll loop is then what runs,
// and the rest of the package's tests cover it).
func ringEngine(t *testing.T, sessions int, cfg EngineConfig) *Engine {
	t.Helper()
	cfg.RTCPInterval = -1
	e := testEngineConfig(t, sessions, cfg)
	if io := e.MediaIO(); io != "io_uring" {
		t.Skipf("pacers not on io_uring here: %s", io)
	}
	return e
}

// startPair is two sessions sending to each other.
func startPair(t *testing.T, e *Engine) (a, b *Session) {
	t.Helper()
	var err error
	a, err = e.NewSession()
	require.NoError(t, err)
	b, err = e.NewSession()
	require.NoError(t, err)
	a.Start(Params{Remote: b.LocalAddr(), Codec: audio.PCMU, Send: true})
	b.Start(Params{Remote: a.LocalAddr(), Codec: audio.PCMU, Send: true})
	return a, b
}

// On the ring, sessions hear each other, and the loop allocates nothing
// per packet: over a steady stretch the whole process makes far fewer
// allocations than packets move.
func TestRingLoopAllocatesNothingPerPacket(t *testing.T) {
	e := ringEngine(t, 8, EngineConfig{})
	var pairs [][2]*Session
	for range 4 {
		a, b := startPair(t, e)
		pairs = append(pairs, [2]*Session{a, b})
		defer a.Close()
		defer b.Close()
	}
	received := func() (n uint64) {
		for _, p := range pairs {
			n += p[0].Stats().Received + p[1].Stats().Received
		}
		return n
	}
	eventually(t, "every session hears its peer", func() bool {
		for _, p := range pairs {
			if p[0].Stats().Received < 10 || p[1].Stats().Received < 10 {
				return false
			}
		}
		return true
	})
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := received()
	eventually(t, "400 more packets", func() bool { return received() >= start+400 })
	runtime.ReadMemStats(&after)
	packets := received() - start
	mallocs := after.Mallocs - before.Mallocs
	t.Logf("%d packets received (as many sent), %d allocations in the process", packets, mallocs)
	assert.Less(t, mallocs, packets/10, "allocations per packet")
}

// A burst larger than the ring's receive buffers loses nothing: the
// receives that run out end (ENOBUFS), the round gives the buffers back
// and starts them again, and every datagram still queued in the sockets
// is read. (The fault this guards: receives left ended, or restarted so
// eagerly that they kept running the buffers dry.)
func TestRingBurstBeyondItsBuffersLosesNothing(t *testing.T) {
	const sessions, burst = 16, 6
	e := ringEngine(t, sessions, EngineConfig{ringBuffers: 8})
	peer, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	defer peer.Close()
	var ss []*Session
	for range sessions {
		s, err := e.NewSession()
		require.NoError(t, err)
		defer s.Close()
		s.Start(Params{Remote: peer.LocalAddr().(*net.UDPAddr).AddrPort(), Codec: audio.PCMU})
		ss = append(ss, s)
	}
	// Each round of the burst reaches every socket within a fraction of
	// a millisecond: 96 datagrams against 8 buffers.
	for seq := range burst {
		for i, s := range ss {
			pkt, err := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: uint16(seq), SSRC: uint32(i + 1)},
				Payload: make([]byte, 160)}).Marshal()
			require.NoError(t, err)
			_, err = peer.WriteToUDPAddrPort(pkt, s.LocalAddr())
			require.NoError(t, err)
		}
	}
	eventually(t, "every datagram of the burst read", func() bool {
		for _, s := range ss {
			if s.Stats().Received < burst {
				return false
			}
		}
		return true
	})
	for _, s := range ss {
		assert.Equal(t, uint64(burst), s.Stats().Received)
	}
}

// Closing a session lets its sockets go at once, on the ring (whose
// receive holds a socket open until cancelled, and whose registered
// files hold it until emptied) as on the epoll loop: the port can be
// bound again as soon as Close returns, and sessions that come and go
// keep hearing each other.
func TestClosedSessionFreesItsPort(t *testing.T) {
	for _, mode := range []string{"io_uring", "epoll"} {
		t.Run(mode, func(t *testing.T) {
			e := testEngineConfig(t, 4, EngineConfig{RTCPInterval: -1, Epoll: mode == "epoll"})
			if got := e.MediaIO(); mode == "io_uring" && got != mode {
				t.Skipf("pacers not on io_uring here: %s", got)
			}
			for range 3 {
				a, b := startPair(t, e)
				eventually(t, "packets both ways", func() bool { return a.Stats().Received > 2 && b.Stats().Received > 2 })
				port := a.LocalAddr().Port()
				a.Close()
				for _, p := range []uint16{port, port + 1} {
					c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), p)))
					require.NoError(t, err, "port %d free after Close", p)
					require.NoError(t, c.Close())
				}
				b.Close()
			}
		})
	}
}

// Asked for the epoll loop, the engine runs it and says so.
func TestEngineRunsEpollWhenAsked(t *testing.T) {
	e := testEngineConfig(t, 2, EngineConfig{RTCPInterval: -1, Epoll: true})
	assert.Equal(t, "epoll: asked for", e.MediaIO())
	a, b := startPair(t, e)
	defer a.Close()
	defer b.Close()
	eventually(t, "packets both ways on the epoll loop", func() bool { return a.Stats().Received > 2 && b.Stats().Received > 2 })
}

// A socket whose receives keep failing is given up after maxRingFails
// restarts, with one error naming it, instead of being restarted every
// round for ever (a loop spinning on one broken socket); the rest of the
// session goes on. Here a pipe stands in for a session's RTCP socket:
// every receive on it ends at once (ENOTSOCK).
func TestRingGivesUpASocketThatKeepsFailing(t *testing.T) {
	var logs testenv.Buffer
	e := ringEngine(t, 4, EngineConfig{Log: slog.New(slog.NewTextHandler(&logs, nil))})
	a, err := e.NewSession()
	require.NoError(t, err)
	defer a.Close()
	b, err := e.NewSession()
	require.NoError(t, err)
	defer b.Close()
	var pipe [2]int
	require.NoError(t, unix.Pipe2(pipe[:], unix.O_CLOEXEC))
	defer func() { _ = unix.Close(pipe[1]) }()
	require.NoError(t, unix.Dup3(pipe[0], a.rtcpSock.fd, unix.O_CLOEXEC)) // a's RTCP descriptor is now the pipe
	require.NoError(t, unix.Close(pipe[0]))
	a.Start(Params{Remote: b.LocalAddr(), Codec: audio.PCMU, Send: true})
	b.Start(Params{Remote: a.LocalAddr(), Codec: audio.PCMU, Send: true})
	const given = "keeps failing; no longer listening"
	eventually(t, "the failing socket given up", func() bool { return strings.Count(logs.String(), given) > 0 })
	heard := a.Stats().Received
	eventually(t, "a's RTP heard on", func() bool { return a.Stats().Received > heard+20 })
	assert.Equal(t, 1, strings.Count(logs.String(), given), "given up once")
	assert.Equal(t, 1, strings.Count(logs.String(), "non-socket"), "the error named")
}
