package call

import (
	"time"

	"github.com/ivrd/ivrd/dtmf"
	"github.com/ivrd/ivrd/ivr"
)

// EventType names what happened to a call, as webhooks and metrics see it.
type EventType string

// The events a call emits, in the order they can happen.
const (
	EventCallStarted       EventType = "call.started"
	EventMenuEntered       EventType = "menu.entered"
	EventDigit             EventType = "digit"
	EventTransferStarted   EventType = "transfer.started"
	EventTransferFinished  EventType = "transfer.finished"
	EventVoicemailRecorded EventType = "voicemail.recorded"
	EventCallEnded         EventType = "call.ended"
	// EventRouteWebhook: the caller reached a webhook destination. Its
	// Name is the type receivers see (route.webhook or the route's own).
	EventRouteWebhook EventType = "route.webhook"
)

// Event is one thing that happened to a call. Only the fields of its type
// are set. Events of one call come in order, on the call's goroutine.
type Event struct {
	Type   EventType
	CallID string
	At     time.Time
	IVR    string

	From, To, Trunk string // call.started

	Menu string // menu.entered; digit: the menu the key was pressed in

	Key    byte        // digit
	Method dtmf.Method // digit

	Dest           string             // transfer.*
	TransferMethod ivr.TransferMethod // transfer.*
	Operator       bool               // transfer.*: asked through the API
	Err            string             // transfer.finished: "" when it succeeded

	Voicemail, Box string // voicemail.recorded

	Record *Record // call.ended: the whole record

	// route.webhook (with From, To, Menu): the event's type, the
	// webhooks: entry it goes to ("" every one), the entry pressed and
	// the route's configured data.
	Name, Webhook, Digits string
	Data                  map[string]string
}

// emit hands an event to Options.Events; it runs on the call's goroutine
// and must not block (the observer queues).
func (r *run) emit(ev Event) {
	if r.h.opt.Events == nil {
		return
	}
	ev.CallID, ev.At = r.c.ID, time.Now()
	if ev.IVR == "" {
		ev.IVR = r.rec.IVR
	}
	r.h.opt.Events(ev)
}
