package call

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/ivrd/ivrd/cdr"
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/prompts"
	"github.com/ivrd/ivrd/recording"
	"github.com/ivrd/ivrd/sip"
)

// Snapshot is an immutable configuration with its prompts: a call keeps
// the one it started with, whatever reloads happen meanwhile.
type Snapshot struct {
	Config  *ivr.Config
	Prompts *prompts.Library

	answerOnce sync.Once     // guards answerSet
	answerSet  ivr.PromptSet // answerPrompts
}

// Options wire a Handler to the rest of the server.
type Options struct {
	// Snapshot is the configuration new calls start with.
	Snapshot func() *Snapshot
	// Digits are the methods accepted.
	Digits ivr.DigitMethods
	// Records, when set, gets every finished call's record (after its
	// log lines), on the call's goroutine: it must not block for long.
	Records func(*Record)
	// Events, when set, hears every call's events (Event), on the call's
	// goroutine: it must not block (webhooks and metrics queue).
	Events func(Event)
	// Live is the registry calls in progress enter; nil: a new one
	// (Handler.Live returns it).
	Live *Live
	Log  *slog.Logger
	// MaxMenuTime ends a call that stays in the menus this long (hand-offs
	// and recordings do not count); 0: ivr.MaxMenuTime.
	MaxMenuTime time.Duration
	// Voicemail is where a configuration's messages are deposited and
	// checked, asked for with the configuration each call started with;
	// nil: store.Voicemail in the configuration's voicemail_dir.
	Voicemail func(cfg *ivr.Config) Voicemail
	// Shared keeps PIN lockouts and ring group rotation for the whole
	// cluster (shared.go); nil: per node, in memory.
	Shared Shared
	// Decider answers ask steps, asked for with the configuration each
	// call started with (its ask: settings); nil, or nil returned: every
	// ask takes its fallback.
	Decider func(cfg *ivr.Config) Decider
	// Say speaks an ask answer's say text; nil: the text is skipped.
	Say Speak
	// Streamer opens stream destinations' media streams, asked for with
	// the configuration each call started with (its streams: settings);
	// nil, or nil returned: every stream takes its fallback.
	Streamer func(cfg *ivr.Config) Streamer
	// Node names this node in ask requests.
	Node string
	// Conferences is this node's conference rooms (NewConferences with
	// the media engine); nil: a {conference} destination fails
	// (ErrNoConferences) and room numbers are not answered.
	Conferences *Conferences
	// Queues is this node's call queues; nil: a new one (Handler.Queues
	// returns it).
	Queues *Queues
	// Recordings records the calls whose IVR or destination says record
	// (recording.go); nil: nothing is recorded (logged).
	Recordings *recording.Recorder
}

// Handler runs answered calls through their IVR; it is the sip.Handler.
type Handler struct {
	opt      Options
	log      *slog.Logger
	rotation rotation // rotate groups' positions (group.go)
	pins     pinGuard // wrong voicemail PINs per box (pinguard.go)
	queues   *Queues  // this node's call queues (queues.go)
}

// NewHandler makes the call owner the SIP server hands calls to.
func NewHandler(opt Options) *Handler {
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	if opt.Live == nil {
		opt.Live = NewLive()
	}
	if opt.MaxMenuTime <= 0 {
		opt.MaxMenuTime = ivr.MaxMenuTime
	}
	if opt.Voicemail == nil {
		opt.Voicemail = voicemailIn
	}
	if opt.Queues == nil {
		opt.Queues = NewQueues()
	}
	if opt.Shared != nil && opt.Queues.shared == nil {
		opt.Queues.shared, opt.Queues.log = opt.Shared, opt.Log
	}
	return &Handler{opt: opt, log: opt.Log, queues: opt.Queues}
}

// Queues is this handler's call queues.
func (h *Handler) Queues() *Queues { return h.queues }

// Live is the registry of this handler's calls in progress.
func (h *Handler) Live() *Live { return h.opt.Live }

// Route implements sip.Handler: does a dialled number reach an IVR?
func (h *Handler) Route(dialled string) bool {
	cfg := h.opt.Snapshot().Config
	if _, ok := cfg.IVRFor(dialled); ok {
		return true
	}
	return cfg.QueueByNumber(dialled) != nil || h.opt.Conferences != nil && cfg.ConferenceByNumber(dialled) != nil ||
		len(cfg.QueuesWithAgentCode(dialled)) > 0
}

// Serve implements sip.Handler: the call's whole life after the answer,
// on the goroutine sip started for it. It returns when the call is over
// and its record written.
func (h *Handler) Serve(ctx context.Context, c *sip.Call) {
	snap := h.opt.Snapshot()
	rec := &Record{CallID: c.ID, From: c.Caller, To: c.Dialled, Trunk: c.Trunk, Answered: time.Now()}
	r := &run{h: h, c: c, ctx: ctx, snap: snap, rec: rec, events: make(chan input, eventQueue)}
	menu, ok := snap.Config.IVRFor(c.Dialled)
	if ok {
		rec.IVR = menu.ID
	}
	rec.Source = source(snap.Config, c)
	r.live = &liveEntry{c: c, from: c.Caller, to: c.Dialled, trunk: c.Trunk, answered: rec.Answered,
		requests: make(chan liveRequest, 1), ivr: rec.IVR, menu: rec.IVR, state: StateMenu}
	h.opt.Live.add(r.live)
	defer h.opt.Live.remove(c.ID)
	room := snap.Config.ConferenceByNumber(c.Dialled)
	queue := snap.Config.QueueByNumber(c.Dialled)
	agentCode := len(snap.Config.QueuesWithAgentCode(c.Dialled)) > 0
	// The call's logger and its keys are set before call.started is
	// written (the node waits up to 300 ms for the store, longer under
	// load): a caller who knows the menu presses at once, and those keys
	// wait in the menu's queue instead of being lost before it starts.
	r.log = c.Log
	switch {
	case ok:
		r.log = c.Log.With("ivr", menu.ID)
	case queue != nil:
		r.log = c.Log.With("queue", queue.ID)
	case room != nil && h.opt.Conferences != nil:
		r.log = c.Log.With("conference", room.ID)
	case agentCode:
		r.log = c.Log.With("agent_code", c.Dialled)
	}
	r.listen()
	r.emit(Event{Type: EventCallStarted, From: c.Caller, To: c.Dialled, Trunk: c.Trunk})
	switch {
	case !ok && queue != nil:
		r.guarded(func() { r.dialledQueue(queue.ID) })
	case !ok && room != nil && h.opt.Conferences != nil:
		r.guarded(func() { r.dialledRoom(room.ID) })
	case !ok && agentCode:
		r.guarded(func() { r.agentCode(c.Dialled) })
	case !ok:
		// A reload between the INVITE and now removed the number.
		r.endBy(EndNoIVR, SideIVRD)
		c.Hangup()
	default:
		r.guarded(func() {
			r.startRecording(menu.Record)
			r.menu(menu)
		})
	}
	r.finish()
}

// guarded runs f; a panic in it (a bug in the menu logic) ends this call,
// not the server.
func (r *run) guarded(f func()) {
	defer func() {
		if p := recover(); p != nil {
			r.log.Error("menu failed", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			r.rec.Outcome = cdr.Outcome{Kind: cdr.OutcomeHangup, Detail: "internal error"}
			r.endBy(EndInternalError, SideIVRD)
			r.c.Hangup()
		}
	}()
	f()
}

// finish tears the call down once the menu and any hand-off are over and
// writes its record: the call is hung up if it is not yet, the reason is
// taken from what ended it, then the two last log lines.
func (r *run) finish() {
	r.refuseRequests()
	r.c.Media.SetDigits(nil)
	r.c.Media.Listen(nil)
	r.c.OnInfoDigit(func(byte) {})
	if r.c.Context().Err() == nil {
		if r.rec.Reason == EndUnknown {
			r.endBy(EndMenuHangup, SideIVRD)
		}
		r.c.Hangup()
	}
	<-r.c.Context().Done()
	r.stopRecording()
	if r.operatorEnded() {
		r.endBy(EndOperatorHangup, SideIVRD)
	}
	if r.rec.Reason == EndUnknown {
		r.rec.Reason, r.rec.Side = reasonFromSIP(r.c.EndCause())
	}
	r.rec.Ended = time.Now()
	r.rec.Media = r.c.Media.Stats()
	if r.log != nil {
		r.log.Info("call record", r.rec.menuAttrs()...)
	}
	r.c.Log.Info("call ended", r.rec.endAttrs()...)
	if r.h.opt.Records != nil {
		r.h.opt.Records(r.rec)
	}
	r.emit(Event{Type: EventCallEnded, Record: r.rec})
}

// reasonFromSIP names an end the menu did not choose.
func reasonFromSIP(cause sip.EndCause) (EndReason, Side) {
	//exhaustive:enforce
	switch cause {
	case sip.EndCallerBye, sip.EndCancelled:
		return EndCallerHangup, SideCaller
	case sip.EndSessionExpired:
		return EndSessionExpired, SideCaller
	case sip.EndShutdown:
		return EndShutdown, SideIVRD
	case sip.EndFarEnd:
		return EndBridgeEnded, SideFarEnd
	case sip.EndRefreshFailed, sip.EndNoSDPAnswer, sip.EndAnswerFailed, sip.EndMediaFailed:
		return EndSignallingFailed, SideIVRD
	case sip.EndInternalError:
		return EndInternalError, SideIVRD
	case sip.EndNotYet, sip.EndHungUp, sip.EndNoAck:
		// Not yet over, or ended by our own side, whose decision the
		// record already holds (endBy keeps the first); no ACK is a call
		// that never reached its menu.
	}
	return EndUnknown, SideUnknown
}

// endBy sets the record's end once: the first decision is the one kept,
// except that an operator's hang-up (through the API) names itself even
// where the menu or a bridge, seeing the BYE it caused, would decide.
func (r *run) endBy(reason EndReason, side Side) {
	if r.operatorEnded() {
		reason, side = EndOperatorHangup, SideIVRD
	}
	if r.rec.Reason == EndUnknown {
		r.rec.Reason, r.rec.Side = reason, side
	}
}

// operatorEnded: the API hung the call up and it was our BYE that ended it
// (not the caller's, which may have crossed it).
func (r *run) operatorEnded() bool {
	return r.live != nil && r.live.operator.Load() && r.c.Context().Err() != nil && r.c.EndCause() == sip.EndHungUp
}

// source says where a call came from: a trunk (admitted as one), a
// configured extension calling in, or unknown.
func source(cfg *ivr.Config, c *sip.Call) cdr.Source {
	switch {
	case c.Trunk != "":
		return cdr.SourceTrunk
	case c.Caller != "" && cfg.ExtensionByNumber(c.Caller) != nil:
		return cdr.SourceExtension
	}
	return cdr.SourceUnknown
}
