package media

import (
	"net"
	"net/netip"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/audio"
)

// ringEngine is an engine whose pacers run on io_uring, or a skip naming
// why this host refuses it (the epoll loop is then what runs, and the
// rest of the package's tests cover it).
func ringEngine(t *testing.T, sessions int) *Engine {
	t.Helper()
	e := testEngineRTCP(t, sessions, -1)
	if io := e.MediaIO(); io != "io_uring" {
		t.Skipf("pacers not on io_uring here: %s", io)
	}
	return e
}

// The environment variable picks the epoll loop, and a value that is
// neither is named in the reason.
func TestMediaIOCanBeTurnedToEpoll(t *testing.T) {
	t.Setenv(mediaIOEnv, "epoll")
	assert.Equal(t, "epoll: IVRD_MEDIA_IO=epoll", testEngine(t, 1).MediaIO())
	t.Setenv(mediaIOEnv, "uring")
	assert.Equal(t, `epoll: IVRD_MEDIA_IO="uring" is neither epoll nor io_uring`, testEngine(t, 1).MediaIO())
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
	e := ringEngine(t, 8)
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

// Closing a session lets its sockets go at once, on the ring (whose
// receive holds a socket open until cancelled) as on the epoll loop: the
// port can be bound again as soon as Close returns, and sessions that
// come and go keep hearing each other.
func TestClosedSessionFreesItsPort(t *testing.T) {
	for _, mode := range []string{"io_uring", "epoll"} {
		t.Run(mode, func(t *testing.T) {
			t.Setenv(mediaIOEnv, mode)
			e := testEngineRTCP(t, 4, -1)
			if !strings.HasPrefix(e.MediaIO(), mode) {
				t.Skipf("pacers not on %s here: %s", mode, e.MediaIO())
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
