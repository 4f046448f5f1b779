package stream

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coder/websocket"
	"github.com/ivrd/ivrd/decide"
	"github.com/ivrd/ivrd/ivr"
)

// Options tune a Dialer; zero values take the defaults.
type Options struct {
	AllowPrivate bool
	// Queue bounds each stream's send queue (ivr.DefaultStreamQueue).
	Queue     time.Duration
	UserAgent string
	Log       *slog.Logger
}

// dialTimeout bounds the WebSocket handshake.
const dialTimeout = 5 * time.Second

// SendBuffer is each stream socket's kernel send buffer (the kernel
// doubles it): a few seconds of µ-law messages, so a far end that falls
// behind loses the oldest audio after that rather than hearing audio
// ever later.
const SendBuffer = 32 << 10

// ErrRefusedTarget is decide's: a stream to a private address without
// streams.allow_private.
var ErrRefusedTarget = decide.ErrRefusedTarget

// Dialer opens streams. Safe for concurrent use; make one per node.
type Dialer struct {
	opt  Options
	http *http.Client

	active, opened, failed     atomic.Int64
	dropped, sent, playDropped atomic.Uint64
}

// Totals are a Dialer's counters since it was made.
type Totals struct {
	Active, Opened, Failed int64
	// FramesDropped: captured frames a slow far end lost.
	FramesDropped uint64
	// FramesSent: media messages sent.
	FramesSent uint64
	// PlayDropped: samples the far end sent beyond MaxPlay.
	PlayDropped uint64
}

// Totals reads the counters.
func (d *Dialer) Totals() Totals {
	return Totals{Active: d.active.Load(), Opened: d.opened.Load(), Failed: d.failed.Load(),
		FramesDropped: d.dropped.Load(), FramesSent: d.sent.Load(), PlayDropped: d.playDropped.Load()}
}

// NewDialer makes a Dialer.
func NewDialer(opt Options) *Dialer {
	if opt.Queue <= 0 {
		opt.Queue = ivr.DefaultStreamQueue
	}
	if opt.UserAgent == "" {
		opt.UserAgent = "ivrd"
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	allowPrivate := opt.AllowPrivate
	dialer := &net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second,
		ControlContext: func(ctx context.Context, network, address string, c syscall.RawConn) error {
			if !allowPrivate {
				if err := decide.RefusePrivate(ctx, network, address, c); err != nil {
					return err
				}
			}
			return boundSendBuffer(c)
		}}
	tr := &http.Transport{
		Proxy:               nil, // a proxy would be the address dialled, not the far end
		DialContext:         dialer.DialContext,
		TLSHandshakeTimeout: dialTimeout,
		// Each stream is its own connection: none is kept idle.
		DisableKeepAlives: true,
	}
	return &Dialer{opt: opt, http: &http.Client{Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// Open starts a stream and returns at once: the handshake, the start
// message and everything after run on the stream's own goroutines, and
// frames captured meanwhile wait in its queue. It ends (Done) when the
// far end closes or ends it, when it fails, on Stop, or when ctx ends.
func (d *Dialer) Open(ctx context.Context, req Request) *Stream {
	frames := int(d.opt.Queue / (20 * time.Millisecond))
	s := newStream(d, req, newSID(), frames)
	d.opened.Add(1)
	d.active.Add(1)
	go s.run(ctx)
	return s
}

// newSID is a stream id in Twilio's shape: MZ and 32 hex digits.
func newSID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return "MZ" + hex.EncodeToString(b[:])
}

// run dials, then writes until the stream ends; a reader goroutine takes
// the far end's messages.
func (s *Stream) run(ctx context.Context) {
	d := s.d
	defer d.active.Add(-1)
	log := d.opt.Log.With("stream", s.sid, "call_id", s.req.CallID, "url", redactURL(s.req.URL))
	go func() { // the call ending ends the stream
		select {
		case <-ctx.Done():
			s.end(nil, nil)
		case <-s.done:
		}
	}()
	dialCtx, cancel := s.ctxDone(ctx)
	dialCtx, cancelDial := context.WithTimeout(dialCtx, dialTimeout)
	conn, err := s.dial(dialCtx)
	cancelDial()
	cancel()
	if err != nil {
		select {
		case <-s.done: // stopped, or the call ended, while dialling: no failure
			return
		default:
		}
		d.failed.Add(1)
		log.Warn("stream: not opened", "err", err.Error())
		s.end(nil, fmt.Errorf("stream %s: %w", redactURL(s.req.URL), err))
		return
	}
	// connCtx outlives the stream by closeGrace: time for the stop.
	connCtx, cut := context.WithCancel(context.Background())
	defer cut()
	stopCut := context.AfterFunc(ctxOf(s.done), func() { time.AfterFunc(closeGrace, cut) })
	defer stopCut()
	conn.SetReadLimit(MaxMessage)
	log.Info("stream opened", "bidirectional", s.req.Bidirectional, "both_tracks", s.req.BothTracks)
	readDone := make(chan struct{})
	go func() { defer close(readDone); s.read(connCtx, conn, log) }()
	err = s.write(connCtx, conn)
	if err != nil && !errors.Is(err, context.Canceled) {
		// A write fails when the connection is gone; the reader learns
		// why (a far end's normal close ends the stream without an
		// error): its verdict first, the write's error only if it has none.
		select {
		case <-readDone:
		case <-time.After(closeGrace):
		}
		s.end(nil, fmt.Errorf("stream %s: %w", redactURL(s.req.URL), err))
	}
	if !s.farGone.Load() && connCtx.Err() == nil {
		_ = conn.Write(connCtx, websocket.MessageText, s.stopMessage())
		_ = conn.Close(websocket.StatusNormalClosure, "")
	}
	_ = conn.CloseNow()
	ans, why := s.Result()
	attrs := []any{"sent", s.Sent(), "dropped", s.Dropped()}
	if why != nil {
		attrs = append(attrs, "err", why.Error())
	}
	if ans != nil && ans.Dest != nil {
		attrs = append(attrs, "destination", ans.Dest.String())
	}
	log.Info("stream ended", attrs...)
}

// ctxOf is a context done when ch closes.
func ctxOf(ch <-chan struct{}) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-ch; cancel() }()
	return ctx
}

// dial makes the handshake, with the configured headers.
func (s *Stream) dial(ctx context.Context) (*websocket.Conn, error) {
	h := http.Header{}
	for k, v := range s.req.Headers {
		h.Set(k, v)
	}
	h.Set("User-Agent", s.d.opt.UserAgent)
	conn, resp, err := websocket.Dial(ctx, s.req.URL, &websocket.DialOptions{HTTPClient: s.d.http, HTTPHeader: h})
	if resp != nil && resp.Body != nil {
		_ = resp.Body.Close()
	}
	if err != nil {
		if errors.Is(err, decide.ErrRefusedTarget) {
			return nil, decide.ErrRefusedTarget
		}
		return nil, err
	}
	return conn, nil
}

// write sends connected and start, then what is captured, until the
// stream ends.
func (s *Stream) write(ctx context.Context, conn *websocket.Conn) error {
	if err := conn.Write(ctx, websocket.MessageText, []byte(`{"event":"connected","protocol":"Call","version":"1.0.0"}`)); err != nil {
		return err
	}
	start, err := s.start()
	if err != nil {
		return err
	}
	if err := conn.Write(ctx, websocket.MessageText, start); err != nil {
		return err
	}
	for {
		select {
		case <-s.done:
			return nil
		case <-s.wake:
		}
		if err := s.flush(ctx, conn); err != nil {
			return err
		}
	}
}

// flush sends everything queued.
func (s *Stream) flush(ctx context.Context, conn *websocket.Conn) error {
	for {
		ok := s.next()
		for _, k := range s.keys {
			if err := conn.Write(ctx, websocket.MessageText, s.dtmfMessage(k)); err != nil {
				return err
			}
		}
		for _, name := range s.due {
			if err := conn.Write(ctx, websocket.MessageText, s.markMessage(name)); err != nil {
				return err
			}
		}
		if !ok {
			return nil
		}
		if err := conn.Write(ctx, websocket.MessageText, s.mediaMessage()); err != nil {
			return err
		}
		s.sentMsgs.Add(1)
		s.d.sent.Add(1)
		select {
		case <-s.done:
			return nil
		default:
		}
	}
}

// read takes the far end's messages until it closes or the stream ends.
func (s *Stream) read(ctx context.Context, conn *websocket.Conn, log *slog.Logger) {
	bad := 0
	for {
		typ, data, err := conn.Read(ctx)
		if err != nil {
			select {
			case <-s.done:
				return
			default:
			}
			s.farGone.Store(true)
			switch websocket.CloseStatus(err) {
			case websocket.StatusNormalClosure, websocket.StatusGoingAway:
				s.end(nil, nil)
			default:
				s.end(nil, fmt.Errorf("stream %s: %w", redactURL(s.req.URL), err))
			}
			return
		}
		if typ != websocket.MessageText {
			continue
		}
		if err := s.handle(data); err != nil {
			if bad++; bad <= 3 { // a far end sending garbage is logged, not obeyed
				log.Warn("stream: message ignored", "err", err.Error())
			}
		}
	}
}

// handle acts on one message from the far end.
func (s *Stream) handle(data []byte) error {
	m, err := parseFar(data)
	if err != nil {
		return err
	}
	switch m.Event {
	case "media":
		if !s.req.Bidirectional {
			return nil
		}
		pcm, err := s.decodePlay(m.Media.Payload)
		if err != nil {
			return err
		}
		s.queuePlay(pcm)
	case "mark":
		s.addMark(m.Mark.Name)
	case "clear":
		s.clearPlay()
	case "end":
		if len(m.Destination) == 0 || string(m.Destination) == "null" || s.req.Decode == nil {
			s.end(nil, nil)
			return nil
		}
		a, err := s.req.Decode(m.Destination)
		if err != nil {
			s.end(nil, fmt.Errorf("the far end's destination: %w", err))
			return nil
		}
		s.end(a, nil)
	}
	return nil
}

// redactURL is a URL for logs and errors: without its query (tokens).
func redactURL(u string) string {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		return u[:i]
	}
	return u
}
