package media

import (
	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/audio/opus"
)

// txCoders encode relayed audio for the codec a session sends: made once
// per session when it first speaks a codec that needs state, never per
// packet. Prompts come encoded already; silence is a constant.
type txCoders struct {
	g722 *audio.G722Encoder
	opus *opus.Encoder
	up   audio.Interpolator // 8 kHz relayed audio up to Opus's 16 kHz
	wide [wideFrame]int16
}

// rxCoders decode what the peer sends in a codec with state; touched only
// by the session's receiving side.
type rxCoders struct {
	g722   *audio.G722Decoder
	opus   *opus.Decoder
	opusOK bool            // making opus was tried (nil: it failed, logged once)
	down   audio.Decimator // Opus's 16 kHz down to 8 kHz
}

// payloadType is the RTP payload type the session's codec is sent and
// received under: the one agreed in SDP for a dynamic codec (Opus), else
// the codec's static one.
func (p Params) payloadType() uint8 {
	if p.Codec.Dynamic() && p.PT != 0 {
		return p.PT
	}
	return p.Codec.PayloadType()
}

// eventClock is telephone-event's RTP clock: EventClock, or 8000.
func (p Params) eventClock() int {
	if p.EventClock > 0 {
		return p.EventClock
	}
	return audio.SampleRate
}

// eventClock is the session's telephone-event clock now.
func (s *Session) eventClock() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.params.eventClock()
}

// encode codes one relayed frame (8 kHz, or 16 kHz when wide) into dst
// for codec c; false when it cannot (a 16 kHz frame for a G.711 leg, met
// only while a codec changes, is dropped). It allocates nothing.
func (t *txCoders) encode(dst []byte, c audio.Codec, frame []int16, wide bool) bool {
	switch {
	case c == audio.G722 && wide:
		t.g722.Encode(dst, frame[:wideFrame])
	case c == audio.G722:
		t.g722.EncodeNarrow(dst, frame[:frameSamples])
	case c == audio.Opus:
		if t.opus == nil {
			return false
		}
		pcm := frame[:wideFrame]
		if !wide {
			t.up.Up(t.wide[:], frame[:frameSamples])
			pcm = t.wide[:]
		}
		return t.opus.Encode(dst, pcm) == nil
	case wide:
		return false
	default:
		audio.EncodeG711(dst, frame[:frameSamples], c)
	}
	return true
}

// use readies the encoders codec c needs (once per session).
func (t *txCoders) use(c audio.Codec, log func(err error)) {
	switch c {
	case audio.G722:
		if t.g722 == nil {
			t.g722 = new(audio.G722Encoder)
		}
	case audio.Opus:
		if t.opus == nil {
			enc, err := opus.NewEncoder()
			if err != nil {
				log(err)
				return
			}
			t.opus = enc
		}
	case audio.PCMU, audio.PCMA:
	}
}

func fillSilence(b []byte, c audio.Codec) {
	if c == audio.Opus {
		opus.Silence(b)
		return
	}
	v := c.SilenceByte()
	for i := range b {
		b[i] = v
	}
}

// opus decodes one Opus payload from the peer and routes it: at 16 kHz
// across a bridge to a leg that sends wideband, else brought to 8 kHz
// (the digit detector, a recording, a G.711 leg) into pcm, the loop's
// buffer. A payload libopus cannot decode is an error (counted as
// malformed by the caller).
func (in *input) opus(rx *rxCoders, payload []byte, pcm []int16) error {
	wide, err := rx.opus.Decode(payload)
	if err != nil {
		return err
	}
	r := in.routing()
	if r.wideOnly() {
		r.out.relay.PushWide(wide)
		return nil
	}
	n := rx.down.Down(pcm, wide)
	r.narrow(pcm[:n])
	return nil
}

// receiveOpus decodes an Opus payload from the peer (the decoder made on
// the first one); one that will not decode is counted as malformed and
// dropped.
func (s *Session) receiveOpus(payload []byte, pcm []int16) {
	if !s.dec.opusOK {
		s.dec.opusOK = true
		dec, err := opus.NewDecoder()
		if err != nil {
			s.engine.log.Error("media: no Opus decoder: Opus audio dropped", "local", s.local.String(), "err", err)
		}
		s.dec.opus = dec
	}
	if s.dec.opus == nil {
		s.unknownPT.Add(1)
		return
	}
	if s.in.opus(&s.dec, payload, pcm) != nil {
		s.malformed.Add(1)
	}
}
