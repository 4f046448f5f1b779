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
	rec    record

	maxMenuTime time.Duration // MaxMenuTime; shorter in tests
}

// record sums a call up for its last log line, the "call record" an
// operator reads (Asterisk's CDR, in one line): the menus it went through,
// the keys pressed, what went wrong and how it ended.
type record struct {
	start             time.Time
	path              []string
	keys              []byte
	invalid, timeouts int
	failedTransfers   int
	outcome           string
	transferred       bool // the last transfer succeeded: the call left us
}

// note keeps what an event tells the record.
func (rec *record) note(ev Event) {
	switch ev := ev.(type) {
	case DigitPressed:
		rec.keys = append(rec.keys, ev.Key)
	case HungUp:
		if !rec.transferred {
			rec.outcome = "caller hung up"
		}
	case TransferResult:
		if ev.Err != nil {
			rec.failedTransfers++
		} else if !rec.transferred {
			rec.transferred = true
			rec.outcome += " done"
		}
	}
}

func (rec *record) attrs() []any {
	path := ""
	for i, p := range rec.path {
		if i > 0 {
			path += ">"
		}
		path += p
	}
	return []any{"path", path, "keys", string(rec.keys), "invalid", rec.invalid, "timeouts", rec.timeouts,
		"failed_transfers", rec.failedTransfers, "outcome", rec.outcome, "menu_time", time.Since(rec.start).Round(time.Millisecond).String()}
}

// NewRunner pairs an executor with a call.
func NewRunner(e *Executor, c Call, log *slog.Logger) *Runner {
	if log == nil {
		log = slog.Default()
	}
	return &Runner{e: e, c: c, log: log, events: make(chan Event, 64), done: make(chan struct{}), maxMenuTime: MaxMenuTime}
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
	r.rec.start = time.Now()
	defer func() { r.log.Info("call record", r.rec.attrs()...) }()
	defer func() {
		if p := recover(); p != nil {
			r.log.Error("menu failed", "panic", p)
			r.rec.outcome = "hangup internal error"
			r.c.Hangup("internal error")
			err = fmt.Errorf("ivr: menu failed: %v", p)
		}
	}()
	// The executor has no clock: the menu time limit is this timer's.
	limit := time.AfterFunc(r.maxMenuTime, func() { r.post(MenuTimeUp{}) })
	defer limit.Stop()
	r.apply(r.e.Handle(Started{}))
	for !r.e.Done() {
		select {
		case <-ctx.Done():
			// A transfer's success and the end of the call it caused come
			// together: what is queued still counts for the record.
			for drained := false; !drained; {
				select {
				case ev := <-r.events:
					r.rec.note(ev)
				default:
					drained = true
				}
			}
			r.e.Handle(HungUp{})
			r.c.StopPlayback()
			if !r.rec.transferred {
				r.rec.outcome = "caller hung up"
			}
			return ctx.Err()
		case ev := <-r.events:
			r.rec.note(ev)
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
			r.rec.outcome = "transfer " + a.Dest.String()
			r.c.Transfer(a.Dest, a.Method, func(err error) { r.post(TransferResult{Err: err}) })
		case Voicemail:
			r.log.Info("voicemail", "box", a.Box)
			r.rec.outcome = "voicemail " + a.Box
			r.c.Transfer(&Destination{Kind: KindVoicemail, Target: a.Box}, "", func(err error) { r.post(TransferResult{Err: err}) })
		case Hangup:
			r.log.Info("menu hangup", "reason", a.Reason)
			r.rec.outcome = "hangup " + a.Reason
			r.c.Hangup(a.Reason)
		case Note:
			switch a.Event {
			case "enter":
				r.rec.path = append(r.rec.path, a.IVR)
			case "invalid":
				r.rec.invalid++
			case "timeout":
				r.rec.timeouts++
			}
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
