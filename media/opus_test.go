//go:build opus

package media

import (
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/audio/opus"
	"github.com/ivrd/ivrd/prompts"
)

// opusPT is the dynamic payload type these tests agree on: not ivrd's
// own 111, so a session that ignored the agreed number would fail.
const opusPT = 107

// decodeOpusPackets decodes the packets of payload type pt in order to
// 16 kHz, through one decoder as a phone would.
func decodeOpusPackets(t *testing.T, pkts []rtp.Packet, pt uint8) []int16 {
	t.Helper()
	dec, err := opus.NewDecoder()
	require.NoError(t, err)
	var out []int16
	for _, p := range pkts {
		if p.PayloadType != pt {
			continue
		}
		pcm, err := dec.Decode(p.Payload)
		require.NoError(t, err)
		out = append(out, pcm...)
	}
	return out
}

// opusPackets encodes pcm (16 kHz) as Opus RTP packets of 20 ms, with the
// 48 kHz RTP clock.
func opusPackets(t *testing.T, pcm []int16, ssrc uint32) [][]byte {
	t.Helper()
	enc, err := opus.NewEncoder()
	require.NoError(t, err)
	var out [][]byte
	for i := 0; i+opus.FrameSamples <= len(pcm); i += opus.FrameSamples {
		payload := make([]byte, audio.OpusFrameBytes)
		require.NoError(t, enc.Encode(payload, pcm[i:i+opus.FrameSamples]))
		b, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: opusPT, SSRC: ssrc,
			SequenceNumber: uint16(i / opus.FrameSamples), Timestamp: uint32(i * 3)}, Payload: payload}).Marshal()
		out = append(out, b)
	}
	return out
}

// An Opus call hears a wideband prompt in wideband: the agreed payload
// type, 80-byte packets, timestamps 960 apart (the 48 kHz RTP clock), and
// the prompt's 6 kHz tone in what a decoder makes of them.
func TestOpusSessionPlaysWidebandPrompt(t *testing.T) {
	e := testEngine(t, 2)
	p := newPeer(t)
	s, err := e.NewSession()
	require.NoError(t, err)
	defer s.Close()
	s.Start(Params{Remote: p.addr(), Codec: audio.Opus, PT: opusPT, Send: true})
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
			if pkts[i].Marker {
				start = i
			}
		}
		return start >= 0 && len(pkts) >= start+prompt.Frames()
	})
	pkts = pkts[start : start+prompt.Frames()]
	for i, pkt := range pkts {
		require.Equal(t, uint8(opusPT), pkt.PayloadType, "packet %d", i)
		require.Len(t, pkt.Payload, audio.OpusFrameBytes)
		if i > 0 {
			require.Equal(t, uint32(960), pkt.Timestamp-pkts[i-1].Timestamp, "RTP clock 48000 for Opus")
		}
	}
	heard := decodeOpusPackets(t, pkts, opusPT)
	assert.InDelta(t, 5000, amplitudeAt(heard, 16000, 1000), 1000)
	assert.InDelta(t, 5000, amplitudeAt(heard, 16000, 6000), 1500, "6 kHz reaches an Opus caller")

	// Then silence: packets that decode to nothing audible.
	n := len(p.packets())
	eventually(t, "silence after the prompt", func() bool { return len(p.packets()) >= n+5 })
	quiet := decodeOpusPackets(t, p.packets()[n:n+5], opusPT)
	assert.Less(t, audio.RMS(quiet), 50.0)
}

// The digit detector of an Opus call gets 8 kHz audio, 160 samples per
// 20 ms packet, with the caller's key tones at their level, and so does
// a tap (a recording, a media stream); payloads libopus cannot read are
// counted and do not stop the call's audio.
func TestOpusReceiveHandsDigits8kHz(t *testing.T) {
	e := testEngine(t, 2)
	sink := &pcmSink{}
	s, err := e.NewSession()
	require.NoError(t, err)
	defer s.Close()
	s.SetDigits(sink)
	tap := &countingTap{}
	s.AddTap(tap)
	p := newPeer(t)
	s.Start(Params{Remote: p.addr(), Codec: audio.Opus, PT: opusPT, Send: true})
	dtmf := tone(770, 16000, 16000/2, 6000)
	for i, v := range tone(1336, 16000, len(dtmf), 6000) {
		dtmf[i] += v
	}
	garbage, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: opusPT, SSRC: 42, SequenceNumber: 999},
		Payload: []byte{0xFF, 0xFF, 0xFF}}).Marshal()
	p.send(t, s.LocalAddr(), garbage)
	pkts := opusPackets(t, dtmf, 42)
	for _, b := range pkts {
		p.send(t, s.LocalAddr(), b)
	}
	eventually(t, "every packet decoded", func() bool {
		sink.mu.Lock()
		defer sink.mu.Unlock()
		return sink.audio == len(pkts)
	})
	assert.Equal(t, uint64(1), s.Stats().Malformed, "the garbage payload, counted")
	tap.mu.Lock()
	assert.Equal(t, len(pkts), tap.inFrames, "the tap heard the caller")
	tap.mu.Unlock()
	sink.mu.Lock()
	got := append([]int16(nil), sink.all...)
	sink.mu.Unlock()
	require.Len(t, got, len(pkts)*160, "8 kHz: 160 samples a packet")
	assert.InDelta(t, 6000, amplitudeAt(got, 8000, 770), 1000, "key 5's low tone")
	assert.InDelta(t, 6000, amplitudeAt(got, 8000, 1336), 1000, "key 5's high tone")
}

// A bridge transcodes both ways between a G.711 leg and an Opus leg.
func TestBridgeTranscodesG711AndOpus(t *testing.T) {
	caller, far, callerPhone, farPhone := bridgePair(t, audio.PCMU, audio.Opus)
	far.Update(Params{Remote: farPhone.addr(), Codec: audio.Opus, PT: opusPT, Send: true})
	n0Far, n0Caller := len(farPhone.packets()), len(callerPhone.packets())

	sent := g711Packets(tone(1000, 8000, 8000/2, 6000), audio.PCMU)
	sendPaced(t, callerPhone, caller.LocalAddr(), sent)
	require.Eventually(t, func() bool { return len(farPhone.packets())-n0Far >= len(sent) }, 5*time.Second, 5*time.Millisecond)
	atFar := decodeOpusPackets(t, farPhone.packets()[n0Far:], opusPT)
	back := opusPackets(t, tone(600, 16000, 16000/2, 6000), 5)
	sendPaced(t, farPhone, far.LocalAddr(), back)
	require.Eventually(t, func() bool { return len(callerPhone.packets())-n0Caller >= len(back) }, 5*time.Second, 5*time.Millisecond)

	require.NotEmpty(t, atFar, "the Opus phone got Opus")
	assert.InDelta(t, 6000, amplitudeAt(atFar, 16000, 1000), 1200, "the PCMU caller's 1 kHz, heard in Opus")
	atCaller := heardSince(callerPhone, n0Caller, 0)
	require.NotEmpty(t, atCaller, "the PCMU phone got PCMU")
	assert.InDelta(t, 6000, amplitudeAt(atCaller, 8000, 600), 1200, "the Opus far end's 600 Hz, heard in PCMU")
}

// A G.722 leg and an Opus leg keep their band across a bridge: a 6 kHz
// tone crosses from one to the other.
func TestBridgeKeepsWidebandBetweenG722AndOpus(t *testing.T) {
	caller, far, callerPhone, farPhone := bridgePair(t, audio.G722, audio.Opus)
	far.Update(Params{Remote: farPhone.addr(), Codec: audio.Opus, PT: opusPT, Send: true})
	n0 := len(farPhone.packets())
	sent := g722Packets(twoTone16k(16000/2), 5)
	sendPaced(t, callerPhone, caller.LocalAddr(), sent)
	require.Eventually(t, func() bool { return len(farPhone.packets())-n0 >= len(sent) }, 5*time.Second, 5*time.Millisecond)
	heard := decodeOpusPackets(t, farPhone.packets()[n0:], opusPT)
	require.NotEmpty(t, heard)
	assert.InDelta(t, 5000, amplitudeAt(heard, 16000, 6000), 1500, "6 kHz crossed from G.722 to Opus")

	n0 = len(callerPhone.packets())
	back := opusPackets(t, twoTone16k(16000/2), 6)
	sendPaced(t, farPhone, far.LocalAddr(), back)
	require.Eventually(t, func() bool { return len(callerPhone.packets())-n0 >= len(back) }, 5*time.Second, 5*time.Millisecond)
	atCaller := heardSince(callerPhone, n0, 9)
	require.NotEmpty(t, atCaller)
	assert.InDelta(t, 5000, amplitudeAt(atCaller, 16000, 6000), 1500, "6 kHz crossed from Opus to G.722")
}

// An Opus session's receive path allocates nothing per packet (its
// decoder is made once, on the first packet), nor does sending relayed
// audio as Opus.
func TestOpusPacketPathsAllocateNothing(t *testing.T) {
	e := testEngine(t, 4)
	rec := &recorder{last: make([]int16, 0, 320)}
	s, err := e.NewSession()
	require.NoError(t, err)
	s.SetDigits(rec)
	defer s.Close()
	from := netip.MustParseAddrPort("127.0.0.1:4000")
	s.mu.Lock()
	s.params = Params{Remote: from, Codec: audio.Opus, PT: opusPT, Send: true}
	s.latch.reset(s.params)
	s.mu.Unlock()
	pkt := opusPackets(t, tone(1000, 16000, 320, 5000), 7)[0]
	var h rtp.Header
	pcm := make([]int16, 1500)
	_ = s.handleRTP(pkt, from, &h, pcm)
	seq := uint16(0)
	assert.Zero(t, testing.AllocsPerRun(300, func() {
		seq++
		pkt[2], pkt[3] = byte(seq>>8), byte(seq)
		_ = s.handleRTP(pkt, from, &h, pcm)
	}), "receive")
	assert.Equal(t, 302, rec.audio, "every packet delivered")
	assert.Len(t, rec.last, 160, "at 8 kHz")

	sink := newQuietSink(t)
	tx, err := e.NewSession()
	require.NoError(t, err)
	defer tx.Close()
	tx.mu.Lock()
	tx.params = Params{Remote: sink.addr(), Codec: audio.Opus, PT: opusPT, Send: true}
	tx.hdr.PayloadType = opusPT
	tx.useCodec(audio.Opus)
	tx.mu.Unlock()
	var r Relay
	tx.RelayFrom(&r)
	frame8k, frame16k := make([]int16, 160), make([]int16, 320)
	assert.Zero(t, testing.AllocsPerRun(100, func() {
		r.Push(frame8k)
		tx.sendFrame(nil)
		r.PushWide(frame16k)
		tx.sendFrame(nil)
		tx.sendFrame(nil) // nothing queued: silence
	}), "send")
	assert.GreaterOrEqual(t, sink.payloadTypes()[opusPT], 300)
}

// BenchmarkReceiveOpus is an Opus call's receive path for one packet:
// latch, statistics, Opus decode to 16 kHz and down to 8 kHz, delivery to
// the digit sink.
func BenchmarkReceiveOpus(b *testing.B) {
	e, err := NewEngine(EngineConfig{BindIP: netip.MustParseAddr("127.0.0.1"), PortMin: 27000, PortMax: 27999, Pacers: 1, RTCPInterval: -1})
	require.NoError(b, err)
	defer e.Close()
	s, err := e.NewSession()
	require.NoError(b, err)
	defer s.Close()
	s.SetDigits(&recorder{last: make([]int16, 0, 320)})
	from := netip.MustParseAddrPort("127.0.0.1:4000")
	s.params = Params{Remote: from, Codec: audio.Opus, PT: opusPT, Send: true}
	s.latch.reset(s.params)
	enc, err := opus.NewEncoder()
	require.NoError(b, err)
	payload := make([]byte, audio.OpusFrameBytes)
	require.NoError(b, enc.Encode(payload, tone(1000, 16000, 320, 5000)))
	pkt, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: opusPT, SSRC: 7}, Payload: payload}).Marshal()
	var h rtp.Header
	pcm := make([]int16, 1500)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		pkt[2], pkt[3] = byte(i>>8), byte(i)
		_ = s.handleRTP(pkt, from, &h, pcm)
	}
}
