package media

import (
	"sync"

	"github.com/pion/rtp"

	"github.com/ivrd/ivrd/audio"
)

// DigitSink is where a session's received audio and telephone-events go
// for digit detection. A dtmf.Collector is one. Calls come from the
// session's receiving side (its pacer's loop on Linux: do not block);
// pcm is reused after the call returns.
type DigitSink interface {
	TelephoneEvent(h *rtp.Header, payload []byte)
	Audio(pcm []int16)
}

// input routes what a session receives: to a listener (voicemail records
// with it), and then either to the digit sink or, while bridged, across
// to the other leg. It is the one place that decides where a caller's
// audio and key presses go.
type input struct {
	mu     sync.Mutex
	digits DigitSink
	// digitsPCM: digits does something with audio (see SetDigits)
	digitsPCM bool
	listen    func(pcm []int16)
	out       *bridgeSide // non-nil while this session's media goes to another leg
	taps      []Tap       // replaced, never changed in place (tap.go)
	// Touched only by the receiving side: the telephone-event last
	// heard here, so the end packets of the press that chose a bridge are
	// not replayed to the far end as a press of its own.
	lastEventTS uint32
	eventSeen   bool
	eventEnded  bool
}

// SetDigits sends the session's received audio and telephone-events to d
// (nil: nowhere) while it is not bridged. A sink that also has
// ListensInband (a dtmf.Collector does) and says false does nothing with
// audio, so a G.711 frame nobody else takes (no listener, tap or bridge)
// is not decoded at all: the usual call, whose peer sends RFC 4733.
func (s *Session) SetDigits(d DigitSink) {
	pcm := d != nil
	if l, ok := d.(interface{ ListensInband() bool }); ok {
		pcm = l.ListensInband()
	}
	s.in.mu.Lock()
	s.in.digits, s.in.digitsPCM = d, pcm
	s.in.mu.Unlock()
}

// Listen hands the peer's decoded audio to f as well (nil stops); f must
// copy what it keeps.
func (s *Session) Listen(f func(pcm []int16)) {
	s.in.mu.Lock()
	s.in.listen = f
	s.in.mu.Unlock()
}

// routing is where the peer's audio goes, read under the lock once a
// frame.
type routing struct {
	digits    DigitSink
	digitsPCM bool
	listen    func([]int16)
	out       *bridgeSide
	taps      []Tap
}

func (in *input) routing() routing {
	in.mu.Lock()
	defer in.mu.Unlock()
	return routing{digits: in.digits, digitsPCM: in.digitsPCM, listen: in.listen, out: in.out, taps: in.taps}
}

// wantsPCM reports whether anyone takes the peer's decoded audio.
func (r *routing) wantsPCM() bool {
	return r.out != nil || r.listen != nil || len(r.taps) > 0 || r.digitsPCM
}

// wideOnly reports whether the audio goes across a bridge to a leg that
// sends wideband and nowhere else, so it can stay at 16 kHz.
func (r *routing) wideOnly() bool {
	return r.out != nil && r.listen == nil && len(r.taps) == 0 && r.out.dst.wide.Load()
}

// narrow hands 8 kHz audio to the taps, the listener, and the other leg
// or the digit sink.
func (r *routing) narrow(pcm []int16) {
	tapIn(r.taps, pcm)
	if r.listen != nil {
		r.listen(pcm)
	}
	switch {
	case r.out != nil:
		r.out.relay.Push(pcm)
	case r.digits != nil:
		r.digits.Audio(pcm)
	}
}

func (in *input) setOut(b *bridgeSide) {
	in.mu.Lock()
	in.out = b
	in.mu.Unlock()
}

// g711 decodes one G.711 payload from the peer into pcm (the loop's
// buffer) and routes it, unless nobody takes the audio: G.711 keeps no
// state from frame to frame, so a frame skipped costs nothing later.
func (in *input) g711(payload []byte, c audio.Codec, pcm []int16) {
	r := in.routing()
	if !r.wantsPCM() {
		return
	}
	pcm = pcm[:len(payload)]
	audio.DecodeG711(pcm, payload, c)
	r.narrow(pcm)
}

// g722 decodes one G.722 payload from the peer into pcm (the loop's
// buffer) and routes it: at 16 kHz across a bridge to a leg that sends
// G.722, else at 8 kHz through the lower sub-band alone (the digit
// detector, a recording, a G.711 leg), which costs no QMF and no
// resampling. Decoded even when nobody takes it: the decoder's state
// must follow every frame.
func (in *input) g722(dec *audio.G722Decoder, payload []byte, pcm []int16) {
	r := in.routing()
	if r.wideOnly() {
		n := dec.Decode(pcm, payload)
		r.out.relay.PushWide(pcm[:n])
		return
	}
	n := dec.DecodeNarrow(pcm, payload)
	r.narrow(pcm[:n])
}

// event takes one telephone-event packet from the peer.
func (in *input) event(h *rtp.Header, payload []byte) {
	r := in.routing()
	d, out := r.digits, r.out
	end := len(payload) >= 2 && payload[1]&0x80 != 0
	if out == nil {
		in.eventSeen, in.lastEventTS, in.eventEnded = true, h.Timestamp, end
		if d != nil {
			d.TelephoneEvent(h, payload)
		}
		return
	}
	// The rest of the press heard before the bridge (its end packets) was
	// ours, not a key for the other leg. A sender that reuses the
	// timestamp for its next press starts it with a packet that is not an
	// end.
	if out.suppressChoosing && in.eventSeen && h.Timestamp == in.lastEventTS {
		if end || !in.eventEnded {
			in.eventEnded = in.eventEnded || end
			return
		}
	}
	in.eventSeen = false
	out.forwardEvent(h, payload)
}
