package media

import (
	"fmt"
	"math"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/internal/testenv"
)

// TestNoGoroutinePerSession: the point of the loop (issue 12) is that a
// call costs no goroutine of its own, so none is woken per packet.
func TestNoGoroutinePerSession(t *testing.T) {
	e := testEngine(t, 100)
	before := runtime.NumGoroutine()
	p := sendingSessions(t, e, 100)
	// 100 RTCP timers may each be running a report just now; far fewer
	// than the 200 receive goroutines 100 sessions used to take.
	assert.Less(t, runtime.NumGoroutine()-before, 50)
	eventually(t, "every session sends", func() bool { return len(p.packets()) > 300 })
}

// The pacer's loop reports how much of its time it works (the overload
// guard's busy rule and ivrd_pacer_busy_ratio read it): with calls to
// send, more than nothing, never more than all.
func TestPacerReportsItsBusyShare(t *testing.T) {
	e := testEngine(t, 100)
	sendingSessions(t, e, 100)
	eventually(t, "sending 100 calls' frames shows as work", func() bool { return e.PacerBusy() > 0 })
	assert.LessOrEqual(t, e.PacerBusy(), 1.0)
}

// sendingSessions starts n sessions sending PCMU to one peer (closed when
// the test ends) and returns the peer.
func sendingSessions(t *testing.T, e *Engine, n int) *peer {
	t.Helper()
	p := newPeer(t)
	for i := 0; i < n; i++ {
		s, err := e.NewSession()
		require.NoError(t, err)
		t.Cleanup(s.Close)
		s.Start(Params{Remote: p.addr(), Codec: audio.PCMU, Send: true})
	}
	return p
}

// loopRig is a session that is not started, so no loop reads its
// sockets: the test drives the receive path itself through drain, the
// loop's read of one ready socket, with a real datagram on loopback.
type loopRig struct {
	s    *Session
	pc   *pacer
	rx   *rxBatch
	from *udpSock
}

func newLoopRig(t testing.TB, sink DigitSink) *loopRig {
	e, err := NewEngine(EngineConfig{BindIP: netip.MustParseAddr("127.0.0.1"), PortMin: 27000 + (os.Getpid()%40)*20, PortMax: 27999, Pacers: 1, RTCPInterval: -1})
	require.NoError(t, err)
	s, err := e.NewSession()
	require.NoError(t, err)
	from, err := listenUDP(netip.MustParseAddrPort("127.0.0.1:0"))
	require.NoError(t, err)
	t.Cleanup(func() { s.Close(); e.Close(); _ = from.close() })
	s.SetDigits(sink)
	peer := netip.MustParseAddrPort("127.0.0.1:9")
	s.mu.Lock()
	s.params = Params{Remote: peer, Codec: audio.PCMU, EventPT: 101, Send: true}
	s.latch.reset(s.params)
	s.mu.Unlock()
	return &loopRig{s: s, pc: e.pacers[0], rx: newRxBatch(), from: from}
}

// recv sends pkt to the session's RTP (or RTCP) port and runs the loop's
// read of that socket.
func (r *loopRig) recv(pkt []byte, rtcp bool) {
	to := r.s.local
	w := watched{r.s, rtcp}
	if rtcp {
		to = netip.AddrPortFrom(to.Addr(), to.Port()+1)
	}
	_ = r.from.writeTo(pkt, to)
	r.pc.drain(w, r.rx)
}

func TestLoopReceiveAllocatesNothing(t *testing.T) {
	rec := &recorder{last: make([]int16, 0, 160)}
	r := newLoopRig(t, rec)
	audioPkt, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SSRC: 7}, Payload: make([]byte, 160)}).Marshal()
	event, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 101, SSRC: 7}, Payload: []byte{5, 10, 1, 0}}).Marshal()
	rr := appendSenderReport(nil, 7, false, 0, 0, 0, 0, &reportBlock{SSRC: r.s.hdr.SSRC, Lost: 1})
	r.recv(audioPkt, false) // latches
	seq, calls := uint16(0), 0
	allocs := testenv.AllocsPerRun(200, func() {
		seq++
		calls++
		audioPkt[2], audioPkt[3] = byte(seq>>8), byte(seq)
		r.recv(audioPkt, false)
		r.recv(event, false)
		r.recv(rr, true)
	})
	assert.Zero(t, allocs)
	rec.mu.Lock()
	assert.Equal(t, calls+1, rec.audio, "every audio packet read and delivered")
	assert.Equal(t, calls, rec.events, "every event read and delivered")
	rec.mu.Unlock()
	assert.Equal(t, uint64(calls), r.s.Stats().RTCPReceived)
}

// TestRelayAllocatesNothing: a bridged caller's audio and key presses
// cross to the far leg (decode, relay, re-encode, event re-sent).
func TestRelayAllocatesNothing(t *testing.T) {
	r := newLoopRig(t, nil)
	far, err := r.s.engine.NewSession()
	require.NoError(t, err)
	defer far.Close()
	sink := newQuietSink(t)
	far.mu.Lock()
	far.params = Params{Remote: sink.addr(), Codec: audio.PCMA, EventPT: 96, Send: true}
	far.hdr.PayloadType = uint8(audio.PCMA)
	far.mu.Unlock()
	br := NewBridge(r.s, far)
	br.Connect()
	defer br.Close()
	audioPkt, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SSRC: 7}, Payload: make([]byte, 160)}).Marshal()
	event, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 101, SSRC: 7, Timestamp: 99}, Payload: []byte{5, 10, 1, 0}}).Marshal()
	seq := uint16(0)
	allocs := testenv.AllocsPerRun(50, func() {
		seq++
		audioPkt[2], audioPkt[3] = byte(seq>>8), byte(seq)
		r.recv(audioPkt, false)
		r.recv(event, false)
		far.sendFrame(nil)
	})
	assert.Zero(t, allocs)
	pts := sink.payloadTypes()
	assert.GreaterOrEqual(t, pts[8], 50, "relayed audio, PCMA at the far end")
	assert.GreaterOrEqual(t, pts[96], 50, "relayed key presses, at the far end's payload type")
}

// quietSink is a socket that reads nothing until asked: a reading
// goroutine would allocate during testing.AllocsPerRun, which counts the
// whole process.
type quietSink struct{ conn *net.UDPConn }

func newQuietSink(t *testing.T) *quietSink {
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	_ = c.SetReadBuffer(4 << 20)
	return &quietSink{conn: c}
}

func (q *quietSink) addr() netip.AddrPort { return q.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

// payloadTypes counts what has arrived by payload type.
func (q *quietSink) payloadTypes() map[uint8]int {
	got := map[uint8]int{}
	buf := make([]byte, 1500)
	for {
		_ = q.conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		n, err := q.conn.Read(buf)
		if err != nil {
			return got
		}
		if n >= 2 {
			got[buf[1]&0x7F]++
		}
	}
}

func TestSendEventAndRTCPAllocateNothing(t *testing.T) {
	e := testEngine(t, 2)
	p := newQuietSink(t)
	s, err := e.NewSession()
	require.NoError(t, err)
	defer s.Close()
	s.mu.Lock()
	s.params = Params{Remote: p.addr(), Codec: audio.PCMU, EventPT: 101, Send: true}
	s.mu.Unlock()
	payload := []byte{5, 10, 1, 0}
	assert.Zero(t, testenv.AllocsPerRun(100, func() { s.SendEvent(payload, true) }))
	assert.Zero(t, testenv.AllocsPerRun(100, func() { s.sendRTCP(false) }))
	assert.Equal(t, 101, p.payloadTypes()[101], "every event sent")
}

// BenchmarkLoopReceive is the loop's receive path for one audio packet
// that is already in the socket: recvmmsg, source address, latch,
// statistics, G.711 decode, delivery. (Each op also sends the packet
// from a test socket: one sendto.)
func BenchmarkLoopReceive(b *testing.B) {
	r := newLoopRig(b, &recorder{last: make([]int16, 0, 160)})
	pkt, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SSRC: 7}, Payload: make([]byte, 160)}).Marshal()
	r.recv(pkt, false)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		pkt[2], pkt[3] = byte(i>>8), byte(i)
		r.recv(pkt, false)
	}
}

// FuzzSockaddr: any peer address written for sendto reads back as itself
// from the kernel's layout recvmmsg fills, in both socket families.
func FuzzSockaddr(f *testing.F) {
	f.Add([]byte{127, 0, 0, 1}, uint16(5004), false)
	f.Add(netip.MustParseAddr("2001:db8::1").AsSlice(), uint16(65535), true)
	f.Add([]byte{192, 0, 2, 10}, uint16(0), true)
	f.Fuzz(func(t *testing.T, ip []byte, port uint16, v6 bool) {
		a, ok := netip.AddrFromSlice(ip)
		if !ok {
			return
		}
		to := netip.AddrPortFrom(a.Unmap(), port)
		var sa unix.RawSockaddrInet6
		if putSockaddr(&sa, to, v6) == 0 {
			if v6 || to.Addr().Is4() {
				t.Fatalf("%s refused by a v6=%v socket", to, v6)
			}
			return
		}
		if got := sockaddrAddr(&sa); got != to {
			t.Fatalf("wrote %s, read %s", to, got)
		}
	})
}

// Media sockets send with the don't-fragment bit, IPv4 and dual-stack
// alike (dontFragment): a voice packet never needs fragmenting, and the
// kernel then skips an IP ID per packet.
func TestMediaSocketsDontFragment(t *testing.T) {
	for _, bind := range []string{"127.0.0.1:0", "0.0.0.0:0"} {
		u, err := listenUDP(netip.MustParseAddrPort(bind))
		require.NoError(t, err, bind)
		v4, err := unix.GetsockoptInt(u.fd, unix.IPPROTO_IP, unix.IP_MTU_DISCOVER)
		require.NoError(t, err, bind)
		require.Equal(t, unix.IP_PMTUDISC_DO, v4, bind)
		if u.v6 {
			v6, err := unix.GetsockoptInt(u.fd, unix.IPPROTO_IPV6, unix.IPV6_MTU_DISCOVER)
			require.NoError(t, err, bind)
			require.Equal(t, unix.IPV6_PMTUDISC_DO, v6, bind)
		}
		require.NoError(t, u.close())
	}
}

// A loop locked to its thread that waits for its tick in a blocking read
// must still pass through Go's scheduler now and then: otherwise Go's
// sysmon takes it for a goroutine hogging its processor and from then on
// takes the processor at every tick's wait, hands it to another thread
// and wakes itself every 20 µs to do it (3,000 sysmon wake-ups a second
// at 1,000 calls, a tenth of ivrd's CPU). Counted as the context switches
// of the process's other threads for each of the loop's own (one a
// tick), the same loop with its yield and without, in the same process:
// whatever else runs here (a finished test's goroutines, the collector)
// adds to both. (Go has a processor besides the pacer's, as ivrd serve
// sees to on two CPUs.)
func TestBlockingPacerLeavesTheOtherThreadsAsleep(t *testing.T) {
	procs := runtime.GOMAXPROCS(2)
	t.Cleanup(func() { runtime.GOMAXPROCS(procs) })
	// Measured alone: about 0.8 with the yield (most of it the polling
	// here, every 5 ms), five to six without. Beside the other packages'
	// tests (CI, -race) a round can come out near even both ways, so up
	// to three rounds; without the yield every round is even.
	var rounds []string
	for range 3 {
		with := othersPerLoopSwitch(t, false)
		without := othersPerLoopSwitch(t, true)
		rounds = append(rounds, fmt.Sprintf("%.2f with the yield, %.2f without", with, without))
		t.Logf("the other threads switched %s, for each of the loop's switches", rounds[len(rounds)-1])
		if 2*with < without {
			return
		}
	}
	t.Errorf("the yield did not halve the other threads' switches in any round: %s", strings.Join(rounds, "; "))
}

// othersPerLoopSwitch runs one blocking pacer and returns the fewest
// switches of the process's other threads for each of the loop's own in
// three windows of 200 ticks (the fewest: a burst of other work in one
// window is not the loop's doing). Only threads alive at both ends of a
// window count: one that exits meanwhile (the last engine's pacer
// thread) would take its whole count out of the sum.
func othersPerLoopSwitch(t *testing.T, noYield bool) float64 {
	t.Helper()
	e := blockingPacer(t, 1, noYield)
	defer e.Close()
	loop := e.pacers[0].sys.thread
	ticked := func(n int) func() bool {
		return func() bool { return threadSwitches(t)[loop] >= n }
	}
	// sysmon's limit is 10 ms of running: start well past it.
	eventually(t, "the loop's first 50 ticks", ticked(50))
	fewest := math.Inf(1)
	for range 3 {
		before := threadSwitches(t)
		eventually(t, "200 more ticks", ticked(before[loop]+200))
		after := threadSwitches(t)
		others := 0
		for tid, n := range after {
			if n0, ok := before[tid]; ok && tid != loop {
				others += n - n0
			}
		}
		fewest = min(fewest, float64(others)/float64(after[loop]-before[loop]))
	}
	return fewest
}

// threadSwitches reads the voluntary context switches of each of this
// process's threads (/proc/self/task), by thread id.
func threadSwitches(t *testing.T) map[int]int {
	t.Helper()
	tasks, err := os.ReadDir("/proc/self/task")
	require.NoError(t, err)
	switches := make(map[int]int, len(tasks))
	for _, task := range tasks {
		status, err := os.ReadFile("/proc/self/task/" + task.Name() + "/status")
		if err != nil {
			continue // the thread exited meanwhile
		}
		tid, err := strconv.Atoi(task.Name())
		require.NoError(t, err)
		for line := range strings.Lines(string(status)) {
			if v, ok := strings.CutPrefix(line, "voluntary_ctxt_switches:"); ok {
				n, err := strconv.Atoi(strings.TrimSpace(v))
				require.NoError(t, err)
				switches[tid] = n
			}
		}
	}
	return switches
}

// A blocking loop yields only when Go has processors to spare: with as
// many pacers as processors, sysmon taking a waiting pacer's processor
// is what lets the rest of the program run.
func TestBlockingPacerYieldsOnlyWithProcessorsToSpare(t *testing.T) {
	procs := runtime.GOMAXPROCS(2)
	t.Cleanup(func() { runtime.GOMAXPROCS(procs) })
	assert.True(t, blockingPacer(t, 1, false).pacers[0].sys.yield, "one pacer, two processors")
	e := blockingPacer(t, 2, false)
	assert.False(t, e.pacers[0].sys.yield || e.pacers[1].sys.yield, "two pacers, two processors")
}

// blockingPacer starts an engine of n pacers (their yield off if
// noYield), skipping the test where its loops do not block for their
// tick (no io_uring here).
func blockingPacer(t *testing.T, n int, noYield bool) *Engine {
	t.Helper()
	base := 28000 + (os.Getpid()%20)*40 + n*20
	e, err := NewEngine(EngineConfig{BindIP: netip.MustParseAddr("127.0.0.1"), PortMin: base, PortMax: base + 19, Pacers: n, RTCPInterval: -1, noYield: noYield})
	require.NoError(t, err)
	t.Cleanup(e.Close)
	if !e.pacers[0].sys.blocking {
		t.Skip("this host's pacers wait in Go's netpoller (no io_uring, no real-time priority): they park in the scheduler every tick")
	}
	return e
}
