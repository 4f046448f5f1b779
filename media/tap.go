package media

import (
	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/audio/opus"
)

// FrameSamples is one 20 ms frame at 8 kHz: the size of every frame a
// Tap sees and a Feed gives.
const FrameSamples = frameSamples

// Tap sees a session's audio at 8 kHz in both directions: Inbound what
// the peer sent (decoded), Outbound what the session sent (prompts,
// relayed or fed audio, silence; one frame a tick). A media stream to a
// bot is one. Both are called on the pacer's loop: they must not block,
// must not call back into the session, and must copy what they keep
// (pcm is reused).
type Tap interface {
	Inbound(pcm []int16)
	Outbound(pcm []int16)
}

// Feed is audio a session plays when neither a prompt nor a bridge's
// relay has a frame: a bot's answer on a media stream. NextFrame fills
// pcm (FrameSamples, 8 kHz) and reports whether it had a frame; it is
// called under the session's lock on the pacer's loop, so it must not
// block or call back into the session. The pacer's own tick paces it:
// there is no second clock.
type Feed interface {
	NextFrame(pcm []int16) bool
}

// taps are a session's taps and feed. The slice is replaced, never
// changed in place, so the loops read it under a lock without copying.
type taps struct {
	list []Tap
	// out and dec are the pacer's: the frame just sent, decoded (dec for
	// a G.722 session, made when the first tap is added).
	out [frameSamples]int16
	dec *audio.G722Decoder
	// opusDec decodes an Opus session's sent frames for the taps, down
	// to 8 kHz through down.
	opusDec   *opus.Decoder
	opusTried bool
	down      audio.Decimator
	// fed is the feed's frame before encoding.
	fed [frameSamples]int16
}

// AddTap starts handing the session's audio to t as well.
func (s *Session) AddTap(t Tap) {
	s.in.mu.Lock()
	s.in.taps = append(append([]Tap(nil), s.in.taps...), t)
	s.in.mu.Unlock()
	s.mu.Lock()
	s.tap.list = append(append([]Tap(nil), s.tap.list...), t)
	if s.tap.dec == nil {
		s.tap.dec = new(audio.G722Decoder) // once per tapped session
	}
	s.mu.Unlock()
}

// RemoveTap stops handing audio to t. A frame the loops took the tap
// list for just before may still reach t once after it returns.
func (s *Session) RemoveTap(t Tap) {
	s.in.mu.Lock()
	s.in.taps = without(s.in.taps, t)
	s.in.mu.Unlock()
	s.mu.Lock()
	s.tap.list = without(s.tap.list, t)
	s.mu.Unlock()
}

func without(list []Tap, t Tap) []Tap {
	out := make([]Tap, 0, len(list))
	for _, x := range list {
		if x != t {
			out = append(out, x)
		}
	}
	return out
}

// FeedFrom makes the session play what f gives whenever no prompt or
// relay has a frame (nil: stop).
func (s *Session) FeedFrom(f Feed) {
	s.mu.Lock()
	s.feed = f
	s.mu.Unlock()
}

// otherFrame fills payload from the bridge's relay or else the feed;
// false when neither has a frame. Called by sendFrame with mu held.
func (s *Session) otherFrame(payload []byte) bool {
	if s.relay != nil && s.relay.pop(payload, s.params.Codec, &s.enc) {
		return true
	}
	if s.feed == nil || !s.feed.NextFrame(s.tap.fed[:]) {
		return false
	}
	return s.enc.encode(payload, s.params.Codec, s.tap.fed[:], false)
}

// sentFrame decodes the frame just sent for the taps (with mu held) and
// returns them, to be called once the lock is released.
func (s *Session) sentFrame(payload []byte) []Tap {
	if len(s.tap.list) == 0 {
		return nil
	}
	switch s.params.Codec {
	case audio.G722:
		s.tap.dec.DecodeNarrow(s.tap.out[:], payload)
	case audio.Opus:
		s.tap.opusOut(payload)
	case audio.PCMU, audio.PCMA:
		audio.DecodeG711(s.tap.out[:], payload, s.params.Codec)
	}
	return s.tap.list
}

// opusOut decodes the Opus frame just sent, at 8 kHz, into out: a tapped
// Opus call costs one more decoder (made on first use; silence if it
// cannot be made or the frame does not decode).
func (t *taps) opusOut(payload []byte) {
	if t.opusDec == nil && !t.opusTried {
		t.opusTried = true
		t.opusDec, _ = opus.NewDecoder()
	}
	clear(t.out[:])
	if t.opusDec == nil {
		return
	}
	wide, err := t.opusDec.Decode(payload)
	if err != nil {
		return
	}
	t.down.Down(t.out[:], wide)
}

// tapIn hands a decoded frame from the peer to the taps.
func tapIn(list []Tap, pcm []int16) {
	for _, t := range list {
		t.Inbound(pcm)
	}
}
