package call

import (
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/store"
)

// Voicemail is what a call needs of where messages are kept: one
// configuration's mailboxes. A caller deposits a message after the
// box's greeting; the box's owner checks it (counts, list, play, mark as
// heard, delete) and records that greeting; the counts light the phones'
// lamps. store.Voicemail (WAV files under voicemail_dir) is one.
type Voicemail interface {
	// Save deposits a message (8 kHz mono) and fills its ID, Duration
	// and File.
	Save(m *store.Message, pcm []int16) error
	// Counts is the box's new (not yet heard) and old messages.
	Counts(box string) (newMsgs, oldMsgs int, err error)
	// List is the box's messages, oldest first.
	List(box string) ([]store.Message, error)
	// Audio is a message's recording.
	Audio(m store.Message) ([]int16, error)
	// MarkOld records that the owner has heard a message.
	MarkOld(m store.Message) error
	// Delete removes a message.
	Delete(m store.Message) error
	// Greeting is the greeting the owner recorded by phone (false: none).
	Greeting(box string) ([]int16, bool)
	// SaveGreeting keeps a greeting recorded by phone.
	SaveGreeting(box string, pcm []int16) error
}

// Both kinds of mailboxes the store has are a call's Voicemail.
var (
	_ Voicemail = store.Voicemail{}
	_ Voicemail = store.Mailboxes{}
)

// voicemailIn is Options.Voicemail's default: store.Voicemail in the
// configuration's voicemail_dir.
func voicemailIn(cfg *ivr.Config) Voicemail { return store.Voicemail{Dir: cfg.VoicemailPath()} }

// mailboxes is the mailboxes of the configuration this call started with.
func (r *run) mailboxes() Voicemail { return r.h.opt.Voicemail(r.snap.Config) }
