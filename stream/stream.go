package stream

import (
	"context"
	"encoding/base64"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/ivr"
)

// FrameSamples is one 20 ms frame at 8 kHz: what the taps hand over and
// the feed gives.
const FrameSamples = 160

// Bounds of what a far end may queue.
const (
	// MaxPlay is the most audio a far end may have waiting to be
	// played; beyond it what it sends is dropped (and counted).
	MaxPlay = 20 * time.Second
	// maxMarks bounds the marks waiting for their audio to play.
	maxMarks = 1024
	// closeGrace is how long the stop message and the close may take
	// once the stream ends before the connection is cut.
	closeGrace = 2 * time.Second
)

// Tracks as the media messages name them.
const (
	trackInbound  = 0
	trackOutbound = 1
)

// Request is a stream to open.
type Request struct {
	URL        string
	Headers    map[string]string
	Parameters map[string]string // the start message's customParameters
	BothTracks bool              // also what the call hears (track outbound)
	// Bidirectional plays the far end's media messages to the caller.
	Bidirectional bool
	Wide          bool   // pcm16k: L16 at 16 kHz both ways, else µ-law 8 kHz
	CallID, Node  string // the start message's callSid and accountSid
	// Decode reads the destination of the far end's end message (an ask
	// answer); nil: an end message just ends the stream.
	Decode func(raw []byte) (*ivr.Answer, error)
}

// RequestFor is the request for a stream destination's settings.
func RequestFor(s ivr.Stream, callID, node string) Request {
	return Request{URL: s.URL, Headers: s.Headers, Parameters: s.Parameters, BothTracks: s.Track == ivr.TrackBoth,
		Bidirectional: s.Bidirectional, Wide: s.Format == ivr.FormatPCM16k, CallID: callID, Node: node}
}

// frame is one captured 20 ms frame waiting to be sent.
type frame struct {
	pcm   [FrameSamples]int16
	track uint8
	chunk uint64
}

// mark waits for the audio queued before it to be played.
type mark struct {
	name string
	at   uint64 // samples pushed when it came
}

// Stream is one open (or opening) stream. Its Inbound, Outbound and
// NextFrame are the media side (see the package doc); the rest may be
// called from any goroutine.
type Stream struct {
	d    *Dialer
	req  Request
	sid  string
	wake chan struct{} // cap 1: something to send

	endOnce sync.Once
	done    chan struct{} // closed when the stream is over for the call
	answer  *ivr.Answer
	err     error
	farGone atomic.Bool // the far end closed: no stop message

	mu     sync.Mutex
	ring   []frame // the send queue, oldest at head
	head   int
	count  int
	chunks [2]uint64
	// play: the far end's audio (8 kHz) not yet played, from playAt;
	// pushed and played count samples since the start, for marks.
	play     []int16
	playAt   int
	pushed   uint64
	played   uint64
	waited   bool // a partial last frame already waited one tick
	marks    []mark
	digits   []byte
	dropped  atomic.Uint64
	sentMsgs atomic.Uint64

	// The writer's own (one goroutine).
	seq   uint64
	cur   frame
	enc   []byte
	wide  []int16
	b64   []byte
	buf   []byte
	prev  [2]int16 // the last sample of each track, for the 16 kHz upsampling
	due   []string
	keys  []byte
	rdBuf []byte // the reader's base64 decoding buffer
}

// ID is the stream's streamSid.
func (s *Stream) ID() string { return s.sid }

// Done is closed when the stream is over for the call: the far end
// closed or ended it, it failed, Stop was called or the call ended.
func (s *Stream) Done() <-chan struct{} { return s.done }

// Result is how the stream ended (valid once Done is closed): the far
// end's destination (nil: none), or why it failed.
func (s *Stream) Result() (*ivr.Answer, error) { return s.answer, s.err }

// Dropped is how many frames the far end lost by reading too slowly.
func (s *Stream) Dropped() uint64 { return s.dropped.Load() }

// Sent is how many media messages went out.
func (s *Stream) Sent() uint64 { return s.sentMsgs.Load() }

// Stop ends the stream from ivrd's side: the far end gets a stop
// message and the connection closes.
func (s *Stream) Stop() { s.end(nil, nil) }

// end sets the outcome once and lets everything wind down.
func (s *Stream) end(a *ivr.Answer, err error) {
	s.endOnce.Do(func() {
		s.answer, s.err = a, err
		close(s.done)
	})
}

// Inbound takes a frame the caller sent (media side: copies, never blocks).
func (s *Stream) Inbound(pcm []int16) { s.capture(pcm, trackInbound) }

// Outbound takes a frame the caller heard (track both only).
func (s *Stream) Outbound(pcm []int16) {
	if s.req.BothTracks {
		s.capture(pcm, trackOutbound)
	}
}

// capture queues a frame, the oldest dropped when the queue is full.
func (s *Stream) capture(pcm []int16, track uint8) {
	if len(pcm) != FrameSamples {
		return
	}
	s.mu.Lock()
	s.chunks[track]++
	if s.count == len(s.ring) {
		s.head = (s.head + 1) % len(s.ring)
		s.count--
		s.dropped.Add(1)
		s.d.dropped.Add(1)
	}
	f := &s.ring[(s.head+s.count)%len(s.ring)]
	copy(f.pcm[:], pcm)
	f.track, f.chunk = track, s.chunks[track]
	s.count++
	s.mu.Unlock()
	s.signal()
}

func (s *Stream) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// NextFrame gives the next 20 ms of the far end's audio (media side).
// A last partial frame waits one tick for the rest, then plays padded
// with silence.
func (s *Stream) NextFrame(pcm []int16) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.play) - s.playAt
	if n == 0 || n < len(pcm) && !s.waited {
		s.waited = n > 0
		return false
	}
	s.waited = false
	c := copy(pcm, s.play[s.playAt:])
	clear(pcm[c:])
	s.playAt += c
	s.played += uint64(c)
	if len(s.marks) > 0 && s.marks[0].at <= s.played {
		s.signal()
	}
	return true
}

// Digit sends a key the caller pressed (a dtmf message).
func (s *Stream) Digit(k byte) {
	s.mu.Lock()
	if len(s.digits) < 64 {
		s.digits = append(s.digits, k)
	}
	s.mu.Unlock()
	s.signal()
}

// queuePlay adds the far end's audio (reader side).
func (s *Stream) queuePlay(pcm []int16) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.playAt > 0 && s.playAt*2 >= len(s.play) { // keep the slice from growing without end
		n := copy(s.play, s.play[s.playAt:])
		s.play, s.playAt = s.play[:n], 0
	}
	room := int(MaxPlay/time.Second)*audio.SampleRate - (len(s.play) - s.playAt)
	if len(pcm) > room {
		s.d.playDropped.Add(uint64(len(pcm) - max(room, 0)))
		pcm = pcm[:max(room, 0)]
	}
	s.play = append(s.play, pcm...)
	s.pushed += uint64(len(pcm))
}

// addMark queues a mark after the audio queued so far.
func (s *Stream) addMark(name string) {
	s.mu.Lock()
	if len(s.marks) < maxMarks {
		s.marks = append(s.marks, mark{name: name, at: s.pushed})
	}
	s.mu.Unlock()
	s.signal()
}

// clearPlay drops the audio waiting to be played (barge-in); every mark
// waiting becomes due and is echoed, as Twilio does.
func (s *Stream) clearPlay() {
	s.mu.Lock()
	s.played += uint64(len(s.play) - s.playAt)
	s.play, s.playAt, s.waited = s.play[:0], 0, false
	s.pushed = s.played
	s.mu.Unlock()
	s.signal()
}

// next takes what the writer sends next under the lock: one frame (ok),
// or the marks due and keys pressed.
func (s *Stream) next() (ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.due, s.keys = s.due[:0], append(s.keys[:0], s.digits...)
	s.digits = s.digits[:0]
	for len(s.marks) > 0 && s.marks[0].at <= s.played {
		s.due = append(s.due, s.marks[0].name)
		s.marks = s.marks[1:]
	}
	if s.count == 0 {
		return false
	}
	s.cur = s.ring[s.head]
	s.head = (s.head + 1) % len(s.ring)
	s.count--
	return true
}

// mediaMessage encodes s.cur into s.buf.
func (s *Stream) mediaMessage() []byte {
	f := &s.cur
	var raw []byte
	if s.req.Wide {
		prev := s.prev[f.track]
		for i, v := range f.pcm {
			s.wide[2*i] = int16((int32(prev) + int32(v)) / 2)
			s.wide[2*i+1] = v
			prev = v
		}
		s.prev[f.track] = prev
		for i, v := range s.wide {
			s.enc[2*i], s.enc[2*i+1] = byte(v), byte(uint16(v)>>8)
		}
		raw = s.enc[:2*len(s.wide)]
	} else {
		audio.EncodeG711(s.enc, f.pcm[:], audio.PCMU)
		raw = s.enc[:FrameSamples]
	}
	n := base64.StdEncoding.EncodedLen(len(raw))
	base64.StdEncoding.Encode(s.b64[:n], raw)
	track := "inbound"
	if f.track == trackOutbound {
		track = "outbound"
	}
	s.buf = s.appendMedia(s.buf[:0], track, f.chunk, (f.chunk-1)*20, s.b64[:n])
	return s.buf
}

// markMessage encodes a mark echoed back.
func (s *Stream) markMessage(name string) []byte {
	b := s.appendHead(s.buf[:0], "mark")
	b = append(b, `,"mark":{"name":`...)
	b = appendJSONString(b, name)
	s.buf = append(b, `}}`...)
	return s.buf
}

// dtmfMessage encodes a key the caller pressed.
func (s *Stream) dtmfMessage(k byte) []byte {
	b := s.appendHead(s.buf[:0], "dtmf")
	b = append(b, `,"dtmf":{"track":"inbound_track","digit":"`...)
	b = append(b, k)
	s.buf = append(b, `"}}`...)
	return s.buf
}

// stopMessage encodes the stop.
func (s *Stream) stopMessage() []byte {
	b := s.appendHead(s.buf[:0], "stop")
	b = append(b, `,"stop":{"accountSid":`...)
	b = appendJSONString(b, s.req.Node)
	b = append(b, `,"callSid":`...)
	b = appendJSONString(b, s.req.CallID)
	s.buf = append(b, `}}`...)
	return s.buf
}

// decodePlay turns a media payload into 8 kHz samples (reader side).
func (s *Stream) decodePlay(payload string) ([]int16, error) {
	need := base64.StdEncoding.DecodedLen(len(payload))
	if cap(s.rdBuf) < need {
		s.rdBuf = make([]byte, need)
	}
	n, err := base64.StdEncoding.Decode(s.rdBuf[:need], []byte(payload))
	if err != nil {
		return nil, errors.Join(ErrBadMessage, err)
	}
	raw := s.rdBuf[:n]
	if !s.req.Wide {
		pcm := make([]int16, n)
		audio.DecodeG711(pcm, raw, audio.PCMU)
		return pcm, nil
	}
	if n%4 != 0 {
		return nil, errors.Join(ErrBadMessage, errors.New("pcm16k payload of "+strconv.Itoa(n)+" bytes: want whole pairs of 16-bit samples"))
	}
	pcm := make([]int16, n/4)
	for i := range pcm { // 16 kHz to 8 kHz: the mean of each pair
		a := int32(int16(uint16(raw[4*i]) | uint16(raw[4*i+1])<<8))
		b := int32(int16(uint16(raw[4*i+2]) | uint16(raw[4*i+3])<<8))
		pcm[i] = int16((a + b) / 2)
	}
	return pcm, nil
}

// newStream makes a stream's buffers.
func newStream(d *Dialer, req Request, sid string, queue int) *Stream {
	if req.BothTracks {
		queue *= 2
	}
	s := &Stream{d: d, req: req, sid: sid, wake: make(chan struct{}, 1), done: make(chan struct{}),
		ring: make([]frame, max(queue, 1)), enc: make([]byte, 4*FrameSamples), wide: make([]int16, 2*FrameSamples),
		b64: make([]byte, base64.StdEncoding.EncodedLen(4*FrameSamples)), buf: make([]byte, 0, 2048)}
	return s
}

// ctxDone is a context that ends with the stream (for dialling).
func (s *Stream) ctxDone(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(parent)
	go func() {
		select {
		case <-s.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}
