package media

import (
	"sync"

	"github.com/ivrd/ivrd/audio"
)

// relayDepth is the relay's jitter allowance in 20 ms frames: beyond it the
// oldest audio is dropped so the delay through a bridge stays bounded.
const relayDepth = 6

// Relay carries audio from one call leg to another: the receiving side of
// one session pushes decoded samples in, the pacer of the other session
// takes one frame per 20 ms and encodes it in that leg's codec. So each
// leg sees one continuous stream with its own SSRC, sequence and
// timestamps, and PCMU on one side meets PCMA on the other.
type Relay struct {
	mu     sync.Mutex
	frames [relayDepth][frameSamples]int16
	head   int // next frame to send
	count  int // complete frames queued
	fill   int // samples in the frame being filled
}

// Push adds received samples (any length).
func (r *Relay) Push(pcm []int16) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for len(pcm) > 0 {
		if r.count == relayDepth {
			r.head = (r.head + 1) % relayDepth // full: drop the oldest
			r.count--
		}
		tail := (r.head + r.count) % relayDepth
		n := copy(r.frames[tail][r.fill:], pcm)
		pcm = pcm[n:]
		r.fill += n
		if r.fill == frameSamples {
			r.count++
			r.fill = 0
		}
	}
}

// pop encodes the oldest frame into dst; false when nothing is queued.
func (r *Relay) pop(dst []byte, c audio.Codec) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.count == 0 {
		return false
	}
	audio.EncodeG711(dst, r.frames[r.head][:], c)
	r.head = (r.head + 1) % relayDepth
	r.count--
	return true
}
