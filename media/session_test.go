package media

import (
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/internal/testenv"
	"github.com/ivrd/ivrd/prompts"
)

// peer is a UDP socket standing in for a phone.
type peer struct {
	conn *net.UDPConn
	mu   sync.Mutex
	pkts []rtp.Packet
	at   []time.Time
}

func newPeer(t *testing.T) *peer {
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	p := &peer{conn: c}
	go func() {
		buf := make([]byte, 1500)
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			var pkt rtp.Packet
			if pkt.Unmarshal(append([]byte(nil), buf[:n]...)) == nil {
				p.mu.Lock()
				p.pkts = append(p.pkts, pkt)
				p.at = append(p.at, time.Now())
				p.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() { c.Close() })
	return p
}

func (p *peer) addr() netip.AddrPort { return p.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

// send writes datagram b to a session's media address.
func (p *peer) send(t *testing.T, to netip.AddrPort, b []byte) {
	t.Helper()
	_, err := p.conn.WriteToUDPAddrPort(b, to)
	require.NoError(t, err)
}

func (p *peer) packets() []rtp.Packet {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]rtp.Packet(nil), p.pkts...)
}

func testEngine(t *testing.T, ports int) *Engine {
	return testEngineRTCP(t, ports, 0)
}

// testEngineRTCP is an engine with room for sessions RTP/RTCP port pairs
// reporting every interval (0: the default). The engines of tests running
// in parallel share one range, so it has 320 pairs of slack: for them and
// for ports other test processes hold (a pair someone holds fails to
// bind, and the engine draws another).
func testEngineRTCP(t *testing.T, sessions int, interval time.Duration) *Engine {
	return testEngineConfig(t, sessions, EngineConfig{RTCPInterval: interval})
}

// testEngineConfig is testEngineRTCP for cfg with its address, ports and
// pacers filled in.
func testEngineConfig(t *testing.T, sessions int, cfg EngineConfig) *Engine {
	// Below the ranges the sip and cmd tests use (30000 and up).
	base := 20000 + (os.Getpid()%10)*500
	cfg.BindIP, cfg.PortMin, cfg.PortMax, cfg.Pacers = netip.MustParseAddr("127.0.0.1"), base, base+sessions*2+639, 2
	e, err := NewEngine(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { e.Close() })
	return e
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	require.Eventually(t, cond, 3*time.Second, 5*time.Millisecond, "timed out: %s", what)
}

func testPrompt(frames int) *prompts.Prompt {
	pcm := make([]int16, frames*prompts.FrameSamples)
	for i := range pcm {
		pcm[i] = int16((i*37)%2000 - 1000)
	}
	return prompts.New("test", pcm)
}

func TestPlayPacketsSequenceTimestampMarkerAndPayload(t *testing.T) {
	t.Parallel()
	e := testEngine(t, 4)
	p := newPeer(t)
	s, err := e.NewSession()
	require.NoError(t, err)
	defer s.Close()
	s.Start(Params{Remote: p.addr(), Codec: audio.PCMU, Send: true})
	eventually(t, "silence", func() bool { return len(p.packets()) >= 3 })
	prompt := testPrompt(10)
	var done atomic.Int32
	s.Play(prompt, func() { done.Add(1) })
	eventually(t, "prompt done", func() bool { return done.Load() == 1 })
	// Find the prompt: the packet with the marker after the first; wait
	// for its ten packets and one of silence after them.
	var pkts []rtp.Packet
	start := -1
	eventually(t, "the prompt and silence after it", func() bool {
		pkts, start = p.packets(), -1
		for i := 1; i < len(pkts); i++ {
			if pkts[i].Marker {
				start = i
				break
			}
		}
		return start != -1 && len(pkts) > start+10
	})
	assert.True(t, pkts[0].Marker, "marker on the first packet of the stream")
	var payload []byte
	for i := start; i < start+10; i++ {
		payload = append(payload, pkts[i].Payload...)
	}
	assert.Equal(t, prompt.PCMU, payload)
	for i := 1; i < len(pkts); i++ {
		assert.Equal(t, pkts[i-1].SequenceNumber+1, pkts[i].SequenceNumber)
		assert.Equal(t, pkts[i-1].Timestamp+160, pkts[i].Timestamp, "timestamps continuous across silence and prompt")
		assert.Equal(t, pkts[0].SSRC, pkts[i].SSRC)
		assert.Equal(t, uint8(0), pkts[i].PayloadType)
		assert.Len(t, pkts[i].Payload, 160)
	}
	assert.Equal(t, byte(0xFF), pkts[len(pkts)-1].Payload[0], "silence after the prompt")
	assert.Equal(t, int32(1), done.Load(), "onDone once")
}

// The stream's clock is 8 kHz at 20 ms a packet whatever the machine's
// load: each packet's timestamp is 160 above the last (how fast they are
// sent is measured by bench's BenchmarkPacing, not asserted here).
func TestPacketsAre20msApartInStreamTimeAndStopPlayback(t *testing.T) {
	t.Parallel()
	e := testEngine(t, 4)
	p := newPeer(t)
	s, err := e.NewSession()
	require.NoError(t, err)
	defer s.Close()
	s.Start(Params{Remote: p.addr(), Codec: audio.PCMA, Send: true})
	var done atomic.Int32
	s.Play(testPrompt(500), func() { done.Add(1) })
	eventually(t, "ten packets", func() bool { return len(p.packets()) >= 10 })
	pkts := p.packets()
	for i := 1; i < len(pkts); i++ {
		assert.Equal(t, pkts[i-1].Timestamp+160*uint32(pkts[i].SequenceNumber-pkts[i-1].SequenceNumber), pkts[i].Timestamp, "20 ms of stream time a packet")
	}
	s.StopPlayback()
	// A packet in flight at the stop may still carry the prompt; the one
	// after it is silence.
	atStop := len(p.packets())
	eventually(t, "packets after the stop", func() bool { return len(p.packets()) >= atStop+2 })
	pk := p.packets()
	assert.Equal(t, byte(0xD5), pk[len(pk)-1].Payload[0], "PCMA silence after stop")
	assert.Equal(t, int32(0), done.Load(), "no onDone when stopped")
}

func TestHoldSendsNothingAndResumeIsContinuous(t *testing.T) {
	t.Parallel()
	e := testEngine(t, 4)
	p := newPeer(t)
	s, err := e.NewSession()
	require.NoError(t, err)
	defer s.Close()
	params := Params{Remote: p.addr(), Codec: audio.PCMU, Send: true}
	s.Start(params)
	eventually(t, "audio", func() bool { return len(p.packets()) >= 3 })
	params.Send = false
	s.Update(params)
	held := len(p.packets())
	time.Sleep(400 * time.Millisecond) // held for a while: the scenario, not a wait
	params.Send = true
	s.Update(params)
	eventually(t, "resume", func() bool { return len(p.packets()) > held+3 })
	// Sequence numbers count the packets sent and the timestamps the
	// stream's time: one gap in time with no gap in sequence is a stretch
	// in which nothing was sent, and the next packet starts a talkspurt.
	pkts := p.packets()
	gap := -1
	for i := 1; i < len(pkts); i++ {
		require.Equal(t, pkts[i-1].SequenceNumber+1, pkts[i].SequenceNumber, "packet %d: none lost on loopback", i)
		if pkts[i].Timestamp-pkts[i-1].Timestamp > 160 {
			require.Equal(t, -1, gap, "one pause in the stream, at packet %d and %d", gap, i)
			gap = i
		}
	}
	require.NotEqual(t, -1, gap, "the stream paused while held")
	assert.GreaterOrEqual(t, pkts[gap].Timestamp-pkts[gap-1].Timestamp, uint32(160*15),
		"nothing sent for most of the 400 ms held, and the clock ran on")
	assert.True(t, pkts[gap].Marker)
}

type recorder struct {
	mu     sync.Mutex
	audio  int
	events int
	last   []int16
}

func (r *recorder) Audio(pcm []int16) {
	r.mu.Lock()
	r.audio++
	r.last = append(r.last[:0], pcm...)
	r.mu.Unlock()
}
func (r *recorder) TelephoneEvent(h *rtp.Header, payload []byte) {
	r.mu.Lock()
	r.events++
	r.mu.Unlock()
}

func TestReceiveDemuxLatchingAndMalformed(t *testing.T) {
	t.Parallel()
	e := testEngine(t, 4)
	rec := &recorder{}
	s, err := e.NewSession()
	require.NoError(t, err)
	s.SetDigits(rec)
	defer s.Close()
	sdpAddr := netip.MustParseAddrPort("127.0.0.1:9") // what the SDP said: wrong, behind NAT
	s.Start(Params{Remote: sdpAddr, Codec: audio.PCMU, EventPT: 101, Send: true})
	p := newPeer(t)
	send := func(b []byte) { p.send(t, s.LocalAddr(), b) }
	pkt := func(pt uint8, payload []byte) []byte {
		return rtpPacket(t, rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: 1}, payload)
	}
	send([]byte{0x01, 0x02}) // malformed: too short
	silence := make([]byte, 160)
	for i := range silence {
		silence[i] = 0xFF
	}
	send(pkt(0, silence)) // audio
	send(pkt(101, []byte{1, 0, 0, 160}))
	send(pkt(18, make([]byte, 20))) // G.729: not ours
	eventually(t, "demux", func() bool {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		return rec.audio == 1 && rec.events == 1
	})
	eventually(t, "counters", func() bool { st := s.Stats(); return st.Malformed == 1 && st.UnknownPT == 1 })
	assert.Equal(t, p.addr(), s.Remote(), "latched to the first packet's source")
	eventually(t, "audio to the latched address", func() bool { return len(p.packets()) > 2 })
	rec.mu.Lock()
	assert.Equal(t, int16(0), rec.last[0]&^7, "0xFF decodes to silence")
	rec.mu.Unlock()
}

func TestPortPoolExhaustionAndReuse(t *testing.T) {
	base := 29000 + (os.Getpid()%100)*6 // three RTP/RTCP pairs, no slack
	e, err := NewEngine(EngineConfig{BindIP: netip.MustParseAddr("127.0.0.1"), PortMin: base, PortMax: base + 5, Pacers: 1})
	require.NoError(t, err)
	defer e.Close()
	var ss []*Session
	for {
		s, err := e.NewSession()
		if err != nil {
			assert.ErrorIs(t, err, ErrNoPorts)
			break
		}
		assert.Equal(t, uint16(0), s.LocalAddr().Port()%2, "even ports only")
		ss = append(ss, s)
		require.Less(t, len(ss), 10)
	}
	assert.LessOrEqual(t, len(ss), 3)
	require.NotEmpty(t, ss)
	ss[0].Close()
	ss[0].Close() // idempotent
	s, err := e.NewSession()
	require.NoError(t, err, "a closed session's port is free again")
	s.Close()
	for _, s := range ss[1:] {
		s.Close()
	}
}

// Many sessions on one engine each send their own stream: every stream
// arrives, with its own SSRC and a timestamp that keeps 20 ms a packet.
// (Rates under load are the pacing benchmark's: bench/pacing_test.go.)
func TestManySessionsEachSendTheirOwnStream(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("short")
	}
	const n = 200
	e := testEngine(t, n)
	p := newPeer(t)
	var ss []*Session
	for i := 0; i < n; i++ {
		s, err := e.NewSession()
		require.NoError(t, err)
		s.Start(Params{Remote: p.addr(), Codec: audio.PCMU, Send: true})
		ss = append(ss, s)
	}
	seen := func() map[uint32][]rtp.Header {
		got := map[uint32][]rtp.Header{}
		for _, pk := range p.packets() {
			got[pk.SSRC] = append(got[pk.SSRC], pk.Header)
		}
		return got
	}
	eventually(t, "every stream", func() bool { return len(seen()) == n })
	for _, s := range ss {
		s.Close()
	}
	got := seen()
	assert.Len(t, got, n)
	for ssrc, hs := range got {
		for i := 1; i < len(hs); i++ {
			if hs[i].Timestamp != hs[i-1].Timestamp+160*uint32(hs[i].SequenceNumber-hs[i-1].SequenceNumber) {
				t.Errorf("stream %08x: timestamp %d after %d for sequence %d after %d", ssrc, hs[i].Timestamp, hs[i-1].Timestamp, hs[i].SequenceNumber, hs[i-1].SequenceNumber)
				break
			}
		}
	}
}

func TestReceiveAllocatesNothing(t *testing.T) {
	e := testEngine(t, 2)
	rec := &recorder{last: make([]int16, 0, 160)}
	s, err := e.NewSession()
	require.NoError(t, err)
	s.SetDigits(rec)
	defer s.Close()
	from := netip.MustParseAddrPort("127.0.0.1:4000")
	s.mu.Lock()
	s.params = Params{Remote: from, Codec: audio.PCMU, EventPT: 101, Send: true}
	s.latch.reset(s.params)
	s.mu.Unlock()
	audio, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SSRC: 7}, Payload: make([]byte, 160)}).Marshal()
	event, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 101, SSRC: 7}, Payload: []byte{5, 10, 1, 0}}).Marshal()
	var h rtp.Header
	pcm := make([]int16, 1500)
	seq, calls := uint16(0), 0
	allocs := testenv.AllocsPerRun(500, func() {
		seq++
		calls++
		audio[2], audio[3] = byte(seq>>8), byte(seq)
		_ = s.handleRTP(audio, from, &h, pcm)
		_ = s.handleRTP(event, from, &h, pcm)
	})
	assert.Zero(t, allocs)
	assert.Equal(t, 2*calls, rec.audio+rec.events, "every packet delivered")
}

func TestSendFrameAllocatesNothing(t *testing.T) {
	e := testEngine(t, 2)
	p := newPeer(t)
	s, err := e.NewSession()
	require.NoError(t, err)
	defer s.Close()
	s.mu.Lock()
	s.params = Params{Remote: p.addr(), Codec: audio.PCMU, Send: true}
	s.mu.Unlock()
	prompt := testPrompt(1000)
	s.Play(prompt, nil)
	allocs := testenv.AllocsPerRun(500, func() { s.sendFrame(nil) })
	assert.Zero(t, allocs)
}

func BenchmarkSendFrame(b *testing.B) {
	e, err := NewEngine(EngineConfig{BindIP: netip.MustParseAddr("127.0.0.1"), PortMin: 45000, PortMax: 45099, Pacers: 1})
	require.NoError(b, err)
	defer e.Close()
	sink, _ := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	defer sink.Close()
	go func() {
		buf := make([]byte, 2000)
		for {
			if _, err := sink.Read(buf); err != nil {
				return
			}
		}
	}()
	s, err := e.NewSession()
	require.NoError(b, err)
	defer s.Close()
	s.params = Params{Remote: sink.LocalAddr().(*net.UDPAddr).AddrPort(), Codec: audio.PCMU, Send: true}
	prompt := testPrompt(50)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if !s.Playing() {
			s.Play(prompt, nil)
		}
		s.sendFrame(nil)
	}
}

// panicky panics on the first audio packet it gets, as a bug might.
type panicky struct {
	recorder
	once sync.Once
}

func (p *panicky) Audio(pcm []int16) {
	p.once.Do(func() { panic("receiver bug") })
	p.recorder.Audio(pcm)
}

func TestReceiverPanicDoesNotStopTheSession(t *testing.T) {
	t.Parallel()
	e := testEngine(t, 2)
	rx := &panicky{}
	s, err := e.NewSession()
	require.NoError(t, err)
	s.SetDigits(rx)
	defer s.Close()
	p := newPeer(t)
	s.Start(Params{Remote: p.addr(), Codec: audio.PCMU, Send: true})
	for seq := uint16(1); seq <= 3; seq++ {
		p.send(t, s.LocalAddr(), rtpPacket(t, rtp.Header{Version: 2, SequenceNumber: seq}, make([]byte, 160)))
	}
	eventually(t, "packets after the panic still delivered", func() bool {
		rx.mu.Lock()
		defer rx.mu.Unlock()
		return rx.audio == 2
	})
}

// BenchmarkHandleRTP is the receive path for one audio packet after the
// socket read: parse, statistics, G.711 decode, delivery.
func BenchmarkHandleRTP(b *testing.B) {
	e, err := NewEngine(EngineConfig{BindIP: netip.MustParseAddr("127.0.0.1"), PortMin: 28000, PortMax: 28099, Pacers: 1, RTCPInterval: -1})
	require.NoError(b, err)
	defer e.Close()
	s, err := e.NewSession()
	require.NoError(b, err)
	s.SetDigits(&recorder{last: make([]int16, 0, 160)})
	defer s.Close()
	from := netip.MustParseAddrPort("127.0.0.1:4000")
	s.params = Params{Remote: from, Codec: audio.PCMU, EventPT: 101, Send: true}
	s.latch.reset(s.params)
	pkt, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SSRC: 7}, Payload: make([]byte, 160)}).Marshal()
	var h rtp.Header
	pcm := make([]int16, 1500)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		pkt[2], pkt[3] = byte(i>>8), byte(i)
		_ = s.handleRTP(pkt, from, &h, pcm)
	}
}

// eventsOnly is a digit sink that listens for RFC 4733 alone (as a
// dtmf.Collector does when the peer negotiated telephone-event).
type eventsOnly struct{ recorder }

func (*eventsOnly) ListensInband() bool { return false }

// A call whose digits come as RFC 4733 has its G.711 audio decoded only
// for whoever takes it: not for a digit sink that says it does not listen
// in-band, yes for a listener (voicemail records with one).
func TestAudioDecodedOnlyForWhoTakesIt(t *testing.T) {
	t.Parallel()
	e := testEngine(t, 4)
	sink := &eventsOnly{}
	s, err := e.NewSession()
	require.NoError(t, err)
	s.SetDigits(sink)
	defer s.Close()
	p := newPeer(t)
	s.Start(Params{Remote: p.addr(), Codec: audio.PCMU, EventPT: 101, Send: true})
	seq := uint16(0)
	send := func(pt uint8, payload []byte) {
		seq++
		p.send(t, s.LocalAddr(), rtpPacket(t, rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: seq}, payload))
	}
	tone := make([]byte, 160)
	for i := range tone {
		tone[i] = byte(0x10 + i%8)
	}
	send(0, tone)
	send(101, []byte{1, 0, 0, 160})
	eventually(t, "the event", func() bool {
		sink.mu.Lock()
		defer sink.mu.Unlock()
		return sink.events == 1
	})
	sink.mu.Lock()
	assert.Zero(t, sink.audio, "audio handed to a sink that does not listen in-band")
	sink.mu.Unlock()
	assert.EqualValues(t, 2, s.Stats().Received, "both packets counted")

	var mu sync.Mutex
	var heard []int16
	s.Listen(func(pcm []int16) {
		mu.Lock()
		heard = append(heard[:0], pcm...)
		mu.Unlock()
	})
	send(0, tone)
	eventually(t, "the listener's audio", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(heard) == 160
	})
	mu.Lock()
	defer mu.Unlock()
	want := make([]int16, 160)
	audio.DecodeG711(want, tone, audio.PCMU)
	assert.Equal(t, want, heard, "decoded for the listener")
}
