package ivr

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// Call is what a real call offers the runner. The SIP layer implements it.
type Call interface {
	// Play starts a prompt, replacing any other. onDone is called when it
	// ends on its own (not when stopped). An unknown prompt is an error.
	Play(prompt string, onDone func()) error
	StopPlayback()
	// Transfer hands the call on (uri, external, extension, voicemail)
	// and reports the outcome once; nil means the call has left us.
	Transfer(dest *Destination, method string, result func(err error))
	// Hangup ends the call from our side.
	Hangup(reason string)
}

// Runner drives an Executor on a real call with the real clock: one
// goroutine per call, fed by events from media, SIP and timers.
type Runner struct {
	e      *Executor
	c      Call
	log    *slog.Logger
	events chan Event
	done   chan struct{}
	timer  *time.Timer
}

// NewRunner pairs an executor with a call.
func NewRunner(e *Executor, c Call, log *slog.Logger) *Runner {
	if log == nil {
		log = slog.Default()
	}
	return &Runner{e: e, c: c, log: log, events: make(chan Event, 64), done: make(chan struct{})}
}

// Digit reports a key press.
func (r *Runner) Digit(key byte) { r.post(DigitPressed{Key: key}) }

// HungUp reports that the caller went away.
func (r *Runner) HungUp() { r.post(HungUp{}) }

func (r *Runner) post(ev Event) {
	select {
	case r.events <- ev:
	case <-r.done:
	}
}

// Run executes the call until the menu is done with it or ctx ends (the
// caller hung up). A panic in the menu ends this call, not the server.
func (r *Runner) Run(ctx context.Context) (err error) {
	defer close(r.done)
	defer r.stopTimer()
	defer func() {
		if p := recover(); p != nil {
			r.log.Error("menu failed", "panic", p)
			r.c.Hangup("internal error")
			err = fmt.Errorf("ivr: menu failed: %v", p)
		}
	}()
	r.apply(r.e.Handle(Started{}))
	for !r.e.Done() {
		select {
		case <-ctx.Done():
			r.e.Handle(HungUp{})
			r.c.StopPlayback()
			return ctx.Err()
		case ev := <-r.events:
			r.apply(r.e.Handle(ev))
		}
	}
	return nil
}

func (r *Runner) stopTimer() {
	if r.timer != nil {
		r.timer.Stop()
		r.timer = nil
	}
}

func (r *Runner) apply(acts []Action) {
	for _, a := range acts {
		switch a := a.(type) {
		case Play:
			id := a.ID
			if err := r.c.Play(a.Prompt, func() { r.post(PlaybackDone{ID: id}) }); err != nil {
				r.log.Warn("prompt missing, skipped", "prompt", a.Prompt, "err", err)
				go r.post(PlaybackDone{ID: id})
			} else {
				r.log.Info("play", "prompt", a.Prompt, "barge_in", a.BargeIn)
			}
		case StopPlayback:
			r.c.StopPlayback()
			r.log.Info("stop", "prompt", a.Prompt)
		case StartTimer:
			r.stopTimer()
			id := a.ID
			r.timer = time.AfterFunc(a.After, func() { r.post(TimerFired{ID: id}) })
		case CancelTimer:
			r.stopTimer()
		case Transfer:
			r.log.Info("transfer", "dest", a.Dest.String(), "method", a.Method)
			r.c.Transfer(a.Dest, a.Method, func(err error) { r.post(TransferResult{Err: err}) })
		case Voicemail:
			r.log.Info("voicemail", "box", a.Box)
			r.c.Transfer(&Destination{Kind: KindVoicemail, Target: a.Box}, "", func(err error) { r.post(TransferResult{Err: err}) })
		case Hangup:
			r.log.Info("menu hangup", "reason", a.Reason)
			r.c.Hangup(a.Reason)
		case Note:
			attrs := []any{"in", a.IVR}
			if a.Digits != "" {
				attrs = append(attrs, "digits", a.Digits)
			}
			if a.Detail != "" {
				attrs = append(attrs, "detail", a.Detail)
			}
			r.log.Info(a.Event, attrs...)
		}
	}
}
