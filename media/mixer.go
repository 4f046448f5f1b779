package media

import (
	"sync"
	"sync/atomic"
)

// Conference mixing. A Mixer is a room: each participant's session keeps
// its own codec, SSRC and clock; what it receives is decoded (the
// session's Listen) into the participant's input queue, and once every
// 20 ms, on the tick of the pacer the room was given, the mixer takes one
// frame from each input, adds up the active talkers and pushes to each
// participant the total minus its own contribution (N-1), clipped to 16
// bits, into the Relay its session sends from (re-encoded there in that
// session's codec, as a bridge does). Plain calls never meet any of this:
// a pacer with no rooms only checks an empty list once per 20 ms.
//
// A participant counts as talking while its frames' energy is above
// TalkThreshold, and for TalkHangover frames after (so word endings are
// not clipped); the others are left out of the sum, so a large room with
// a few talkers costs a few talkers. Gain is per participant (mute is a
// gain of 0). A tick allocates nothing.

// Silence gate and gain settings.
const (
	// TalkThreshold is the mean square (of 16-bit samples) a frame must
	// reach to count as speech: an RMS of 200, about -44 dBFS.
	TalkThreshold = 200 * 200
	// TalkHangover is how many 20 ms frames a talker stays in the mix
	// after its last frame above the threshold.
	TalkHangover = 10
	// UnityGain is a participant's gain at 1.0 (gains are fixed point).
	UnityGain = 256
	maxGain   = 4 * UnityGain
)

// Mixer is one conference room's mix. Make it with Engine.NewMixer and
// Close it when the room is empty.
type Mixer struct {
	pacer *pacer

	mu     sync.Mutex
	parts  []*Participant
	sum    [frameSamples]int32
	out    [frameSamples]int16
	tone   []int16      // an announcement being mixed in, immutable
	skip   *Participant // who does not hear the announcement
	closed bool
	// taps see the room's whole mix (a room recording); all is that mix
	// and quiet a silent frame, both reused every tick.
	taps  []Tap
	all   [frameSamples]int16
	quiet [frameSamples]int16
}

// Participant is one session in a room.
type Participant struct {
	m  *Mixer
	s  *Session // nil in tests that drive the mixer by hand
	in Relay    // what the participant said, decoded, waiting for the tick
	// out is what the session sends: its mix, one frame per tick.
	out Relay
	// listen is in.Push as a func value, made once at join (a method
	// value allocates).
	listen func([]int16)

	// Guarded by m.mu.
	gain   int32 // fixed point, UnityGain = 1.0
	muted  bool
	frame  [frameSamples]int16
	has    bool // frame holds this tick's audio
	active bool // frame is in this tick's sum
	hang   int  // frames left before the silence gate closes

	talking atomic.Bool
	mutedAt atomic.Bool // muted, readable without the room's lock
}

// NewMixer makes an empty room mixed on the tick of the least loaded
// pacer.
func (e *Engine) NewMixer() *Mixer {
	m := &Mixer{pacer: e.leastLoaded()}
	m.pacer.mixers.add(m)
	return m
}

// Join adds s to the room: from now on it hears the others' mix (a prompt
// played to it still takes precedence) and its audio is mixed for them.
// Its digit sink keeps hearing its keys. muted joins it with gain 0.
func (m *Mixer) Join(s *Session, muted bool) *Participant {
	p := m.add(s, muted)
	if s != nil {
		s.Listen(p.listen)
		s.RelayFrom(&p.out)
	}
	return p
}

func (m *Mixer) add(s *Session, muted bool) *Participant {
	p := &Participant{m: m, s: s, gain: UnityGain, muted: muted}
	p.listen = p.in.Push
	p.mutedAt.Store(muted)
	m.mu.Lock()
	m.parts = append(m.parts, p)
	m.mu.Unlock()
	return p
}

// Leave takes p out of the room; its session goes back to prompts and
// silence and its audio to nobody but its digit sink. Idempotent.
func (p *Participant) Leave() {
	m := p.m
	m.mu.Lock()
	for i, x := range m.parts {
		if x == p {
			last := len(m.parts) - 1
			m.parts[i] = m.parts[last]
			m.parts[last] = nil
			m.parts = m.parts[:last]
			break
		}
	}
	if m.skip == p {
		m.skip = nil
	}
	m.mu.Unlock()
	if p.s != nil {
		p.s.Listen(nil)
		p.s.RelayFrom(nil)
	}
	p.talking.Store(false)
}

// SetMuted mutes (gain 0 while muted) or unmutes p.
func (p *Participant) SetMuted(muted bool) {
	p.m.mu.Lock()
	p.muted = muted
	p.m.mu.Unlock()
	p.mutedAt.Store(muted)
}

// Muted reports whether p is muted.
func (p *Participant) Muted() bool { return p.mutedAt.Load() }

// SetGain sets p's gain in UnityGain units (256 = as received), capped
// at 4x; negative counts as 0.
func (p *Participant) SetGain(g int32) {
	p.m.mu.Lock()
	p.gain = min(max(g, 0), maxGain)
	p.m.mu.Unlock()
}

// Talking reports whether p's audio is passing the silence gate.
func (p *Participant) Talking() bool { return p.talking.Load() }

// Announce mixes pcm (a tone: someone joined or left) into what every
// participant but skip hears, from the next tick. pcm must not change
// afterwards; a new announcement replaces one still playing.
func (m *Mixer) Announce(pcm []int16, skip *Participant) {
	m.mu.Lock()
	m.tone, m.skip = pcm, skip
	m.mu.Unlock()
}

// AddTap hands t the room's whole mix from the next tick: everyone who
// talks (not muted) and the join and leave tones, clipped to 16 bits, at
// 8 kHz, one frame (FrameSamples) every tick as Outbound, silence
// included, so that a recording keeps the room's time; Inbound is never
// called. t is called on the pacer's loop with the room's lock held: it
// must copy the frame and return at once (a recording's ring does).
func (m *Mixer) AddTap(t Tap) {
	m.mu.Lock()
	m.taps = append(m.taps, t)
	m.mu.Unlock()
}

// RemoveTap stops handing the mix to t; once it returns, t is not called
// again.
func (m *Mixer) RemoveTap(t Tap) {
	m.mu.Lock()
	m.taps = without(m.taps, t)
	m.mu.Unlock()
}

// Count is the number of participants.
func (m *Mixer) Count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.parts)
}

// Close stops mixing the room; participants still in it hear silence.
func (m *Mixer) Close() {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	m.closed = true
	m.mu.Unlock()
	m.pacer.mixers.remove(m)
}

// tick mixes one 20 ms frame for everyone in the room.
func (m *Mixer) tick() {
	m.mu.Lock()
	defer m.mu.Unlock()
	talkers := 0
	for _, p := range m.parts {
		p.gate()
		if p.active {
			talkers++
		}
	}
	var tone []int16
	if len(m.tone) > 0 {
		n := min(len(m.tone), frameSamples)
		tone, m.tone = m.tone[:n], m.tone[n:]
	}
	if talkers == 0 && tone == nil {
		m.tapMix(m.quiet[:])
		return // nobody hears anything: their sessions send silence
	}
	clear(m.sum[:])
	for _, p := range m.parts {
		if p.active {
			g := p.gain
			for i, v := range p.frame {
				m.sum[i] += int32(v) * g >> 8
			}
		}
	}
	if len(m.taps) > 0 {
		for i := range m.all {
			v := m.sum[i]
			if i < len(tone) {
				v += int32(tone[i])
			}
			m.all[i] = clip16(v)
		}
		m.tapMix(m.all[:])
	}
	for _, p := range m.parts {
		own := p.active
		hearsTone := tone != nil && p != m.skip
		if (talkers == 0 || talkers == 1 && own) && !hearsTone {
			continue // only its own voice: it hears silence
		}
		g := p.gain
		for i := range m.out {
			v := m.sum[i]
			if own {
				v -= int32(p.frame[i]) * g >> 8
			}
			if hearsTone && i < len(tone) {
				v += int32(tone[i])
			}
			m.out[i] = clip16(v)
		}
		p.out.Push(m.out[:])
	}
}

// tapMix hands this tick's whole mix to the taps (under m.mu).
func (m *Mixer) tapMix(pcm []int16) {
	for _, t := range m.taps {
		t.Outbound(pcm)
	}
}

// gate takes this tick's frame from the input queue and decides whether
// it goes in the sum: above the threshold (or within the hangover after
// it), and not muted.
func (p *Participant) gate() {
	p.has = p.in.popPCM(p.frame[:])
	if p.has && meanSquare(p.frame[:]) >= TalkThreshold {
		p.hang = TalkHangover
	} else if p.hang > 0 {
		p.hang--
	}
	talking := p.has && p.hang > 0
	p.talking.Store(talking)
	p.active = talking && !p.muted && p.gain > 0
}

func meanSquare(pcm []int16) int64 {
	var e int64
	for _, v := range pcm {
		e += int64(v) * int64(v)
	}
	return e / int64(len(pcm))
}

func clip16(v int32) int16 {
	switch {
	case v > 32767:
		return 32767
	case v < -32768:
		return -32768
	}
	return int16(v)
}

// popPCM takes the oldest queued frame as samples; false when nothing is
// queued.
func (r *Relay) popPCM(dst []int16) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.count == 0 {
		return false
	}
	copy(dst, r.frames[r.head][:])
	r.head = (r.head + 1) % relayDepth
	r.count--
	return true
}

// mixerSet is a pacer's rooms, mixed once per 20 ms on its loop.
type mixerSet struct {
	n     atomic.Int32 // len(rooms): a pacer without rooms takes no lock
	mu    sync.Mutex
	rooms []*Mixer
	batch []*Mixer
}

func (ms *mixerSet) add(m *Mixer) {
	ms.mu.Lock()
	ms.rooms = append(ms.rooms, m)
	ms.n.Store(int32(len(ms.rooms)))
	ms.mu.Unlock()
}

func (ms *mixerSet) remove(m *Mixer) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	for i, x := range ms.rooms {
		if x == m {
			last := len(ms.rooms) - 1
			ms.rooms[i] = ms.rooms[last]
			ms.rooms[last] = nil
			ms.rooms = ms.rooms[:last]
			ms.n.Store(int32(last))
			return
		}
	}
}

// tick mixes every room; copied under the lock and mixed outside it, so
// opening a room never waits for a mix.
func (ms *mixerSet) tick() {
	if ms.n.Load() == 0 {
		return
	}
	ms.mu.Lock()
	ms.batch = append(ms.batch[:0], ms.rooms...)
	ms.mu.Unlock()
	for i, m := range ms.batch {
		m.tick()
		ms.batch[i] = nil
	}
}
