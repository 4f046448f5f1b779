package call

import (
	"time"

	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/prompts"
	"github.com/ivrd/ivrd/store"
)

// Voicemail checking, as Asterisk's VoiceMailMain lays it out:
//
//	main menu:    1 listen (new messages first, else old)  0 mailbox options  # goodbye
//	a message:    4 previous  5 repeat  6 next  7 delete  9 save  # main menu
//	options:      1 record your greeting  * main menu
//
// A message becomes old once it has been played; "save" keeps it (old)
// and goes on; "delete" removes it at once.
const (
	pinTimeout   = 5 * time.Second  // between keys of a box number or PIN
	menuTimeout  = 10 * time.Second // for a menu choice
	menuTries    = 3                // unanswered menus before goodbye
	maxPINDigits = 12
	maxBoxDigits = 20
	maxGreeting  = 60 * time.Second
)

// voicemailCheck logs the caller in to a box (target, or the box they
// key in for ivr.AnyBox) and runs its menus. It always ends the call:
// nil means the caller was served (or sent away after wrong PINs).
func (r *run) voicemailCheck(target string) error {
	box, ok, err := r.vmLogin(target)
	if err == nil && ok {
		err = r.mailbox(box)
	}
	if err != nil {
		return err
	}
	_, _ = r.say("goodbye") // the caller may hang up first
	r.endBy(EndVoicemail, SideIVRD)
	r.c.Hangup()
	return nil
}

// vmLogin asks for the PIN (and the box first, for "*") up to the box's
// max_attempts; a box locked after too many wrong PINs refuses even the
// right one until its lockout is over.
func (r *run) vmLogin(target string) (string, bool, error) {
	cfg := r.snap.Config
	tries := ivr.DefaultPINAttempts
	if b := cfg.VoicemailBoxByID(target); b != nil {
		tries = b.MaxAttempts
	}
	for attempt := 0; attempt < tries; attempt++ {
		box := target
		if target == ivr.AnyBox {
			k, err := r.say("vm-login")
			if err != nil {
				return "", false, err
			}
			if box, err = r.readDigits(k, maxBoxDigits, pinTimeout); err != nil {
				return "", false, err
			}
		}
		k, err := r.say("vm-password")
		if err != nil {
			return "", false, err
		}
		pin, err := r.readDigits(k, maxPINDigits, pinTimeout)
		if err != nil {
			return "", false, err
		}
		b := cfg.VoicemailBoxByID(box)
		pins := r.h.pinGuard()
		if b != nil && pins.locked(box, time.Now()) {
			r.log.Warn("voicemail login refused: box locked", "box", box)
			_, err := r.say("vm-locked")
			return "", false, err
		}
		if b.CheckPIN(pin) {
			pins.succeeded(box)
			r.log.Info("voicemail login", "box", box)
			return box, true, nil
		}
		if b != nil {
			pins.failed(box, b.LockoutAfter, b.Lockout.D(), time.Now())
		}
		r.log.Info("voicemail login failed", "box", box, "attempt", attempt+1)
		if _, err := r.say("vm-incorrect"); err != nil {
			return "", false, err
		}
	}
	return "", false, nil
}

// mailbox says the counts and runs the main menu until # or silence.
func (r *run) mailbox(box string) error {
	vm := r.mailboxes()
	newMsgs, oldMsgs, err := vm.Counts(box)
	if err != nil {
		r.log.Warn("voicemail: reading messages", "box", box, "err", err)
	}
	k, err := r.say(countsSentence(fragments{}, newMsgs, oldMsgs)...)
	for quiet := 0; err == nil && quiet < menuTries; {
		if k == 0 {
			if k, err = r.say("vm-instructions"); err == nil && k == 0 {
				k, err = r.waitKey(menuTimeout)
			}
			if err != nil {
				return err
			}
		}
		switch k {
		case 0:
			quiet++
		case '#':
			return nil
		case '1':
			quiet = 0
			err = r.listenMessages(vm, box)
		case '0':
			quiet = 0
			err = r.options(vm, box)
		default:
			_, err = r.say("invalid")
		}
		k = 0
	}
	return err
}

// listenMessages plays the new messages (else the old ones) with their
// envelopes and takes the message keys.
func (r *run) listenMessages(vm Voicemail, box string) error {
	all, err := vm.List(box)
	if err != nil {
		r.log.Warn("voicemail: reading messages", "box", box, "err", err)
	}
	var msgs []store.Message
	for _, old := range []bool{false, true} {
		for _, m := range all {
			if m.Old == old {
				msgs = append(msgs, m)
			}
		}
		if len(msgs) > 0 {
			break
		}
	}
	if len(msgs) == 0 {
		_, err := r.say("vm-nomore")
		return err
	}
	for i := 0; i < len(msgs); {
		k, err := r.playMessage(vm, i+1, &msgs[i])
		for quiet := 0; err == nil && k == 0 && quiet < menuTries; quiet++ {
			if k, err = r.say("vm-msg-options"); err == nil && k == 0 {
				k, err = r.waitKey(menuTimeout)
			}
		}
		if err != nil {
			return err
		}
		switch k {
		case 0, '#':
			return nil
		case '4':
			if i == 0 {
				_, err = r.say("vm-first")
			} else {
				i--
			}
		case '5':
		case '6':
			i++
		case '7':
			if err := vm.Delete(msgs[i]); err != nil {
				r.log.Warn("voicemail: delete", "box", box, "err", err)
			}
			r.notifyMWI(box)
			msgs = append(msgs[:i], msgs[i+1:]...)
			_, err = r.say("vm-deleted")
		case '9':
			_, err = r.say("vm-saved")
			i++
		default:
			_, err = r.say("invalid")
		}
		if err != nil {
			return err
		}
	}
	_, err = r.say("vm-nomore")
	return err
}

// playMessage says the envelope and plays the message; a key stops
// either and is returned. A new message becomes old once it starts.
func (r *run) playMessage(vm Voicemail, n int, m *store.Message) (byte, error) {
	if k, err := r.say(envelope(fragments{}, n, *m)...); k != 0 || err != nil {
		return k, err
	}
	if !m.Old {
		if err := vm.MarkOld(*m); err != nil {
			r.log.Warn("voicemail: mark old", "box", m.Box, "err", err)
		} else {
			m.Old = true
			r.notifyMWI(m.Box)
		}
	}
	pcm, err := vm.Audio(*m)
	if err != nil {
		r.log.Warn("voicemail: reading message", "box", m.Box, "id", m.ID, "err", err)
		return 0, nil
	}
	return r.sayPrompt(prompts.New("message "+m.ID, pcm))
}

// options is the mailbox options menu: record a greeting.
func (r *run) options(vm Voicemail, box string) error {
	k, err := r.say("vm-options")
	if err == nil && k == 0 {
		k, err = r.waitKey(menuTimeout)
	}
	if err != nil || k != '1' {
		return err
	}
	if _, err := r.say("vm-record-greeting"); err != nil {
		return err
	}
	pcm, reason, err := r.record(maxGreeting)
	if err != nil {
		return err
	}
	if reason == "hangup" || len(pcm) == 0 {
		return nil
	}
	if err := vm.SaveGreeting(box, pcm); err != nil {
		r.log.Warn("voicemail: saving greeting", "box", box, "err", err)
		_, err = r.say("invalid")
		return err
	}
	r.log.Info("voicemail greeting recorded", "box", box, "samples", len(pcm))
	_, err = r.say("vm-greeting-saved")
	return err
}
