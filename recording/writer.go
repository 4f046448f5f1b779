package recording

import (
	"bufio"
	"encoding/binary"
	"time"
)

// batch is how many frames a writer takes from its ring at once.
const batch = 64

// lagFrames bounds how far the caller's side may run ahead of the sent
// side (a burst after a network stall): beyond it the oldest is dropped,
// so the two channels stay within 200 ms of each other.
const lagFrames = 10

// writer turns tapped frames into interleaved (or mixed) 16-bit samples.
// The sent stream is the clock: each frame sent is 20 ms of the file,
// and the caller's audio that came meanwhile fills the other channel (a
// gap, silence). Everything it needs is allocated when it is made.
type writer struct {
	out      *bufio.Writer
	format   Format
	rate     int
	frames   [batch]frame
	left     []int16 // the caller's audio waiting for its place, up to lagFrames
	sent     []int16 // one decoded sent frame
	samples  []byte  // one frame's output
	written  uint32  // data bytes
	hdr      [wavHeaderLen]byte
	perFrame int // samples per 20 ms at rate
}

func newWriter(f File, format Format, rate int) *writer {
	per := rate / 50
	return &writer{out: bufio.NewWriterSize(f, 32<<10), format: format, rate: rate, perFrame: per,
		left: make([]int16, 0, lagFrames*per+maxFrame), sent: make([]int16, 0, maxFrame),
		samples: make([]byte, 0, 2*2*maxFrame)}
}

// header writes the WAV header with no data yet.
func (w *writer) header() error {
	wavHeader(&w.hdr, w.format.Channels(), w.rate, 0)
	if _, err := w.out.Write(w.hdr[:]); err != nil {
		return err
	}
	return w.out.Flush()
}

func (w *writer) flush() error { return w.out.Flush() }

func (w *writer) dataBytes() uint32 { return w.written }

func (w *writer) duration() time.Duration {
	per := uint32(2 * w.format.Channels())
	return time.Duration(w.written/per) * time.Second / time.Duration(w.rate)
}

// take writes everything r holds.
func (w *writer) take(r *ring) error {
	for {
		n := r.read(w.frames[:])
		for i := range n {
			if err := w.frame(&w.frames[i]); err != nil {
				return err
			}
		}
		if n < batch {
			return nil
		}
	}
}

// frame handles one tapped frame: a received one waits in left, a sent
// one is written with the caller's audio of the same moment.
func (w *writer) frame(f *frame) error {
	pcm := f.pcm[:f.n]
	if !f.sent {
		if over := len(w.left) + len(pcm) - cap(w.left); over > 0 {
			w.left = w.left[:copy(w.left, w.left[min(over, len(w.left)):])]
		}
		w.left = append(w.left, pcm[:min(len(pcm), cap(w.left)-len(w.left))]...)
		return nil
	}
	w.sent = append(w.sent[:0], pcm...)
	return w.emit()
}

// emit writes one sent frame beside as much of the caller's audio.
func (w *writer) emit() error {
	n := len(w.sent)
	take := min(n, len(w.left))
	w.samples = w.samples[:0]
	le := binary.LittleEndian
	for i := range n {
		var l int16
		if i < take {
			l = w.left[i]
		}
		r := w.sent[i]
		if w.format == Mono {
			w.samples = le.AppendUint16(w.samples, uint16(clip(int32(l)+int32(r))))
			continue
		}
		w.samples = le.AppendUint16(w.samples, uint16(l))
		w.samples = le.AppendUint16(w.samples, uint16(r))
	}
	w.left = w.left[:copy(w.left, w.left[take:])]
	if _, err := w.out.Write(w.samples); err != nil {
		return err
	}
	w.written += uint32(len(w.samples))
	return nil
}

func clip(v int32) int16 {
	switch {
	case v > 32767:
		return 32767
	case v < -32768:
		return -32768
	}
	return int16(v)
}
