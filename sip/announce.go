package sip

import (
	"context"

	"github.com/ivrd/ivrd/media"
)

// announce plays p to the far end of an answered leg, before the caller
// is connected: the member of a ring group hears which line the call came
// in on. It returns early when either side hangs up; connect then sees
// the far end gone (or the caller's context ended) as usual.
func (l *leg) announce(ctx context.Context, p media.Clip) {
	if p == nil {
		return
	}
	// Known from now on, so that a BYE during the announcement ends the
	// leg (connect would register it anyway).
	l.call.srv.remember(l.dlg.ID, l)
	done := make(chan struct{})
	l.media.Play(p, func() { close(done) })
	select {
	case <-done:
	case <-l.done:
		l.media.StopPlayback()
	case <-ctx.Done():
		l.media.StopPlayback()
	case <-l.call.ctx.Done():
		l.media.StopPlayback()
	}
}
