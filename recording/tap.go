package recording

import (
	"sync"
	"sync/atomic"

	"github.com/ivrd/ivrd/media"
)

// maxFrame is the most samples a tapped frame keeps: 60 ms at 8 kHz, more
// than any peer sends in a packet (a longer one is cut).
const maxFrame = 3 * media.FrameSamples

// frame is one tapped frame: what the peer sent (Inbound) or what the
// session sent (Outbound), decoded at 8 kHz.
type frame struct {
	sent bool
	n    int
	pcm  [maxFrame]int16
}

// ring is a recording's media.Tap: a bounded ring of frames allocated
// once. The media path only copies a frame into the next slot (never
// waits, never allocates); the writer takes them out in batches. When
// the writer falls so far behind that the ring is full, new frames are
// dropped and counted.
type ring struct {
	mu      sync.Mutex
	frames  []frame
	head    int // the oldest frame
	count   int
	dropped atomic.Uint64
}

func newRing(frames int) *ring { return &ring{frames: make([]frame, max(frames, 2))} }

// Inbound implements media.Tap: the peer's audio (the caller's).
func (r *ring) Inbound(pcm []int16) { r.put(false, pcm) }

// Outbound implements media.Tap: what the session sent the peer.
func (r *ring) Outbound(pcm []int16) { r.put(true, pcm) }

func (r *ring) put(sent bool, pcm []int16) {
	r.mu.Lock()
	if r.count == len(r.frames) {
		r.mu.Unlock()
		r.dropped.Add(1)
		return
	}
	f := &r.frames[(r.head+r.count)%len(r.frames)]
	f.sent = sent
	f.n = copy(f.pcm[:], pcm)
	r.count++
	r.mu.Unlock()
}

// read moves up to len(dst) of the oldest frames into dst.
func (r *ring) read(dst []frame) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for n < len(dst) && r.count > 0 {
		dst[n] = r.frames[r.head]
		r.head = (r.head + 1) % len(r.frames)
		r.count--
		n++
	}
	return n
}
