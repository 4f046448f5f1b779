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
//	*6   mute or unmute yourself (a low tone: muted; a high one: unmuted;
//	     while waiting for the moderator it stays muted: the low tone)
//	#    leave the room; ivrd hangs up
//
// Hanging up leaves too. The others hear a tone when someone joins or
// leaves (the room's tones setting). A room with a moderator PIN can
// hold participants until the moderator comes (wait_for_moderator) and
// end with the moderator (end_with_moderator): the others hear "the
// conference has ended" and are hung up.
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
	moderator := false
	if cfg.AsksPIN() {
		var err error
		if moderator, err = r.conferencePIN(cfg); err != nil {
			return err
		}
	}
	rm, m, others, err := cs.join(cfg, r.c.ID, r.c.Caller, moderator, r.c.Media)
	if err != nil {
		r.log.Info("conference refused", "room", id, "err", err)
		_, _ = r.say("conf-full") // the caller may hang up meanwhile
		return err
	}
	r.live.set("", StateConference)
	r.answerOperator(nil)
	r.log.Info("conference joined", "room", id, "muted", cfg.MuteOnEntry, "moderator", moderator, "waiting", m.waiting)
	defer func() {
		cs.leave(cfg, rm, m)
		r.log.Info("conference left", "room", id)
	}()
	r.dropTypedAhead() // the key that chose the room is not a room key
	var announce []string
	if cfg.Record && cfg.RecordAnnouncement != "" {
		announce = append(announce, cfg.RecordAnnouncement) // first: the notice that it is recorded
	}
	if cfg.AnnounceCount {
		announce = countSentence(fragments{}, others)
	}
	if cs.stillWaiting(m) {
		announce = append(announce, "conf-wait-moderator")
	}
	return r.inConference(m, announce)
}

// countSentence is what a caller joining a room of others hears: "You
// are the only person in this conference", "There is one other
// participant", "There are 3 other participants".
func countSentence(say Sayer, others int) []string {
	switch others {
	case 0:
		return []string{"conf-only-person"}
	case 1:
		return []string{"conf-one-other"}
	}
	return append(append([]string{"conf-there-are"}, say.Number(others)...), "conf-other-participants")
}

// announcements plays prompts one after another while the call is in
// its room (the room's keys work meanwhile). A tone the caller's own key
// makes takes the place of what is left.
type announcements struct {
	r      *run
	queue  []string
	played chan struct{} // closed when the current one ends; nil: none playing
}

// next plays the next prompt that exists, if any.
func (a *announcements) next() {
	a.played = nil
	for len(a.queue) > 0 {
		// The site's prompt in the caller's language first (the record
		// announcement is one), then a bundled stand-in.
		p, ok := a.r.prompt(a.queue[0])
		if !ok {
			p, ok = a.r.systemPrompt(a.queue[0])
		}
		a.queue = a.queue[1:]
		if ok {
			done := make(chan struct{})
			a.r.c.Media.Play(p, func() { close(done) })
			a.played = done
			return
		}
	}
}

// cut drops what is left: a key's tone is playing instead.
func (a *announcements) cut() { a.queue, a.played = nil, nil }

// inConference runs the room's keys until the call leaves it, playing
// announce (the count, the wait for the moderator) first.
func (r *run) inConference(m *attendee, announce []string) error {
	var star time.Time // when * was pressed, zero if not pending
	says := &announcements{r: r, queue: announce}
	says.next()
	for {
		select {
		case <-says.played:
			says.next()
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
				cs := r.h.opt.Conferences
				says.cut()
				if cs.stillWaiting(m) {
					r.c.Media.Play(cs.muteTone(true), nil) // held until the moderator comes
					continue
				}
				muted := !m.p.Muted()
				m.p.SetMuted(muted)
				r.c.Media.Play(cs.muteTone(muted), nil)
				r.log.Info("conference mute by key", "muted", muted)
			case k == confLeaveKey:
				r.endBy(EndConferenceLeft, SideCaller)
				r.c.Hangup()
				return nil
			default:
				star = time.Time{}
			}
		case <-m.removed:
			if r.h.opt.Conferences.endedWithModerator(m) {
				r.log.Info("conference: ended with its moderator")
				_, _ = r.say("conf-ended") // the caller may hang up meanwhile
				r.endBy(EndConferenceEnded, SideIVRD)
				r.c.Hangup()
				return nil
			}
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

// conferencePIN asks for the room's PIN up to confPINTries times and
// says whether the entry was the moderator's; the PIN is never logged
// nor kept in the record.
func (r *run) conferencePIN(cfg *ivr.Conference) (moderator bool, err error) {
	// An open room with a moderator PIN asks for it, and an empty entry
	// joins as a participant.
	ask := []string{"conf-pin", "vm-password"}
	if cfg.PIN == "" {
		ask = []string{"conf-moderator-pin-or-pound"}
	}
	for attempt := 1; attempt <= confPINTries; attempt++ {
		keys := len(r.rec.Keys)
		k, err := r.sayOneOf(ask...)
		if err != nil {
			return false, err
		}
		pin, err := r.readDigits(k, 12, confPINTimeout)
		// The PIN's keys stay out of the call record: it is not a menu
		// choice, and a record is read by more people than the PIN is.
		r.rec.Keys = r.rec.Keys[:keys]
		if err != nil {
			return false, err
		}
		if moderator, ok := cfg.Entry(pin); ok {
			return moderator, nil
		}
		r.log.Info("conference PIN refused", "room", cfg.ID, "attempt", attempt)
		if _, err := r.sayOneOf("conf-invalid-pin", "vm-incorrect"); err != nil {
			return false, err
		}
	}
	return false, fmt.Errorf("%w for room %s after %d tries", ErrConferencePIN, cfg.ID, confPINTries)
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
