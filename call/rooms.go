package call

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/media"
	"github.com/ivrd/ivrd/prompts"
	"github.com/ivrd/ivrd/recording"
)

// Conferences is this node's conference rooms in progress: a room exists
// while someone is in it, mixed by a media.Mixer. The calls in a room
// each run their own loop (conference.go); the API reads and moves them
// through here (mute, unmute, remove), never touching a call's state.
type Conferences struct {
	newMixer func() *media.Mixer
	joinTone []int16 // heard by the others when someone joins
	exitTone []int16 // and when someone leaves
	// What the caller hears on its own mute key (*6).
	mutedTone, unmutedTone *prompts.Prompt
	// recorder records the rooms that say record (nil: none is).
	recorder *recording.Recorder
	log      *slog.Logger

	mu    sync.Mutex
	rooms map[string]*room
}

// NewConferences makes the registry; rooms are mixed by engine's pacers
// and those whose configuration says record are recorded by recorder
// (nil: never; a warning says so).
func NewConferences(engine *media.Engine, recorder *recording.Recorder, log *slog.Logger) *Conferences {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Conferences{
		recorder:    recorder,
		log:         log,
		newMixer:    engine.NewMixer,
		joinTone:    audio.Tone(1400, 1400, -16, 200, 0),
		exitTone:    audio.Tone(900, 900, -16, 200, 0),
		mutedTone:   prompts.Tone("conf-muted", 500, 500, -16, 150, 0),
		unmutedTone: prompts.Tone("conf-unmuted", 1200, 1200, -16, 150, 0),
		rooms:       map[string]*room{},
	}
}

type room struct {
	id, name string
	// session names this run of the room, from its first participant's
	// joining to its last one's leaving: its recording is indexed by it.
	session string
	mix     *media.Mixer
	members []*attendee          // in the order they joined
	rec     *recording.Recording // the room's whole mix being recorded; nil: not recorded
}

// moderators counts the room's moderators (under Conferences.mu).
func (rm *room) moderators() int {
	n := 0
	for _, m := range rm.members {
		if m.moderator {
			n++
		}
	}
	return n
}

// attendee is one call in a room.
type attendee struct {
	callID, caller string
	joined         time.Time
	moderator      bool
	p              *media.Participant
	removed        chan struct{} // closed when the API (or the moderator's leaving) removes the call
	removeOnce     sync.Once
	// waiting: held muted until a moderator joins (wait_for_moderator);
	// released is closed then. Both under Conferences.mu.
	waiting  bool
	released chan struct{}
	// ended: removed because the conference ended with its moderator
	// (end_with_moderator), not by an operator.
	ended bool
}

func (m *attendee) remove() { m.removeOnce.Do(func() { close(m.removed) }) }

// ConferenceRoom is a room as the API shows it.
type ConferenceRoom struct {
	ID, Name     string
	Number       string
	Max          int
	Participants []ConferenceParticipant
	// Session is the room's session now ("" when nobody is in it);
	// Recording says its mix is being recorded.
	Session   string
	Recording bool
}

// ConferenceParticipant is one call in a room (a snapshot).
type ConferenceParticipant struct {
	CallID    string
	Caller    string
	Joined    time.Time
	Muted     bool
	Talking   bool
	Moderator bool
	Waiting   bool // held until a moderator joins
}

// join puts the call in the room (made on first join), muted or not,
// unless the room is full; the others hear the join tone. A participant
// of a wait_for_moderator room with no moderator in it waits muted; a
// moderator's joining releases those waiting. others is how many were
// in the room before this call.
func (cs *Conferences) join(cfg *ivr.Conference, callID, caller string, moderator bool, s *media.Session) (rm *room, m *attendee, others int, err error) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	rm = cs.rooms[cfg.ID]
	if rm == nil {
		rm = &room{id: cfg.ID, name: cfg.Name, mix: cs.newMixer(), session: newSessionID()}
		cs.rooms[cfg.ID] = rm
		if cfg.Record {
			rm.rec = cs.startRecording(rm)
		}
	}
	if len(rm.members) >= cfg.MaxParticipants {
		return nil, nil, 0, ErrConferenceFull
	}
	others = len(rm.members)
	m = &attendee{callID: callID, caller: caller, joined: time.Now(), moderator: moderator,
		removed: make(chan struct{}), released: make(chan struct{})}
	m.waiting = cfg.WaitForModerator && !moderator && rm.moderators() == 0
	m.p = rm.mix.Join(s, cfg.MuteOnEntry || m.waiting)
	if !m.waiting {
		close(m.released)
	}
	rm.members = append(rm.members, m)
	if moderator {
		for _, w := range rm.members {
			if w.waiting {
				w.waiting = false
				w.p.SetMuted(cfg.MuteOnEntry)
				close(w.released)
			}
		}
	}
	if cfg.TonesOn() && len(rm.members) > 1 {
		rm.mix.Announce(cs.joinTone, m.p)
	}
	return rm, m, others, nil
}

// leave takes the call out; the others hear the exit tone, and the last
// one out closes the room. The last moderator out of an
// end_with_moderator room ends it: the others are removed (ended).
func (cs *Conferences) leave(cfg *ivr.Conference, rm *room, m *attendee) {
	m.p.Leave()
	if rec := cs.leaveRoom(cfg, rm, m); rec != nil {
		// Outside the lock: finishing the file waits for its writer,
		// which no other room's join or leave has to.
		rec.Stop()
	}
}

// leaveRoom is leave under the lock; it returns the room's recording
// when the room closed with one (for the caller to stop).
func (cs *Conferences) leaveRoom(cfg *ivr.Conference, rm *room, m *attendee) *recording.Recording {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	rm.members = slices.DeleteFunc(rm.members, func(x *attendee) bool { return x == m })
	if len(rm.members) == 0 {
		rm.mix.Close()
		delete(cs.rooms, rm.id)
		return rm.rec
	}
	if m.moderator && cfg.EndWithModerator && rm.moderators() == 0 {
		for _, x := range rm.members {
			x.ended = true
			x.remove()
		}
		return nil
	}
	if cfg.TonesOn() {
		rm.mix.Announce(cs.exitTone, nil)
	}
	return nil
}

// startRecording records rm's whole mix for its session; a recording
// that cannot start leaves the conference going on unrecorded, with a
// logged reason.
func (cs *Conferences) startRecording(rm *room) *recording.Recording {
	if cs.recorder == nil {
		cs.log.Warn("conference recording asked for but this server records nothing", "room", rm.id)
		return nil
	}
	rec, err := cs.recorder.StartRoom(rm.id, rm.session, rm.mix)
	if err != nil {
		cs.log.Error("conference recording not started: the conference goes on unrecorded", "room", rm.id, "session", rm.session, "err", err)
		return nil
	}
	return rec
}

// newSessionID names a room's session: 16 hex digits, random.
func newSessionID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

// endedWithModerator reports whether m was removed because the
// conference ended with its moderator.
func (cs *Conferences) endedWithModerator(m *attendee) bool {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return m.ended
}

// stillWaiting reports whether m is held for a moderator.
func (cs *Conferences) stillWaiting(m *attendee) bool {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return m.waiting
}

// Rooms lists cfg's rooms with who is in each now (and rooms still in
// progress that a reload removed from cfg).
func (cs *Conferences) Rooms(cfg *ivr.Config) []ConferenceRoom {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	var out []ConferenceRoom
	seen := map[string]bool{}
	for _, c := range cfg.Conferences {
		seen[c.ID] = true
		rm := cs.rooms[c.ID]
		cr := ConferenceRoom{ID: c.ID, Name: c.Name, Number: c.Number, Max: c.MaxParticipants, Participants: cs.participants(rm)}
		if rm != nil {
			cr.Session, cr.Recording = rm.session, rm.rec != nil
		}
		out = append(out, cr)
	}
	var gone []string
	for id := range cs.rooms {
		if !seen[id] {
			gone = append(gone, id)
		}
	}
	slices.Sort(gone)
	for _, id := range gone {
		rm := cs.rooms[id]
		out = append(out, ConferenceRoom{ID: id, Name: rm.name, Participants: cs.participants(rm), Session: rm.session, Recording: rm.rec != nil})
	}
	return out
}

func (cs *Conferences) participants(rm *room) []ConferenceParticipant {
	out := []ConferenceParticipant{}
	if rm == nil {
		return out
	}
	for _, m := range rm.members {
		out = append(out, ConferenceParticipant{CallID: m.callID, Caller: m.caller, Joined: m.joined,
			Muted: m.p.Muted(), Talking: m.p.Talking(), Moderator: m.moderator, Waiting: m.waiting})
	}
	return out
}

// find is the member of room id with callID (under cs.mu).
func (cs *Conferences) find(id, callID string) *attendee {
	if rm := cs.rooms[id]; rm != nil {
		for _, m := range rm.members {
			if m.callID == callID {
				return m
			}
		}
	}
	return nil
}

// SetMuted mutes or unmutes a call in room id (ErrNotInConference).
func (cs *Conferences) SetMuted(id, callID string, muted bool) error {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	m := cs.find(id, callID)
	if m == nil {
		return ErrNotInConference
	}
	m.p.SetMuted(muted)
	return nil
}

// Remove takes a call out of room id and hangs it up, as its own loop
// does it (ErrNotInConference).
func (cs *Conferences) Remove(id, callID string) error {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	m := cs.find(id, callID)
	if m == nil {
		return ErrNotInConference
	}
	m.remove()
	return nil
}

// muteTone is the confirmation of the caller's own mute key: low for
// muted, high for unmuted.
func (cs *Conferences) muteTone(muted bool) *prompts.Prompt {
	if muted {
		return cs.mutedTone
	}
	return cs.unmutedTone
}
