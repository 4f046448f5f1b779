package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/ivrd/ivrd/api"
	"github.com/ivrd/ivrd/call"
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/observe"
	"github.com/ivrd/ivrd/stream"
)

// streamers hand calls the media stream dialer for their
// configuration's streams: settings: one Dialer for as long as the
// settings stay the same across reloads. The counters of every dialer
// made are summed for /metrics.
type streamers struct {
	log *slog.Logger

	mu       sync.Mutex
	settings ivr.StreamSettings
	agent    string
	dialer   *stream.Dialer
	all      []*stream.Dialer
}

func (s *streamers) forConfig(cfg *ivr.Config) call.Streamer {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dialer == nil || cfg.Streams != s.settings || cfg.Server.SIP.UserAgent != s.agent {
		s.dialer = stream.NewDialer(stream.Options{AllowPrivate: cfg.Streams.AllowPrivate, Queue: cfg.Streams.QueueDuration(),
			UserAgent: cfg.Server.SIP.UserAgent, Log: s.log})
		s.settings, s.agent = cfg.Streams, cfg.Server.SIP.UserAgent
		s.all = append(s.all, s.dialer)
	}
	return streamAdapter{s.dialer}
}

// gauge sums the dialers' counters (ivrd_stream_*).
func (s *streamers) gauge() observe.StreamGauge {
	s.mu.Lock()
	defer s.mu.Unlock()
	var g observe.StreamGauge
	for _, d := range s.all {
		t := d.Totals()
		g.Active += t.Active
		g.Opened += t.Opened
		g.Failed += t.Failed
		g.FramesSent += t.FramesSent
		g.FramesDropped += t.FramesDropped
		g.PlayDropped += t.PlayDropped
	}
	return g
}

// streamAdapter is a Dialer as call's Streamer.
type streamAdapter struct{ d *stream.Dialer }

func (a streamAdapter) Open(ctx context.Context, o call.StreamOpen) call.MediaStream {
	req := stream.RequestFor(o.Spec, o.CallID, o.Node)
	req.Decode = o.Decode
	return a.d.Open(ctx, req)
}

// streamControl is the API's view of the streams on live calls.
type streamControl struct{ obs *observer }

func (sc streamControl) StartStream(callID string, req api.StreamRequest) (string, error) {
	n := sc.obs.node.Load()
	if n == nil {
		return "", api.ErrNoSuchCall
	}
	cfg := n.snap.Load().Config
	spec := ivr.Stream{URL: req.URL, Track: ivr.StreamTrack(req.Track), Format: ivr.StreamFormat(req.Format),
		Parameters: req.Parameters, Headers: req.Headers}
	if err := cfg.CheckStream(&spec); err != nil {
		return "", fmt.Errorf("%w: %w", api.ErrBadStream, err)
	}
	id, err := sc.obs.live.StartStream(callID, sc.obs.streams.forConfig(cfg), call.StreamOpen{Spec: spec, Node: nodeName(cfg)},
		cfg.Streams.PerCall())
	return id, apiStreamError(err)
}

func (sc streamControl) StopStream(callID, streamID string) error {
	return apiStreamError(sc.obs.live.StopStream(callID, streamID))
}

// apiStreamError maps call's errors to the API's (api must not import call).
func apiStreamError(err error) error {
	switch {
	case errors.Is(err, call.ErrNoSuchCall):
		return api.ErrNoSuchCall
	case errors.Is(err, call.ErrNoSuchStream):
		return api.ErrNoSuchStream
	case errors.Is(err, call.ErrTooManyStreams):
		return api.ErrTooManyStreams
	}
	return err
}
