package call

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/ivrd/ivrd/cdr"
	"github.com/ivrd/ivrd/dtmf"
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/recording"
	"github.com/ivrd/ivrd/sip"
)

// eventQueue bounds what waits for the menu: a caller cannot type faster
// than the menu reads, but a stuck menu must not stall the media loop.
const eventQueue = 64

// input is one thing that happened to the call for the menu: a key (with
// how it came) or a prompt's end.
type input struct {
	ev     ivr.Event
	method dtmf.Method
	at     time.Duration
}

// run is one call's state, touched only by the call's goroutine (events
// reach it through one channel).
type run struct {
	h      *Handler
	c      *sip.Call
	ctx    context.Context
	snap   *Snapshot
	log    *slog.Logger
	rec    *Record
	exec   *ivr.Executor
	events chan input
	queued []ivr.Event // results of hand-offs, handled before the next input

	timer   *time.Timer
	timerID int
	// deadline is the executor's second timer (a gather's whole entry).
	deadline   *time.Timer
	deadlineID int

	// maskKeys: a secret gather is collecting (ivr.MaskKeys): keys are
	// neither logged nor kept in the record or digit events. Atomic: the
	// media goroutine reads it in deliver.
	maskKeys atomic.Bool

	live    *liveEntry // this call in the registry of calls in progress
	playID  int        // the prompt playing, while playing is set
	playing bool
	left    bool       // an operator's transfer took the call out of the menu
	opDone  chan error // the operator's transfer waiting for its outcome

	streamOn MediaStream // the stream destination's stream, while open (stream.go)
	streamID int

	recording *recording.Recording // the call's recording, once one started (recording.go)
	placed    *Placed              // what a call ivrd placed runs (placed.go)
}

// listen connects the call's digit sources to the menu: RFC 4733 and
// in-band through the media session, SIP INFO through the dialog, all
// into one collector whose every press is one send on the events channel.
func (r *run) listen() {
	col := dtmf.NewCollector(collectorConfig(r.h.opt.Digits, r.c.Negotiated().EventPT != 0), r.deliver)
	r.c.Media.SetDigits(col)
	r.c.OnInfoDigit(col.Info)
}

// collectorConfig is the digit methods of the configuration for a call
// whose offer did or did not negotiate telephone-event.
func collectorConfig(m ivr.DigitMethods, eventNegotiated bool) dtmf.Config {
	c := dtmf.Config{RFC4733: m.RFC4733, Inband: m.Inband, Info: m.Info, EventNegotiated: eventNegotiated}
	switch m.InbandMode {
	case ivr.InbandAlways:
		c.InbandMode = dtmf.InbandAlways
	case ivr.InbandNever:
		c.InbandMode = dtmf.InbandNever
	default:
		c.InbandMode = dtmf.InbandAuto
	}
	return c
}

// deliver hands a press to the menu; it runs on the media receive
// goroutine or a SIP handler, so it never blocks.
func (r *run) deliver(d dtmf.Digit) {
	if r.maskKeys.Load() {
		r.log.Info("digit", "key", "(secret)", "method", d.Method.String())
	} else {
		r.log.Info("digit", "key", string(d.Key), "method", d.Method.String())
	}
	select {
	case r.events <- input{ev: ivr.DigitPressed{Key: d.Key}, method: d.Method, at: d.At}:
	default:
		r.log.Warn("digit dropped: menu not reading", "key", string(d.Key))
	}
}

// post hands the menu something that is not a key, waiting for room
// (prompt ends are few) unless the call is over.
func (r *run) post(ev ivr.Event) {
	select {
	case r.events <- input{ev: ev}:
	case <-r.ctx.Done():
	}
}

// menu runs the executor until it is done with the call or the call ends.
func (r *run) menu(m *ivr.IVR) {
	r.exec = ivr.NewExecutor(r.snap.Config, m, r.c.Caller, time.Now())
	r.exec.SetDialled(r.c.Dialled)
	r.placedStart() // a placed call's destination and variables (placed.go)
	defer r.stopTimer()
	defer r.stopDeadline()
	defer func() { r.stopStream(r.streamID) }()
	defer func() { r.rec.MenuTime = time.Since(r.rec.Answered) }()
	// The executor has no clock: the menu time limit is this timer's.
	limit := time.NewTimer(r.h.opt.MaxMenuTime)
	defer limit.Stop()
	r.apply(r.exec.Handle(ivr.Started{}))
	for !r.exec.Done() && !r.left {
		if len(r.queued) > 0 {
			ev := r.queued[0]
			r.queued = r.queued[1:]
			r.apply(r.exec.Handle(ev))
			continue
		}
		var timerC, deadlineC <-chan time.Time
		if r.timer != nil {
			timerC = r.timer.C
		}
		if r.deadline != nil {
			deadlineC = r.deadline.C
		}
		select {
		case <-r.ctx.Done():
			r.exec.Handle(ivr.HungUp{})
			r.c.Media.StopPlayback()
			r.rec.Outcome = cdr.Outcome{Kind: cdr.OutcomeCallerHungUp}
			if cause := r.c.EndCause(); !cause.ByCaller() {
				r.rec.Outcome = cdr.Outcome{Kind: cdr.OutcomeEnded, Detail: cause.String()}
			}
			return
		case in := <-r.events:
			switch ev := in.ev.(type) {
			case ivr.DigitPressed:
				if !r.maskKeys.Load() {
					r.rec.Keys = append(r.rec.Keys, Key{Key: ev.Key, Method: in.method, At: in.at})
					r.emit(Event{Type: EventDigit, Menu: r.currentMenu(), Key: ev.Key, Method: in.method})
				}
			case ivr.PlaybackDone:
				if ev.ID == r.playID {
					r.playing = false
				}
			}
			r.streamDigit(in.ev)
			r.streamEnded(in.ev)
			r.apply(r.exec.Handle(in.ev))
		case req := <-r.live.requests:
			r.stopStream(r.streamID) // the bot lets go of a caller the operator moves (stream.go)
			r.operatorTransfer(req)
		case <-timerC:
			r.timer = nil
			r.apply(r.exec.Handle(ivr.TimerFired{ID: r.timerID}))
		case <-deadlineC:
			r.deadline = nil
			r.apply(r.exec.Handle(ivr.DeadlineFired{ID: r.deadlineID}))
		case <-limit.C:
			r.apply(r.exec.Handle(ivr.MenuTimeUp{}))
		}
	}
}

func (r *run) stopDeadline() {
	if r.deadline != nil {
		r.deadline.Stop()
		r.deadline = nil
	}
}

func (r *run) stopTimer() {
	if r.timer != nil {
		r.timer.Stop()
		r.timer = nil
	}
}

// apply carries out the executor's actions, in order.
func (r *run) apply(acts []ivr.Action) {
	for _, a := range acts {
		switch a := a.(type) {
		case ivr.Play:
			r.play(a)
		case ivr.StopPlayback:
			r.c.Media.StopPlayback()
			r.playing = false
			r.log.Info("stop", "prompt", a.Prompt)
		case ivr.StartTimer:
			r.stopTimer()
			r.timer, r.timerID = time.NewTimer(a.After), a.ID
		case ivr.CancelTimer:
			r.stopTimer()
		case ivr.StartDeadline:
			r.stopDeadline()
			r.deadline, r.deadlineID = time.NewTimer(a.After), a.ID
		case ivr.CancelDeadline:
			r.stopDeadline()
		case ivr.Ask:
			r.ask(a)
		case ivr.StartStream:
			r.stream(a) // stream.go
		case ivr.StopStream:
			r.stopStream(a.ID)
		case ivr.MaskKeys:
			r.maskKeys.Store(a.On)
		case ivr.Transfer:
			r.log.Info("transfer", "dest", a.Dest.String(), "method", a.Method)
			r.rec.Outcome = cdr.Outcome{Kind: cdr.OutcomeTransfer, Detail: a.Dest.String()}
			r.handOff(a.Dest, a.Method)
		case ivr.Voicemail:
			r.log.Info("voicemail", "box", a.Box)
			r.rec.Outcome = cdr.Outcome{Kind: cdr.OutcomeVoicemail, Detail: a.Box}
			r.handOff(&ivr.Destination{Kind: ivr.KindVoicemail, Target: a.Box}, "")
		case ivr.Hangup:
			r.log.Info("menu hangup", "reason", a.Reason)
			r.rec.Outcome = cdr.Outcome{Kind: cdr.OutcomeHangup, Detail: a.Reason}
			r.endBy(EndMenuHangup, SideIVRD)
			r.c.Hangup()
		case ivr.Note:
			r.note(a)
		case ivr.Notify:
			// Queued, never awaited: the menu goes on at once.
			r.emit(Event{Type: EventRouteWebhook, Name: a.Event, Webhook: a.Webhook, Menu: a.IVR, Digits: a.Digits,
				Data: a.Data, From: r.rec.From, To: r.rec.To})
		}
	}
}

// play starts a prompt; its end comes back as an event.
func (r *run) play(a ivr.Play) {
	if a.Text != "" {
		r.sayText(a)
		return
	}
	p, ok := r.snap.Prompts.Lookup(a.Language, a.Prompt) // the call's language, else the default set
	if !ok {
		// validate reports missing prompts; a call carries on without one.
		r.log.Warn("prompt missing, skipped", "prompt", a.Prompt)
		r.queued = append(r.queued, ivr.PlaybackDone{ID: a.ID})
		return
	}
	id := a.ID
	r.playID, r.playing = id, true
	r.c.Media.Play(p, func() { r.post(ivr.PlaybackDone{ID: id}) })
	if a.Language != "" {
		r.log.Info("play", "prompt", a.Prompt, "barge_in", a.BargeIn, "language", a.Language)
		return
	}
	r.log.Info("play", "prompt", a.Prompt, "barge_in", a.BargeIn)
}

// note keeps a step of the call for its record and log.
func (r *run) note(a ivr.Note) {
	switch a.Event {
	case ivr.StepEnter:
		r.rec.Path = append(r.rec.Path, a.IVR)
		r.live.set(a.IVR, "")
		// A menu's schedule, or its number's as the call arrives, let
		// the call in.
		if m := r.snap.Config.IVRByID(a.IVR); m != nil && (m.Schedule != "" || len(r.rec.Path) == 1 && m.NumberSchedules[r.c.Dialled] != "") {
			r.rec.ScheduleBranch = "open"
		}
		r.emit(Event{Type: EventMenuEntered, Menu: a.IVR})
	case ivr.StepClosed:
		r.rec.ScheduleBranch = "closed"
		if a.Detail != "" {
			r.rec.ScheduleBranch = a.Detail // "closed" or "holiday NAME"
		}
	case ivr.StepInvalid:
		r.rec.Invalid++
	case ivr.StepTimeout:
		r.rec.Timeouts++
	}
	attrs := []any{"in", a.IVR}
	if a.Digits != "" {
		attrs = append(attrs, "digits", a.Digits)
	}
	if a.Detail != "" {
		attrs = append(attrs, "detail", a.Detail)
	}
	r.log.Info(string(a.Event), attrs...)
}

// dropTypedAhead discards what came in while a hand-off ran: keys typed
// then belong to the menu being left, and any prompt end is stale.
func (r *run) dropTypedAhead() {
	for {
		select {
		case <-r.events:
		default:
			return
		}
	}
}

// currentMenu is the menu the call is in: the last one entered.
func (r *run) currentMenu() string {
	if n := len(r.rec.Path); n > 0 {
		return r.rec.Path[n-1]
	}
	return r.rec.IVR
}
