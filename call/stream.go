package call

import (
	"context"
	"errors"
	"sync"

	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/media"
	"github.com/ivrd/ivrd/sip"
)

// MediaStream is one open media stream (package stream's Stream is
// one): a tap on the call's audio, a feed of the far end's, and its
// outcome once Done.
type MediaStream interface {
	media.Tap
	media.Feed
	ID() string
	Digit(k byte)
	Done() <-chan struct{}
	Result() (*ivr.Answer, error)
	Stop()
	Dropped() uint64
}

// StreamOpen is a stream to open for a call.
type StreamOpen struct {
	Spec   ivr.Stream // variables already put in
	CallID string
	Node   string
	// Decode reads the far end's end destination; nil: not accepted
	// (the API's streams just end).
	Decode func(raw []byte) (*ivr.Answer, error)
}

// Streamer opens media streams; it returns at once and the stream
// connects on its own (node wires package stream's Dialer). It ends
// when ctx does.
type Streamer interface {
	Open(ctx context.Context, o StreamOpen) MediaStream
}

// Errors of the streams on a call.
var (
	ErrTooManyStreams = errors.New("the call has as many streams open as streams.max_per_call allows")
	ErrNoSuchStream   = errors.New("no such stream on this call")
	ErrNoStreamer     = errors.New("this server opens no media streams")
)

// callStreams are a call's open streams (its destination's and the
// API's), each tapping the call's media until it ends.
type callStreams struct {
	mu   sync.Mutex
	open map[string]MediaStream
}

// start opens a stream on c's media, counted against limit; onEnd runs
// (on the stream's watcher goroutine) once it is over and detached.
func (cs *callStreams) start(c *sip.Call, s Streamer, o StreamOpen, limit int, onEnd func(MediaStream)) (MediaStream, error) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if len(cs.open) >= limit {
		return nil, ErrTooManyStreams
	}
	ms := s.Open(c.Context(), o)
	if cs.open == nil {
		cs.open = map[string]MediaStream{}
	}
	cs.open[ms.ID()] = ms
	c.Media.AddTap(ms)
	if o.Spec.Bidirectional {
		c.Media.FeedFrom(ms)
	}
	go func() {
		<-ms.Done()
		c.Media.RemoveTap(ms)
		if o.Spec.Bidirectional {
			c.Media.FeedFrom(nil)
		}
		cs.mu.Lock()
		delete(cs.open, ms.ID())
		cs.mu.Unlock()
		if onEnd != nil {
			onEnd(ms)
		}
	}()
	return ms, nil
}

// take removes a stream being stopped and returns it (nil: not open):
// a stream asked to stop is no longer open, even while it closes, so a
// second stop finds nothing.
func (cs *callStreams) take(id string) MediaStream {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	ms := cs.open[id]
	delete(cs.open, id)
	return ms
}

// StartStream forks a call in progress's audio to a stream (the API's):
// it listens only, whatever the menu is doing, until StopStream, the
// far end closes, or the call ends. It returns the stream's id.
func (g *Live) StartStream(id string, s Streamer, o StreamOpen, limit int) (string, error) {
	e := g.get(id)
	if e == nil {
		return "", ErrNoSuchCall
	}
	if s == nil {
		return "", ErrNoStreamer
	}
	o.CallID, o.Spec.Bidirectional, o.Decode = id, false, nil
	log := e.c.Log
	ms, err := e.streams.start(e.c, s, o, limit, func(ms MediaStream) {
		log.Info("api stream ended", "stream", ms.ID(), "dropped", ms.Dropped())
	})
	if err != nil {
		return "", err
	}
	log.Info("api stream started", "stream", ms.ID())
	return ms.ID(), nil
}

// StopStream ends a stream on a call in progress (any of its streams:
// a stream destination's then goes on as if the far end closed it).
func (g *Live) StopStream(id, streamID string) error {
	e := g.get(id)
	if e == nil {
		return ErrNoSuchCall
	}
	ms := e.streams.take(streamID)
	if ms == nil {
		return ErrNoSuchStream
	}
	ms.Stop()
	return nil
}

// stream opens a stream destination's stream; its end comes back as
// ivr.StreamEnded.
func (r *run) stream(a ivr.StartStream) {
	var s Streamer
	if r.h.opt.Streamer != nil {
		s = r.h.opt.Streamer(r.snap.Config)
	}
	if s == nil {
		r.log.Warn("stream: no media streams on this server: fallback", "url", a.Written)
		r.queued = append(r.queued, ivr.StreamEnded{ID: a.ID, Err: ErrNoStreamer})
		return
	}
	cfg, names, menu := r.snap.Config, r.snap.answerPrompts(), a.IVR
	o := StreamOpen{Spec: a.Spec, CallID: r.rec.CallID, Node: r.h.opt.Node,
		Decode: func(raw []byte) (*ivr.Answer, error) { return cfg.DecodeAnswer(raw, menu, names) }}
	id := a.ID
	ms, err := r.live.streams.start(r.c, s, o, cfg.Streams.PerCall(), func(ms MediaStream) {
		ans, err := ms.Result()
		if n := ms.Dropped(); n > 0 {
			r.log.Warn("stream: the far end read too slowly: frames dropped", "stream", ms.ID(), "dropped", n)
		}
		r.post(ivr.StreamEnded{ID: id, Answer: ans, Err: err})
	})
	if err != nil {
		r.log.Warn("stream not opened: fallback", "url", a.Written, "err", err.Error())
		r.queued = append(r.queued, ivr.StreamEnded{ID: a.ID, Err: err})
		return
	}
	r.streamOn, r.streamID = ms, a.ID
	r.log.Info("stream", "stream", ms.ID(), "url", a.Written, "bidirectional", a.Spec.Bidirectional, "track", string(a.Spec.Track))
}

// stopStream closes the destination's stream (its timeout, or the menu
// ending the call).
func (r *run) stopStream(id int) {
	if r.streamOn != nil && r.streamID == id {
		r.streamOn.Stop()
		r.streamOn = nil
	}
}

// streamDigit hands a key to the destination's stream, if one is open.
func (r *run) streamDigit(ev ivr.Event) {
	if k, ok := ev.(ivr.DigitPressed); ok && r.streamOn != nil {
		r.streamOn.Digit(k.Key)
	}
}

// streamEnded forgets the destination's stream once it is over.
func (r *run) streamEnded(ev ivr.Event) {
	if e, ok := ev.(ivr.StreamEnded); ok && e.ID == r.streamID {
		r.streamOn = nil
	}
}
