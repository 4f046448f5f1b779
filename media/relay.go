package media

import (
	"sync"

	"github.com/ivrd/ivrd/audio"
)

// relayDepth is the relay's jitter allowance in 20 ms frames: beyond it the
// oldest audio is dropped so the delay through a bridge stays bounded.
const relayDepth = 6

// wideFrame is one 20 ms frame at 16 kHz.
const wideFrame = audio.G722FrameSamples

// Relay carries audio from one call leg to another: the receiving side of
// one session pushes decoded samples in, the pacer of the other session
// takes one frame per 20 ms and encodes it in that leg's codec. So each
// leg sees one continuous stream with its own SSRC, sequence and
// timestamps, and PCMU on one side meets PCMA or G.722 on the other.
//
// It carries 8 kHz audio, or 16 kHz while a G.722 leg feeds a G.722 leg
// (Push or PushWide: a change of rate empties it and starts again), so
// two wideband legs keep their band and every other pair meets at 8 kHz.
type Relay struct {
	mu     sync.Mutex
	frames [relayDepth][wideFrame]int16
	wide   bool // frames are 16 kHz (wideFrame samples), else 8 kHz
	head   int  // next frame to send
	count  int  // complete frames queued
	fill   int  // samples in the frame being filled
}

// Push adds received 8 kHz samples (any length).
func (r *Relay) Push(pcm []int16) { r.push(pcm, false) }

// PushWide adds received 16 kHz samples (any length).
func (r *Relay) PushWide(pcm []int16) { r.push(pcm, true) }

func (r *Relay) push(pcm []int16, wide bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if wide != r.wide {
		r.wide, r.head, r.count, r.fill = wide, 0, 0, 0
	}
	size := frameSamples
	if wide {
		size = wideFrame
	}
	for len(pcm) > 0 {
		if r.count == relayDepth {
			r.head = (r.head + 1) % relayDepth // full: drop the oldest
			r.count--
		}
		tail := (r.head + r.count) % relayDepth
		n := copy(r.frames[tail][r.fill:size], pcm)
		pcm = pcm[n:]
		r.fill += n
		if r.fill == size {
			r.count++
			r.fill = 0
		}
	}
}

// pop encodes the oldest frame into dst in codec c (t: the leg's
// encoders); false when nothing is queued. A 16 kHz frame for a G.711
// leg (only while a codec changes) is dropped.
func (r *Relay) pop(dst []byte, c audio.Codec, t *txCoders) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.count == 0 {
		return false
	}
	frame := &r.frames[r.head]
	r.head = (r.head + 1) % relayDepth
	r.count--
	return t.encode(dst, c, frame[:], r.wide)
}
