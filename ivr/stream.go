package ivr

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// A stream destination (ivrd addition) forks the call's audio to a
// WebSocket in the message shape of Twilio Media Streams (package
// stream speaks it): the caller's audio, and with track: both what ivrd
// plays to the caller too. With bidirectional: true the far end's media
// messages are played to the caller. The stream ends when the far end
// closes it or sends {"event":"end"} (optionally with a destination,
// decoded and validated as an ask answer is), or after timeout; the call
// then goes to that destination, else to then (default: hang up). When
// the stream cannot be opened or fails, fallback runs (default: then).

// Stream is a stream destination's settings (stream: {...}).
type Stream struct {
	URL           string       `yaml:"url"`
	Track         StreamTrack  `yaml:"track"`
	Bidirectional bool         `yaml:"bidirectional"`
	Format        StreamFormat `yaml:"format"`
	// Parameters go to the far end in the start message's
	// customParameters (variables put in).
	Parameters map[string]string `yaml:"parameters"`
	// Headers go with the WebSocket handshake (an Authorization token);
	// their values are never logged.
	Headers map[string]string `yaml:"headers"`
}

// StreamTrack is which audio a stream carries.
type StreamTrack string

// The tracks.
const (
	TrackInbound StreamTrack = "inbound" // the caller's audio (default)
	TrackBoth    StreamTrack = "both"    // and what ivrd plays to the caller
)

// StreamFormat is the audio encoding of a stream's media messages, both
// ways.
type StreamFormat string

// The formats.
const (
	FormatMulaw8k StreamFormat = "mulaw8k" // G.711 µ-law at 8 kHz (default; Twilio's)
	FormatPCM16k  StreamFormat = "pcm16k"  // 16-bit signed little-endian PCM at 16 kHz
)

// StreamSettings (top-level streams:) configure every stream.
type StreamSettings struct {
	// AllowPrivate lets stream URLs reach loopback, private and
	// link-local addresses (refused by default: SSRF).
	AllowPrivate bool `yaml:"allow_private"`
	// Queue bounds the audio waiting to be sent to one stream's far end
	// (default DefaultStreamQueue): a consumer further behind loses the
	// oldest frames.
	Queue Duration `yaml:"queue"`
	// MaxPerCall bounds the streams one call may have open at once
	// (a destination's and the API's; default DefaultStreamsPerCall).
	MaxPerCall int `yaml:"max_per_call"`
}

// Stream defaults and bounds.
const (
	DefaultStreamQueue    = 2 * time.Second
	MinStreamQueue        = 100 * time.Millisecond
	MaxStreamQueue        = 30 * time.Second
	DefaultStreamsPerCall = 4
	MaxStreamsPerCall     = 16
	MinStreamTimeout      = time.Second
	MaxStreamTimeout      = 4 * time.Hour
	maxStreamParams       = 32
	maxStreamValue        = 1024
)

// Trace steps of a stream.
const (
	StepStream       Step = "stream"        // the stream was asked for
	StepStreamEnded  Step = "stream_ended"  // it ended: then, or the far end's destination, follows
	StepStreamFailed Step = "stream_failed" // it could not open or failed: the fallback runs
)

// StartStream (an action) opens the stream of a stream destination;
// report StreamEnded{ID} when it is over. Spec has the call's variables
// put in (URL, parameters).
type StartStream struct {
	ID      int
	Spec    Stream
	Written string // the URL as configured (simulate's canned answers are keyed by either)
	IVR     string // the menu a far end's destination is validated against
}

// StopStream (an action) closes stream ID (its timeout ran out).
type StopStream struct{ ID int }

func (StartStream) isAction() {}
func (StopStream) isAction()  {}

// StreamEnded (an event): stream ID is over. Answer is the far end's
// destination (decoded and validated), nil to go to then; Err says why
// it failed (the fallback runs).
type StreamEnded struct {
	ID     int
	Answer *Answer
	Err    error
}

func (StreamEnded) isEvent() {}

// Settings with their defaults.

// QueueDuration is the per-stream send queue.
func (s StreamSettings) QueueDuration() time.Duration {
	if s.Queue <= 0 {
		return DefaultStreamQueue
	}
	return s.Queue.D()
}

// PerCall is the most streams one call may have.
func (s StreamSettings) PerCall() int {
	if s.MaxPerCall <= 0 {
		return DefaultStreamsPerCall
	}
	return s.MaxPerCall
}

// startStream opens the stream and waits for it to end.
func (e *Executor) startStream(d *Destination) []Action {
	if e.hops++; e.hops > MaxHopsWithoutKey {
		return e.limit(ReasonLoopLimit)
	}
	e.streamID++
	e.streaming = d
	e.phase = phaseStream
	e.pending = e.pending[:0] // keys go to the far end now
	spec := *d.Stream
	spec.URL = e.expand(spec.URL)
	if len(spec.Parameters) > 0 {
		spec.Parameters = make(map[string]string, len(d.Stream.Parameters))
		for k, v := range d.Stream.Parameters {
			spec.Parameters[k] = e.expand(v)
		}
	}
	acts := []Action{
		Note{Event: StepStream, IVR: e.curID(), Detail: d.Stream.URL},
		StartStream{ID: e.streamID, Spec: spec, Written: d.Stream.URL, IVR: e.curID()},
	}
	if d.Timeout > 0 {
		acts = append(acts, e.startTimer(d.Timeout.D()))
	}
	return acts
}

// streamEnded goes where the far end said, or to then; a failed stream
// to the fallback.
func (e *Executor) streamEnded(ev StreamEnded) []Action {
	d := e.streaming
	e.streaming = nil
	e.phase = phaseIdle
	acts := e.cancelTimer()
	switch {
	case ev.Err != nil:
		acts = append(acts, Note{Event: StepStreamFailed, IVR: e.curID(), Detail: ev.Err.Error()})
		if d.Fallback != nil {
			return append(acts, e.run(d.Fallback)...)
		}
	case ev.Answer != nil && ev.Answer.Dest != nil:
		a := ev.Answer
		for k, v := range a.Vars {
			e.setVar(k, v)
		}
		acts = append(acts, Note{Event: StepStreamEnded, IVR: e.curID(), Detail: a.Dest.String()})
		if a.Say != "" {
			return append(acts, e.say(e.expand(a.Say), func() []Action { return e.run(a.Dest) })...)
		}
		return append(acts, e.run(a.Dest)...)
	default:
		acts = append(acts, Note{Event: StepStreamEnded, IVR: e.curID(), Detail: d.Then.String()})
	}
	return append(acts, e.run(d.Then)...)
}

// streamTimedOut closes the stream at its timeout and goes to then.
func (e *Executor) streamTimedOut() []Action {
	acts := []Action{StopStream{ID: e.streamID}}
	return append(acts, e.streamEnded(StreamEnded{ID: e.streamID})...)
}

// headerName is an HTTP header field name (a token).
var headerName = regexp.MustCompile(`^[A-Za-z0-9!#$%&'*+.^_|~-]{1,64}$`)

// streamDest checks a stream destination.
func (v *validator) streamDest(path string, d *Destination, m *IVR) {
	s := d.Stream
	p := path + ".stream"
	v.checkVars(p+".url", s.URL)
	u, err := url.Parse(sampleValues(s.URL))
	switch {
	case err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "":
		v.errf(p+".url", "%q: want a ws:// or wss:// URL", s.URL)
	case u.User != nil:
		v.errf(p+".url", "%q: credentials do not belong in the URL (use headers)", s.URL)
	default:
		if a, err := netip.ParseAddr(strings.Trim(u.Hostname(), "[]")); err == nil && !v.c.Streams.AllowPrivate && privateAddr(a) {
			v.errf(p+".url", "%q: %s is a loopback, private or link-local address: refused unless streams.allow_private is true", s.URL, a)
		}
	}
	switch s.Track {
	case "", TrackInbound, TrackBoth:
	default:
		v.errf(p+".track", "%q: want inbound or both", s.Track)
	}
	switch s.Format {
	case "", FormatMulaw8k, FormatPCM16k:
	default:
		v.errf(p+".format", "%q: want mulaw8k or pcm16k", s.Format)
	}
	v.streamMaps(p, s)
	if t := d.Timeout.D(); t != 0 && (t < MinStreamTimeout || t > MaxStreamTimeout) {
		v.errf(path+".timeout", "%v is out of range %v-%v", t, MinStreamTimeout, MaxStreamTimeout)
	}
	v.dest(path+".then", d.Then, m)
	v.dest(path+".fallback", d.Fallback, m)
}

// streamMaps checks a stream's parameters and headers.
func (v *validator) streamMaps(p string, s *Stream) {
	if len(s.Parameters) > maxStreamParams {
		v.errf(p+".parameters", "%d parameters: at most %d", len(s.Parameters), maxStreamParams)
	}
	for k, val := range s.Parameters {
		if !varName.MatchString(k) {
			v.errf(p+".parameters."+k, "%q is not a name of letters, digits and _", k)
		}
		if len(val) > maxStreamValue {
			v.errf(p+".parameters."+k, "more than %d characters", maxStreamValue)
		}
		v.checkVars(p+".parameters."+k, val)
	}
	if len(s.Headers) > maxStreamParams {
		v.errf(p+".headers", "%d headers: at most %d", len(s.Headers), maxStreamParams)
	}
	for k, val := range s.Headers {
		lk := strings.ToLower(k)
		switch {
		case !headerName.MatchString(k):
			v.errf(p+".headers", "%q is not a header name", k)
		case lk == "host" || lk == "upgrade" || lk == "connection" || strings.HasPrefix(lk, "sec-websocket-"):
			v.errf(p+".headers."+k, "set by the WebSocket handshake itself")
		case len(val) > maxStreamValue || strings.ContainsAny(val, "\r\n\x00"):
			v.errf(p+".headers."+k, "want one line of at most %d characters", maxStreamValue)
		}
	}
}

// streamSettings checks streams:.
func (v *validator) streamSettings() {
	s := v.c.Streams
	if q := s.Queue.D(); q != 0 && (q < MinStreamQueue || q > MaxStreamQueue) {
		v.errf("streams.queue", "%v is out of range %v-%v", q, MinStreamQueue, MaxStreamQueue)
	}
	if s.MaxPerCall < 0 || s.MaxPerCall > MaxStreamsPerCall {
		v.errf("streams.max_per_call", "%d is out of range 1-%d", s.MaxPerCall, MaxStreamsPerCall)
	}
}

// CheckStream validates a stream's settings given outside the
// configuration (the API's streams on live calls) as validate checks a
// stream destination's; the error lists the problems.
func (c *Config) CheckStream(s *Stream) error {
	v := &validator{c: c, edges: map[string][]string{}, autoEdges: map[string][]autoEdge{},
		greetingWarned: map[string]bool{}, from: "api"}
	v.streamDest("stream", &Destination{Kind: KindStream, Stream: s, Target: s.URL}, nil)
	var errs []Problem
	for _, p := range v.out {
		if !p.Warning {
			errs = append(errs, p)
		}
	}
	if len(errs) > 0 {
		return errors.New(problemsText(errs))
	}
	return nil
}

// String of a stream for messages.
func (s *Stream) String() string { return fmt.Sprintf("stream %s", s.URL) }
