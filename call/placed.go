package call

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ivrd/ivrd/cdr"
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/sip"
)

// Placed is what a call ivrd placed runs once it is answered: an IVR's
// menu, or a single destination, for the called party as its caller.
type Placed struct {
	// IVR is the menu to run ("" runs Dest).
	IVR string
	// Dest is the destination to run when IVR is "": when it is done
	// the call ends (there is no menu to go back to).
	Dest *ivr.Destination
	// Vars are the call's variables from the start (${vars.NAME}).
	Vars map[string]string
	// From is the caller id the call was placed with (its record's from;
	// the called party is its to).
	From string
}

// ServePlaced runs a call ivrd placed (sip.Server.PlaceCall) from its
// answer to its record, like Serve runs an inbound one: the called party
// is the caller of the menu, and the record says outbound. It returns
// when the call is over and its record written.
func (h *Handler) ServePlaced(ctx context.Context, c *sip.Call, p Placed) {
	snap := h.opt.Snapshot()
	rec := &Record{CallID: c.ID, From: p.From, To: c.Caller, Trunk: c.Trunk, Answered: time.Now(), IVR: p.IVR,
		Direction: cdr.DirectionOutbound, Source: cdr.SourceUnknown}
	if c.Trunk != "" {
		rec.Source = cdr.SourceTrunk
	}
	r := &run{h: h, c: c, ctx: ctx, snap: snap, rec: rec, events: make(chan input, eventQueue), placed: &p}
	r.live = &liveEntry{c: c, from: c.Caller, to: c.Dialled, trunk: c.Trunk, answered: rec.Answered,
		requests: make(chan liveRequest, 1), ivr: rec.IVR, menu: rec.IVR, state: StateMenu}
	h.opt.Live.add(r.live)
	defer h.opt.Live.remove(c.ID)
	r.emit(Event{Type: EventCallStarted, From: c.Caller, To: c.Dialled, Trunk: c.Trunk})
	menu := snap.Config.IVRByID(p.IVR)
	switch {
	case p.IVR != "" && menu == nil:
		// A reload between the API's check and the answer removed it.
		r.endBy(EndNoIVR, SideIVRD)
		c.Hangup()
	case menu != nil:
		r.log = c.Log.With("ivr", menu.ID, "direction", "outbound")
		r.listen()
		r.guarded(func() {
			r.startRecording(menu.Record)
			r.menu(menu)
		})
	default:
		r.log = c.Log.With("direction", "outbound")
		r.listen()
		r.guarded(func() { r.menu(nil) })
	}
	r.finish()
}

// placedStart gives a placed call's executor its destination and
// variables (nothing for an inbound call).
func (r *run) placedStart() {
	if r.placed == nil {
		return
	}
	r.exec.SetVars(r.placed.Vars)
	if r.placed.IVR == "" && r.placed.Dest != nil {
		r.exec.StartAt(r.placed.Dest)
	}
}

// PlaceTarget is whom a placed call rings for to: through trunk when one
// is named (to is then a number), else the configured extension to, else
// the SIP URI to. It says what is wrong with a target it cannot call.
func PlaceTarget(cfg *ivr.Config, srv *sip.Server, to, trunk string) (sip.Outbound, error) {
	to = strings.TrimSpace(to)
	var dest *ivr.Destination
	switch {
	case to == "":
		return sip.Outbound{}, errors.New("to: the number, extension or SIP URI to call is required")
	case trunk != "":
		if !isNumber(strings.TrimPrefix(to, "+")) {
			return sip.Outbound{}, fmt.Errorf("to %q: a number through trunk %s is digits, optionally after +", to, trunk)
		}
		dest = &ivr.Destination{Kind: ivr.KindExternal, Target: to, Trunk: trunk}
	case cfg.ExtensionByNumber(to) != nil:
		dest = &ivr.Destination{Kind: ivr.KindExtension, Target: to}
	case strings.HasPrefix(to, "sip:") || strings.HasPrefix(to, "sips:") || strings.Contains(to, "@"):
		dest = &ivr.Destination{Kind: ivr.KindURI, Target: to}
	default:
		return sip.Outbound{}, fmt.Errorf("to %q: not an extension of the configuration; a number needs a trunk, else give a SIP URI", to)
	}
	out, err := outboundFor(cfg, srv, dest)
	if err != nil {
		return out, err
	}
	out.Fork, out.Ringback = nil, nil // one URI, and no caller to hear ringback
	return out, nil
}

func isNumber(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
