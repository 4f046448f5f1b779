package media

import (
	"math"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/internal/testenv"
	"github.com/ivrd/ivrd/prompts"
)

// amplitudeAt is a tone's amplitude at f in pcm (rate Hz): the strongest
// 100 ms of it, by projection. What a phone got since a tone was sent
// starts with whatever came before the tone reached it (silence, a
// codec's start-up), longer on a busy machine; judging where the tone is
// keeps the figure the tone's, not the machine's.
func amplitudeAt(pcm []int16, rate int, f float64) float64 {
	win, step := rate/10, rate/200
	if len(pcm) <= win {
		return projection(pcm, rate, f)
	}
	best := 0.0
	for start := 0; start+win <= len(pcm); start += step {
		best = max(best, projection(pcm[start:start+win], rate, f))
	}
	return best
}

// projection is the amplitude at f of the whole of pcm.
func projection(pcm []int16, rate int, f float64) float64 {
	if len(pcm) == 0 {
		return 0
	}
	var c, s float64
	for i, v := range pcm {
		w := 2 * math.Pi * f * float64(i) / float64(rate)
		c += float64(v) * math.Cos(w)
		s += float64(v) * math.Sin(w)
	}
	return 2 * math.Hypot(c, s) / float64(len(pcm))
}

func tone(f float64, rate, n int, amp float64) []int16 {
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(amp * math.Sin(2*math.Pi*f*float64(i)/float64(rate)))
	}
	return out
}

// twoTone16k is 1 kHz plus 6 kHz at 16 kHz: the 6 kHz part is what only
// a wideband path carries.
func twoTone16k(n int) []int16 {
	a, b := tone(1000, 16000, n, 5000), tone(6000, 16000, n, 5000)
	for i := range a {
		a[i] += b[i]
	}
	return a
}

// decodePayloads decodes the audio packets of payload type pt in order,
// G.722 to 16 kHz, G.711 to 8 kHz.
func decodePayloads(pkts []rtp.Packet, pt uint8) []int16 {
	var out []int16
	var d audio.G722Decoder
	for _, p := range pkts {
		if p.PayloadType != pt {
			continue
		}
		if pt == audio.G722.PayloadType() {
			buf := make([]int16, 2*len(p.Payload))
			d.Decode(buf, p.Payload)
			out = append(out, buf...)
			continue
		}
		buf := make([]int16, len(p.Payload))
		audio.DecodeG711(buf, p.Payload, audio.Codec(pt))
		out = append(out, buf...)
	}
	return out
}

// A G.722 call hears a wideband prompt in wideband: payload type 9, 160
// bytes a packet, timestamps 160 apart (G.722's 8 kHz RTP clock), and
// the prompt's 6 kHz tone in the decoded audio.
func TestG722SessionPlaysWidebandPrompt(t *testing.T) {
	e := testEngine(t, 2)
	p := newPeer(t)
	s, err := e.NewSession()
	require.NoError(t, err)
	defer s.Close()
	s.Start(Params{Remote: p.addr(), Codec: audio.G722, Send: true})
	prompt := prompts.NewAt("wide", twoTone16k(16000/2), 16000)
	done := make(chan struct{})
	s.Play(prompt, func() { close(done) })
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("prompt never finished")
	}
	var pkts []rtp.Packet
	start := -1
	eventually(t, "the prompt's packets", func() bool {
		pkts = p.packets()
		for i := range pkts {
			if pkts[i].Marker { // the last marker is the prompt's first packet (the stream's, if it began with it)
				start = i
			}
		}
		return start >= 0 && len(pkts) >= start+prompt.Frames()
	})
	pkts = pkts[start : start+prompt.Frames()]
	for i, pkt := range pkts {
		require.Equal(t, uint8(9), pkt.PayloadType, "packet %d of %d (start %d): %+v", i, len(pkts), start, pkt.Header)
		require.Len(t, pkt.Payload, 160)
		if i > 0 {
			require.Equal(t, uint32(160), pkt.Timestamp-pkts[i-1].Timestamp, "RTP clock 8000 for G.722")
		}
	}
	heard := decodePayloads(pkts, 9)
	assert.InDelta(t, 5000, amplitudeAt(heard, 16000, 1000), 700)
	assert.InDelta(t, 5000, amplitudeAt(heard, 16000, 6000), 1200, "6 kHz reaches a G.722 caller")
}

// g722Packets encodes pcm (16 kHz) as G.722 RTP packets of 20 ms.
func g722Packets(pcm []int16, ssrc uint32) [][]byte {
	var e audio.G722Encoder
	var out [][]byte
	for i := 0; i+audio.G722FrameSamples <= len(pcm); i += audio.G722FrameSamples {
		payload := make([]byte, audio.G722FrameBytes)
		e.Encode(payload, pcm[i:i+audio.G722FrameSamples])
		b, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 9, SSRC: ssrc,
			SequenceNumber: uint16(i / audio.G722FrameSamples), Timestamp: uint32(i / 2)}, Payload: payload}).Marshal()
		out = append(out, b)
	}
	return out
}

// pcmSink keeps all the 8 kHz audio a session hands its digit detector.
type pcmSink struct {
	recorder
	all []int16
}

func (p *pcmSink) Audio(pcm []int16) {
	p.mu.Lock()
	p.audio++
	p.all = append(p.all, pcm...)
	p.mu.Unlock()
}

// The digit detector of a G.722 call gets 8 kHz audio, 160 samples per
// 20 ms packet, with the caller's tones at their level.
func TestG722ReceiveHandsDigits8kHz(t *testing.T) {
	e := testEngine(t, 2)
	sink := &pcmSink{}
	s, err := e.NewSession()
	require.NoError(t, err)
	defer s.Close()
	s.SetDigits(sink)
	p := newPeer(t)
	s.Start(Params{Remote: p.addr(), Codec: audio.G722, Send: true})
	dtmf := tone(770, 16000, 16000/2, 6000)
	for i, v := range tone(1336, 16000, len(dtmf), 6000) {
		dtmf[i] += v
	}
	pkts := g722Packets(dtmf, 42)
	for _, b := range pkts {
		p.send(t, s.LocalAddr(), b)
	}
	eventually(t, "every packet decoded", func() bool {
		sink.mu.Lock()
		defer sink.mu.Unlock()
		return sink.audio == len(pkts)
	})
	sink.mu.Lock()
	got := append([]int16(nil), sink.all...)
	sink.mu.Unlock()
	require.Len(t, got, len(pkts)*160, "8 kHz: 160 samples a packet")
	assert.InDelta(t, 6000, amplitudeAt(got, 8000, 770), 700, "key 5's low tone")
	assert.InDelta(t, 6000, amplitudeAt(got, 8000, 1336), 700, "key 5's high tone")
}

// bridgePair is a bridged caller and far end, each with a phone (peer)
// at its remote end.
func bridgePair(t *testing.T, callerCodec, farCodec audio.Codec) (caller, far *Session, callerPhone, farPhone *peer) {
	e := testEngine(t, 4)
	var err error
	caller, err = e.NewSession()
	require.NoError(t, err)
	far, err = e.NewSession()
	require.NoError(t, err)
	t.Cleanup(func() { caller.Close(); far.Close() })
	callerPhone, farPhone = newPeer(t), newPeer(t)
	caller.Start(Params{Remote: callerPhone.addr(), Codec: callerCodec, Send: true})
	far.Start(Params{Remote: farPhone.addr(), Codec: farCodec, Send: true})
	br := NewBridge(caller, far)
	br.Connect()
	t.Cleanup(br.Close)
	return caller, far, callerPhone, farPhone
}

// sendPaced sends packets 20 ms apart, as a phone does, so the relay
// (six frames deep) never overflows.
func sendPaced(t *testing.T, from *peer, to netip.AddrPort, pkts [][]byte) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for _, b := range pkts {
		_, err := from.conn.WriteToUDPAddrPort(b, to)
		require.NoError(t, err)
		<-tick.C
	}
}

func g711Packets(pcm8k []int16, c audio.Codec) [][]byte {
	var out [][]byte
	for i := 0; i+160 <= len(pcm8k); i += 160 {
		payload := make([]byte, 160)
		audio.EncodeG711(payload, pcm8k[i:i+160], c)
		b, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: uint8(c), SSRC: 9,
			SequenceNumber: uint16(i / 160), Timestamp: uint32(i)}, Payload: payload}).Marshal()
		out = append(out, b)
	}
	return out
}

// heardSince is the audio of payload type pt a phone got after its
// first n packets.
func heardSince(p *peer, n int, pt uint8) []int16 {
	return decodePayloads(p.packets()[n:], pt)
}

// A bridge transcodes both ways between a G.711 leg and a G.722 leg: each
// phone hears the other's tone in its own codec.
func TestBridgeTranscodesG711AndG722(t *testing.T) {
	caller, far, callerPhone, farPhone := bridgePair(t, audio.PCMU, audio.G722)
	n0Far, n0Caller := len(farPhone.packets()), len(callerPhone.packets())

	// Each phone's audio is judged once all of it has crossed (the last
	// packets may still be on their way when the sender is done).
	sent := g711Packets(tone(1000, 8000, 8000/2, 6000), audio.PCMU)
	sendPaced(t, callerPhone, caller.LocalAddr(), sent)
	require.Eventually(t, func() bool { return len(farPhone.packets())-n0Far >= len(sent) }, 5*time.Second, 5*time.Millisecond)
	atFar := heardSince(farPhone, n0Far, 9)
	back := g722Packets(tone(600, 16000, 16000/2, 6000), 5)
	sendPaced(t, farPhone, far.LocalAddr(), back)
	require.Eventually(t, func() bool { return len(callerPhone.packets())-n0Caller >= len(back) }, 5*time.Second, 5*time.Millisecond)

	require.NotEmpty(t, atFar, "the G.722 phone got G.722")
	assert.InDelta(t, 6000, amplitudeAt(atFar, 16000, 1000), 1000, "the PCMU caller's 1 kHz, heard in G.722")
	atCaller := heardSince(callerPhone, n0Caller, 0)
	require.NotEmpty(t, atCaller, "the PCMU phone got PCMU")
	assert.InDelta(t, 6000, amplitudeAt(atCaller, 8000, 600), 1000, "the G.722 far end's 600 Hz, heard in PCMU")
}

// Two G.722 legs keep their band across a bridge: a 6 kHz tone (beyond
// any 8 kHz path) crosses.
func TestBridgeKeepsWidebandBetweenG722Legs(t *testing.T) {
	caller, _, callerPhone, farPhone := bridgePair(t, audio.G722, audio.G722)
	n0 := len(farPhone.packets())
	sent := g722Packets(twoTone16k(16000/2), 5)
	sendPaced(t, callerPhone, caller.LocalAddr(), sent)
	require.Eventually(t, func() bool { return len(farPhone.packets())-n0 >= len(sent) }, 5*time.Second, 5*time.Millisecond,
		"every packet crossed the bridge")
	heard := heardSince(farPhone, n0, 9)
	require.NotEmpty(t, heard)
	assert.InDelta(t, 5000, amplitudeAt(heard, 16000, 6000), 1500, "6 kHz crossed the bridge")
	assert.InDelta(t, 5000, amplitudeAt(heard, 16000, 1000), 1000)
}

// A G.722 session's receive path allocates nothing per packet (its
// decoder is made once, on the first packet).
func TestG722ReceiveAllocatesNothing(t *testing.T) {
	e := testEngine(t, 2)
	rec := &recorder{last: make([]int16, 0, 320)}
	s, err := e.NewSession()
	require.NoError(t, err)
	s.SetDigits(rec)
	defer s.Close()
	from := netip.MustParseAddrPort("127.0.0.1:4000")
	s.mu.Lock()
	s.params = Params{Remote: from, Codec: audio.G722, EventPT: 101, Send: true}
	s.latch.reset(s.params)
	s.mu.Unlock()
	pkt := g722Packets(tone(1000, 16000, 320, 5000), 7)[0]
	var h rtp.Header
	pcm := make([]int16, 1500)
	_ = s.handleRTP(pkt, from, &h, pcm)
	seq, calls := uint16(0), 0
	allocs := testenv.AllocsPerRun(500, func() {
		seq++
		calls++
		pkt[2], pkt[3] = byte(seq>>8), byte(seq)
		_ = s.handleRTP(pkt, from, &h, pcm)
	})
	assert.Zero(t, allocs)
	assert.Equal(t, calls+1, rec.audio, "every packet delivered")
	assert.Len(t, rec.last, 160, "at 8 kHz")
}

// Sending relayed audio as G.722 allocates nothing per frame.
func TestG722SendFrameAllocatesNothing(t *testing.T) {
	e := testEngine(t, 2)
	sink := newQuietSink(t)
	s, err := e.NewSession()
	require.NoError(t, err)
	defer s.Close()
	s.mu.Lock()
	s.params = Params{Remote: sink.addr(), Codec: audio.G722, Send: true}
	s.hdr.PayloadType = uint8(audio.G722)
	s.useCodec(audio.G722)
	s.mu.Unlock()
	var r Relay
	s.RelayFrom(&r)
	frame8k, frame16k := make([]int16, 160), make([]int16, 320)
	allocs := testenv.AllocsPerRun(200, func() {
		r.Push(frame8k)
		s.sendFrame(nil)
		r.PushWide(frame16k)
		s.sendFrame(nil)
	})
	assert.Zero(t, allocs)
	assert.GreaterOrEqual(t, sink.payloadTypes()[9], 400)
}

// BenchmarkReceiveG722 is a G.722 call's receive path for one packet:
// latch, statistics, G.722 decode to 8 kHz, delivery to the digit sink.
func BenchmarkReceiveG722(b *testing.B) {
	e, err := NewEngine(EngineConfig{BindIP: netip.MustParseAddr("127.0.0.1"), PortMin: 26000, PortMax: 26999, Pacers: 1, RTCPInterval: -1})
	require.NoError(b, err)
	defer e.Close()
	s, err := e.NewSession()
	require.NoError(b, err)
	defer s.Close()
	s.SetDigits(&recorder{last: make([]int16, 0, 320)})
	from := netip.MustParseAddrPort("127.0.0.1:4000")
	s.params = Params{Remote: from, Codec: audio.G722, Send: true}
	s.latch.reset(s.params)
	pkt := g722Packets(tone(1000, 16000, 320, 5000), 7)[0]
	var h rtp.Header
	pcm := make([]int16, 1500)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		pkt[2], pkt[3] = byte(i>>8), byte(i)
		_ = s.handleRTP(pkt, from, &h, pcm)
	}
}
