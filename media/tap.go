package media

import (
	"sync"
	"sync/atomic"

	"github.com/ivrd/ivrd/audio"
)

// TapDirection says which way a tapped frame went.
type TapDirection uint8

// The directions.
const (
	TapReceived TapDirection = iota + 1 // from the peer (the caller)
	TapSent                             // to the peer (prompts, relayed audio, silence)
)

// TapPayloadMax is the largest payload a tapped frame keeps: 40 ms of
// G.711, far more than any peer sends a packet (a longer one is cut).
const TapPayloadMax = 320

// TapFrame is one packet's payload as it was sent or received: still
// encoded (the reader decodes it, off the media path).
type TapFrame struct {
	Dir   TapDirection
	Codec audio.Codec
	Len   int
	Data  [TapPayloadMax]byte
}

// Payload is the frame's bytes.
func (f *TapFrame) Payload() []byte { return f.Data[:f.Len] }

// Tap copies a session's audio, both ways, into a bounded ring of frames
// allocated once: the media path only copies a payload into the next
// slot (never blocks, never allocates), and a reader that is not the
// media core takes them out in batches (Read). When the reader falls so
// far behind that the ring is full, new frames are dropped and counted.
type Tap struct {
	mu      sync.Mutex
	ring    []TapFrame
	head    int // the oldest frame
	count   int
	dropped atomic.Uint64
}

// NewTap makes a tap holding up to frames packets (both directions
// together; 100 a second on a 20 ms call).
func NewTap(frames int) *Tap {
	return &Tap{ring: make([]TapFrame, max(frames, 2))}
}

// put copies one payload in; called on the media path.
func (t *Tap) put(dir TapDirection, c audio.Codec, payload []byte) {
	t.mu.Lock()
	if t.count == len(t.ring) {
		t.mu.Unlock()
		t.dropped.Add(1)
		return
	}
	f := &t.ring[(t.head+t.count)%len(t.ring)]
	f.Dir, f.Codec = dir, c
	f.Len = copy(f.Data[:], payload)
	t.count++
	t.mu.Unlock()
}

// Read moves up to len(dst) of the oldest frames into dst and returns how
// many. It never waits.
func (t *Tap) Read(dst []TapFrame) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for n < len(dst) && t.count > 0 {
		dst[n] = t.ring[t.head]
		t.head = (t.head + 1) % len(t.ring)
		t.count--
		n++
	}
	return n
}

// Dropped is how many frames did not fit.
func (t *Tap) Dropped() uint64 { return t.dropped.Load() }

// SetTap starts copying the session's audio, both ways, into t (nil
// stops). One tap at a time: a recording.
func (s *Session) SetTap(t *Tap) {
	s.mu.Lock()
	s.tap = t
	s.mu.Unlock()
}
