package ivrload

import (
	"net/netip"
	"testing"
	"time"
)

var loopback = netip.MustParseAddr("127.0.0.1")

// pair is a sending call and the socket its packets reach, on loopback.
func pair(t testing.TB) (*worker, *mediaCall, *rtpSocket) {
	t.Helper()
	w, err := newWorker(window{0, 1<<63 - 1}, 0)
	if err != nil {
		t.Fatal(err)
	}
	a, err := openRTPSocket(loopback, 0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := openRTPSocket(loopback, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.setRemote(netip.AddrPortFrom(loopback, b.port)); err != nil {
		t.Fatal(err)
	}
	c := &mediaCall{sock: a, ssrc: 1, audio: callerAudio("noise", CodecPCMU), removed: make(chan struct{})}
	t.Cleanup(func() { a.close(); b.close() })
	return w, c, b
}

// TestLoopbackTimestampsAndCounts: packets sent by the worker arrive with
// kernel timestamps near now and are all counted.
func TestLoopbackTimestampsAndCounts(t *testing.T) {
	w, c, b := pair(t)
	rx := &mediaCall{sock: b}
	start := time.Now().UnixNano()
	for i := 0; i < 20; i++ {
		w.sendFrame(c, time.Now().UnixNano())
	}
	w.readCall(rx)
	end := time.Now().UnixNano()
	if rx.rx.received != 20 || rx.rx.lost() != 0 || rx.rx.badPackets != 0 {
		t.Fatalf("received %d lost %d bad %d", rx.rx.received, rx.rx.lost(), rx.rx.badPackets)
	}
	// Wall-clock nanoseconds from between the first send and the read
	// (a millisecond of slack for clocks read on different paths).
	if at := rx.rx.lastAt; at < start-1e6 || at > end+1e6 {
		t.Fatalf("kernel timestamp %d not within [%d, %d]", at, start, end)
	}
}

// TestKeyPress: an RFC 4733 key is five updates and three end packets
// with one timestamp, the first with the marker; then audio resumes.
func TestKeyPress(t *testing.T) {
	w, c, b := pair(t)
	c.method, c.eventPT, c.eventCode, c.digitAt = methodRFC4733, 101, 1, 1
	var got []rtpHeader
	var ends int
	for i := 0; i < keyFrames+endCopies+1; i++ {
		w.sendFrame(c, time.Now().UnixNano())
		got = append(got, mustParse(t, w.pkt[:]))
		if w.pkt[12+1]&0x80 != 0 && got[i].pt == 101 {
			ends++
		}
	}
	_ = b
	for i, h := range got[:keyFrames+endCopies] {
		if h.pt != 101 || h.ts != got[0].ts || h.marker != (i == 0) {
			t.Fatalf("event packet %d: %+v", i, h)
		}
	}
	if ends != endCopies || got[len(got)-1].pt != 0 || c.digitSent.Load() == 0 {
		t.Fatalf("ends %d, last %+v, sent at %d", ends, got[len(got)-1], c.digitSent.Load())
	}
}

// TestKeyPressedAgain: with presses set, the key is pressed again every
// pressEvery (a new event: its own timestamp, the marker), audio between
// the presses and after the last; the latency counts from the first.
func TestKeyPressedAgain(t *testing.T) {
	w, c, _ := pair(t)
	const every = int64(time.Second)
	c.method, c.eventPT, c.eventCode, c.digitAt, c.presses, c.pressEvery = methodRFC4733, 101, 1, 1, 3, every
	var events []rtpHeader
	now := int64(1)
	for i := 0; i < 200; i++ { // 4 s of frames on a made-up clock
		w.sendFrame(c, now)
		if h := mustParse(t, w.pkt[:]); h.pt == 101 && h.marker {
			events = append(events, h)
		}
		if i == 0 && c.digitSent.Load() != 1 {
			t.Fatalf("first press sent at %d, want 1", c.digitSent.Load())
		}
		now += int64(frameInterval)
	}
	if len(events) != 3 || c.pressed != 3 {
		t.Fatalf("%d presses started, %d finished: want 3", len(events), c.pressed)
	}
	if events[1].ts == events[0].ts || events[2].ts == events[1].ts {
		t.Fatalf("a new press reuses the previous event's timestamp: %+v", events)
	}
	if got := c.digitSent.Load(); got != 1 {
		t.Fatalf("latency's start moved to %d", got)
	}
}

func mustParse(t *testing.T, b []byte) rtpHeader {
	h, ok := parseRTP(b)
	if !ok {
		t.Fatal("unparsable packet")
	}
	return h
}

// TestHotPathsAllocateNothing: sending a frame and reading a packet cost
// no allocation.
func TestHotPathsAllocateNothing(t *testing.T) {
	w, c, b := pair(t)
	rx := &mediaCall{sock: b}
	if n := testing.AllocsPerRun(200, func() { w.sendFrame(c, 1) }); n != 0 {
		t.Errorf("send: %v allocs per frame", n)
	}
	if n := testing.AllocsPerRun(200, func() {
		w.sendFrame(c, 1)
		w.readCall(rx)
	}); n != 0 {
		t.Errorf("send+receive: %v allocs per frame", n)
	}
	if rx.rx.received == 0 {
		t.Fatal("nothing received")
	}
}

func BenchmarkSendFrame(b *testing.B) {
	w, c, sink := pair(b)
	rx := &mediaCall{sock: sink}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w.sendFrame(c, 1)
		if i%64 == 63 {
			b.StopTimer()
			w.readCall(rx) // keep the receiver's buffer from filling
			b.StartTimer()
		}
	}
}

func BenchmarkReceive(b *testing.B) {
	w, c, sink := pair(b)
	rx := &mediaCall{sock: sink}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		w.sendFrame(c, 1)
		b.StartTimer()
		w.readCall(rx) // one recvmmsg, one packet accounted
	}
	if rx.rx.received == 0 {
		b.Fatal("nothing received")
	}
}

// TestSocketConnectsOnlyToItsServersOwnAddress: a call's socket is
// connected to the answer's media address once the server's audio comes
// from there (a stranger is then dropped by the kernel), and is left
// unconnected, still hearing the server, when its audio comes from an
// address other than the one its SDP gave.
func TestSocketConnectsOnlyToItsServersOwnAddress(t *testing.T) {
	w, c, b := pair(t) // c sends to b
	stranger, err := openRTPSocket(loopback, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer stranger.close()
	send := func(from *rtpSocket, to uint16) {
		t.Helper()
		if err := from.setRemote(netip.AddrPortFrom(loopback, to)); err != nil {
			t.Fatal(err)
		}
		w.sendFrame(&mediaCall{sock: from, ssrc: 7, audio: callerAudio("noise", CodecPCMU)}, time.Now().UnixNano())
	}

	// Audio from a stranger only: heard, and the socket stays unconnected.
	send(stranger, c.sock.port)
	w.readCall(c)
	if c.rx.received != 1 || c.sock.connected {
		t.Fatalf("from another address: received %d, connected %v; want 1, false", c.rx.received, c.sock.connected)
	}
	// Audio from the server's own address: heard, and connected.
	send(b, c.sock.port)
	w.readCall(c)
	if c.rx.received != 2 || !c.sock.connected {
		t.Fatalf("from the answer's address: received %d, connected %v; want 2, true", c.rx.received, c.sock.connected)
	}
	// Connected, it still sends to the server and drops the stranger.
	w.sendFrame(c, time.Now().UnixNano())
	rx := &mediaCall{sock: b}
	w.readCall(rx)
	send(stranger, c.sock.port)
	send(b, c.sock.port)
	w.readCall(c)
	if rx.rx.received != 1 || c.rx.received != 3 {
		t.Fatalf("connected: the server got %d (want 1), the call heard %d (want 3: the stranger's dropped)", rx.rx.received, c.rx.received)
	}
}
