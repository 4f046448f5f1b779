package ivr

import "fmt"

// KindConference (ivrd addition) joins the caller to a conference room:
// {conference: ROOM}.
const KindConference Kind = "conference"

// MethodConference is how a conference hand-off shows in traces: the call
// stays with ivrd, in the room's mix.
const MethodConference TransferMethod = "conference"

// Conference room limits.
const (
	DefaultMaxParticipants = 20
	MaxParticipantsLimit   = 200
	maxConferencePIN       = 12
)

// Conference (ivrd addition) is a conference room: everyone in it hears
// everyone else, mixed by ivrd. Reached by {conference: ID}, by its
// number dialled directly, or by {internal: NUMBER}.
type Conference struct {
	ID   string `yaml:"id"`
	Name string `yaml:"name"`
	// Number (optional) is dialled to reach the room directly; it is an
	// internal number like an extension's.
	Number string `yaml:"number"`
	// PIN (optional, digits): asked before joining; three wrong entries
	// and the caller is refused (the destination's overflow, if any).
	PIN string `yaml:"pin"`
	// MaxParticipants refuses callers beyond it (default 20).
	MaxParticipants int `yaml:"max_participants"`
	// Tones: a short tone tells the others someone joined or left
	// (default on).
	Tones *bool `yaml:"tones"`
	// MuteOnEntry joins callers muted (they unmute with *6).
	MuteOnEntry bool `yaml:"mute_on_entry"`
	// ModeratorPIN (optional, digits, not the PIN): entered where the PIN
	// is asked, it joins the caller as the room's moderator (Asterisk
	// ConfBridge's admin/marked user, FreeSWITCH's moderator-pin). A room
	// with a moderator PIN and no PIN asks every caller; an empty entry
	// (# or nothing) joins as a participant.
	ModeratorPIN string `yaml:"moderator_pin"`
	// WaitForModerator holds participants muted, and tells them why,
	// until a moderator is in the room (ConfBridge's wait_marked).
	WaitForModerator bool `yaml:"wait_for_moderator"`
	// EndWithModerator ends the conference for everyone when the last
	// moderator leaves (ConfBridge's end_marked).
	EndWithModerator bool `yaml:"end_with_moderator"`
	// AnnounceCount tells a caller who joins how many others are in the
	// room ("You are the only person in this conference", "There are 3
	// other participants").
	AnnounceCount bool `yaml:"announce_count"`
	// Record writes the room's whole mix (everyone who talks, mono, 8
	// kHz) to one recording per session, from the first participant's
	// joining to the last one's leaving (ConfBridge's record_conference).
	Record bool `yaml:"record"`
	// RecordAnnouncement (optional, a prompt) is played to each caller
	// joining a recorded room ("this conference is recorded").
	RecordAnnouncement string `yaml:"record_announcement"`
}

// AsksPIN reports whether callers are asked for a PIN before joining.
func (c *Conference) AsksPIN() bool { return c.PIN != "" || c.ModeratorPIN != "" }

// Entry is what a caller's PIN entry opens: the room as a participant
// or as its moderator, or nothing (ok false).
func (c *Conference) Entry(pin string) (moderator, ok bool) {
	switch {
	case c.ModeratorPIN != "" && pin == c.ModeratorPIN:
		return true, true
	case c.PIN != "":
		return false, pin == c.PIN
	default:
		// An open room whose moderator PIN was not entered: any entry
		// (usually none, just #) joins as a participant.
		return false, true
	}
}

// TonesOn reports whether joins and leaves are announced by a tone.
func (c *Conference) TonesOn() bool { return c.Tones == nil || *c.Tones }

// CheckPIN reports whether pin opens the room (any entry does when it
// has no PIN).
func (c *Conference) CheckPIN(pin string) bool {
	_, ok := c.Entry(pin)
	return ok
}

// ConferenceByID finds a conference room.
func (c *Config) ConferenceByID(id string) *Conference {
	for i := range c.Conferences {
		if c.Conferences[i].ID == id {
			return &c.Conferences[i]
		}
	}
	return nil
}

// ConferenceByNumber finds the room dialled as number.
func (c *Config) ConferenceByNumber(number string) *Conference {
	for i := range c.Conferences {
		if number != "" && c.Conferences[i].Number == number {
			return &c.Conferences[i]
		}
	}
	return nil
}

func (c *Config) conferenceDefaults() {
	for i := range c.Conferences {
		r := &c.Conferences[i]
		if r.MaxParticipants == 0 {
			r.MaxParticipants = DefaultMaxParticipants
		}
		if r.Name == "" {
			r.Name = r.ID
		}
	}
}

func (v *validator) conferences() {
	seen := map[string]bool{}
	for i, r := range v.c.Conferences {
		path := fmt.Sprintf("conferences[%s]", nameOr(r.ID, i))
		switch {
		case r.ID == "":
			v.errf(path, "id is required")
		case seen[r.ID]:
			v.errf(path, "duplicate conference id %q", r.ID)
		case !dialledName(r.ID):
			v.errf(path, "id %q: want letters, digits, + * # . - _", r.ID)
		}
		seen[r.ID] = true
		if r.Number != "" && !isDialNumber(r.Number) {
			v.errf(path+".number", "number %q must be digits", r.Number)
		}
		if r.PIN != "" && (!isDialNumber(r.PIN) || len(r.PIN) > maxConferencePIN) {
			// The PIN itself is never repeated in a message.
			v.errf(path+".pin", "a PIN is 1-%d digits", maxConferencePIN)
		}
		if r.ModeratorPIN != "" && (!isDialNumber(r.ModeratorPIN) || len(r.ModeratorPIN) > maxConferencePIN) {
			v.errf(path+".moderator_pin", "a PIN is 1-%d digits", maxConferencePIN)
		}
		if r.ModeratorPIN != "" && r.ModeratorPIN == r.PIN {
			v.errf(path+".moderator_pin", "the moderator PIN must differ from the PIN (both would open the room as the moderator)")
		}
		if r.ModeratorPIN == "" && (r.WaitForModerator || r.EndWithModerator) {
			v.errf(path, "wait_for_moderator and end_with_moderator need a moderator_pin (nobody could be the moderator)")
		}
		if n := r.MaxParticipants; n < 2 || n > MaxParticipantsLimit {
			v.errf(path+".max_participants", "%d is out of range 2-%d", n, MaxParticipantsLimit)
		}
		if r.RecordAnnouncement != "" && !r.Record {
			v.errf(path+".record_announcement", "record_announcement needs record: true (the room is not recorded)")
		}
		v.prompt(path+".record_announcement", r.RecordAnnouncement)
	}
}

// conferenceDest: a room is joined, never transferred or rung.
func (v *validator) conferenceDest(path string, d *Destination) {
	if v.c.ConferenceByID(d.Target) == nil {
		v.errf(path, "unknown conference %q", d.Target)
	}
	if d.Transfer != "" {
		v.errf(path+".transfer", "transfer does not apply to a conference: the caller joins the room")
	}
	if d.RingTimeout != 0 {
		v.errf(path+".ring_timeout", "ring_timeout does not apply to a conference")
	}
}
