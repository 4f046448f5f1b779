package call

import (
	"context"
	"fmt"
	"time"

	"github.com/ivrd/ivrd/cdr"
	"github.com/ivrd/ivrd/ivr"
)

// Keys inside a conference room:
//
//	*6   mute or unmute yourself (a low tone: muted; a high one: unmuted)
//	#    leave the room; ivrd hangs up
//
// Hanging up leaves too. The others hear a tone when someone joins or
// leaves (the room's tones setting).
const (
	confLeaveKey   = '#'
	confMuteKey    = '6' // after *
	confPINTries   = 3   // wrong PINs before the caller is refused
	confPINTimeout = 5 * time.Second
	confStarWindow = 3 * time.Second // between * and 6
)

// conference joins the call to room id (after its PIN, if any) and stays
// there until the caller leaves (#, hang-up) or the API removes it. nil
// means the call has left the menu: it is over. An error (unknown room,
// full, PIN refused) goes back to the menu, whose overflow runs.
func (r *run) conference(id string) error {
	cfg := r.snap.Config.ConferenceByID(id)
	if cfg == nil {
		return fmt.Errorf("%w %q", ErrUnknownConference, id)
	}
	cs := r.h.opt.Conferences
	if cs == nil {
		return ErrNoConferences
	}
	if cfg.PIN != "" {
		if err := r.conferencePIN(cfg); err != nil {
			return err
		}
	}
	rm, m, err := cs.join(cfg, r.c.ID, r.c.Caller, r.c.Media)
	if err != nil {
		r.log.Info("conference refused", "room", id, "err", err)
		_, _ = r.say("conf-full") // the caller may hang up meanwhile
		return err
	}
	r.live.set("", StateConference)
	r.answerOperator(nil)
	r.log.Info("conference joined", "room", id, "muted", cfg.MuteOnEntry)
	defer func() {
		cs.leave(rm, m, cfg.TonesOn())
		r.log.Info("conference left", "room", id)
	}()
	r.dropTypedAhead() // the key that chose the room is not a room key
	return r.inConference(m)
}

// inConference runs the room's keys until the call leaves it.
func (r *run) inConference(m *attendee) error {
	var star time.Time // when * was pressed, zero if not pending
	for {
		select {
		case in := <-r.events:
			k, ok := r.keyOf(in)
			if !ok {
				continue
			}
			switch {
			case k == '*':
				star = time.Now()
			case k == confMuteKey && !star.IsZero() && time.Since(star) < confStarWindow:
				star = time.Time{}
				muted := !m.p.Muted()
				m.p.SetMuted(muted)
				r.c.Media.Play(r.h.opt.Conferences.muteTone(muted), nil)
				r.log.Info("conference mute by key", "muted", muted)
			case k == confLeaveKey:
				r.endBy(EndConferenceLeft, SideCaller)
				r.c.Hangup()
				return nil
			default:
				star = time.Time{}
			}
		case <-m.removed:
			r.log.Info("conference: removed by an operator")
			r.live.operator.Store(true)
			r.endBy(EndOperatorHangup, SideIVRD)
			r.c.Hangup()
			return nil
		case <-r.ctx.Done():
			return nil // the caller hung up: finish names the reason
		}
	}
}

// conferencePIN asks for the room's PIN up to confPINTries times; the
// PIN is never logged nor kept in the record.
func (r *run) conferencePIN(cfg *ivr.Conference) error {
	for attempt := 1; attempt <= confPINTries; attempt++ {
		keys := len(r.rec.Keys)
		k, err := r.sayOneOf("conf-pin", "vm-password")
		if err != nil {
			return err
		}
		pin, err := r.readDigits(k, 12, confPINTimeout)
		// The PIN's keys stay out of the call record: it is not a menu
		// choice, and a record is read by more people than the PIN is.
		r.rec.Keys = r.rec.Keys[:keys]
		if err != nil {
			return err
		}
		if cfg.CheckPIN(pin) {
			return nil
		}
		r.log.Info("conference PIN refused", "room", cfg.ID, "attempt", attempt)
		if _, err := r.sayOneOf("conf-invalid-pin", "vm-incorrect"); err != nil {
			return err
		}
	}
	return fmt.Errorf("%w for room %s after %d tries", ErrConferencePIN, cfg.ID, confPINTries)
}

// sayOneOf plays the first of names that exists (a site's own prompt
// before the bundled stand-in); a key stops it and is returned.
func (r *run) sayOneOf(names ...string) (byte, error) {
	for _, n := range names {
		if p, ok := r.systemPrompt(n); ok {
			return r.sayPrompt(p)
		}
	}
	if err := context.Cause(r.ctx); err != nil {
		return 0, err
	}
	return 0, nil
}

// dialledRoom serves a call that dialled a room's number: no menu, the
// room straight away (kept in the record as a hand-off). If the room
// refuses the caller (full, PIN), ivrd says goodbye and hangs up.
func (r *run) dialledRoom(id string) {
	dest := &ivr.Destination{Kind: ivr.KindConference, Target: id}
	r.rec.Outcome = cdr.Outcome{Kind: cdr.OutcomeTransfer, Detail: dest.String()}
	if err := r.tryHandOff(dest, ivr.MethodConference, false); err != nil && r.ctx.Err() == nil {
		_, _ = r.say("goodbye") // the caller may hang up first
		r.endBy(EndMenuHangup, SideIVRD)
		r.c.Hangup()
	}
}
