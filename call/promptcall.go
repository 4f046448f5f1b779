package call

import (
	"context"
	"errors"
	"time"

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/cdr"
	"github.com/ivrd/ivrd/prompts"
	"github.com/ivrd/ivrd/sip"
)

// Recording a prompt by phone (FreePBX's *77 system recording, Yeastar's
// "record prompt by phone"): ivrd calls a phone, and whoever answers
// hears the instruction, a beep, records until # (or silence, or the
// length limit), hears the recording back and chooses:
//
//	1 keep it (the prompt is stored)   2 record it again   * cancel
//
// Nothing is stored unless 1 is pressed.

// Limits of a prompt recorded by phone.
const (
	// maxPromptRecording is the longest recording (Asterisk's Record()
	// users give a system recording a few minutes at most).
	maxPromptRecording = 5 * time.Minute
	// minPromptRecording: anything shorter is taken as nothing recorded.
	minPromptRecording = 250 * time.Millisecond
	// promptChoiceWait is how long the review waits for a key after
	// saying the choices, which it says promptChoiceTries times.
	promptChoiceWait  = 6 * time.Second
	promptChoiceTries = 3
	// promptTakes bounds recordings of one call (2 and empty takes).
	promptTakes = 10
)

// The keys of the review.
const (
	promptKeep   = '1'
	promptRedo   = '2'
	promptCancel = '*'
)

// PromptStep is where a prompt recorded by phone is.
type PromptStep int

// The steps, in the order a call goes through them.
const (
	PromptAnswered  PromptStep = iota // answered: the instruction plays
	PromptRecording                   // after the beep: recording
	PromptReviewing                   // playing it back, waiting for 1, 2 or *
	PromptSaved                       // 1 was pressed and the prompt stored
	PromptCancelled                   // * was pressed: nothing stored
	PromptFailed                      // hung up, no choice, or not stored: nothing stored
)

// PromptCall is what a call placed to record a prompt does once
// answered.
type PromptCall struct {
	// Name is the prompt being recorded (for the log and the record).
	Name string
	// Language is the language of the instructions ("" the default set).
	Language string
	// From is the caller id the call was placed with (its record's from).
	From string
	// Progress is told each step, with why for PromptFailed (a final step
	// may be told twice); it runs on the call's goroutine and must not
	// block.
	Progress func(step PromptStep, reason string)
	// Save stores the kept recording (8 kHz); an error fails the call.
	Save func(pcm []int16) error
}

// ServePromptCall runs a call placed to record a prompt by phone, from
// its answer to its record (outbound, like ServePlaced's).
func (h *Handler) ServePromptCall(ctx context.Context, c *sip.Call, p PromptCall) {
	snap := h.opt.Snapshot()
	rec := &Record{CallID: c.ID, From: p.From, To: c.Caller, Trunk: c.Trunk, Answered: time.Now(),
		Direction: cdr.DirectionOutbound, Source: cdr.SourceUnknown}
	if c.Trunk != "" {
		rec.Source = cdr.SourceTrunk
	}
	r := &run{h: h, c: c, ctx: ctx, snap: snap, rec: rec, events: make(chan input, eventQueue)}
	r.live = &liveEntry{c: c, from: c.Caller, to: c.Dialled, trunk: c.Trunk, answered: rec.Answered,
		requests: make(chan liveRequest, 1), state: StateMenu}
	h.opt.Live.add(r.live)
	defer h.opt.Live.remove(c.ID)
	r.emit(Event{Type: EventCallStarted, From: c.Caller, To: c.Dialled, Trunk: c.Trunk})
	r.log = c.Log.With("direction", "outbound", "record_prompt", p.Name)
	r.listen()
	step, reason := PromptFailed, "internal error"
	r.guarded(func() { step, reason = r.promptCall(p) })
	p.Progress(step, reason)
	r.rec.Outcome = cdr.Outcome{Kind: cdr.OutcomeHangup, Detail: "record prompt " + p.Name + ": " + promptOutcome(step, reason)}
	r.log.Info("prompt recorded by phone", "prompt", p.Name, "outcome", promptOutcome(step, reason))
	r.finish()
}

// promptOutcome says how a recording by phone ended, in a few words.
func promptOutcome(step PromptStep, reason string) string {
	switch step {
	case PromptSaved:
		return "saved"
	case PromptCancelled:
		return "cancelled"
	case PromptAnswered, PromptRecording, PromptReviewing, PromptFailed:
	}
	return "failed: " + reason
}

// errNoChoice: the review's choices were said and no key came.
var errNoChoice = errors.New("no key was pressed to keep, record again or cancel")

// promptCall is the dialogue: the instruction, then takes until one is
// kept or the caller cancels. It returns the last step and, failed, why.
func (r *run) promptCall(p PromptCall) (PromptStep, string) {
	hungUp := func() (PromptStep, string) {
		return PromptFailed, "the phone hung up before the recording was kept (press 1 to keep it)"
	}
	p.Progress(PromptAnswered, "")
	if _, err := r.sayIn(p.Language, "rec-intro"); err != nil {
		return hungUp()
	}
	for range promptTakes {
		p.Progress(PromptRecording, "")
		pcm, ended, err := r.record(maxPromptRecording)
		if err != nil || ended == "hangup" {
			return hungUp()
		}
		if len(pcm) < int(minPromptRecording.Seconds()*audio.SampleRate) {
			if _, err := r.sayIn(p.Language, "rec-empty", "rec-intro"); err != nil {
				return hungUp()
			}
			continue
		}
		p.Progress(PromptReviewing, "")
		key, err := r.promptReview(p.Language, pcm)
		switch {
		case errors.Is(err, errNoChoice):
			_, _ = r.sayIn(p.Language, "rec-cancelled") // the phone may be gone already
			return PromptFailed, err.Error() + ": nothing was saved"
		case err != nil:
			return hungUp()
		case key == promptCancel:
			p.Progress(PromptCancelled, "") // before the goodbye: the page need not wait for it
			_, _ = r.sayIn(p.Language, "rec-cancelled")
			r.endBy(EndMenuHangup, SideIVRD)
			return PromptCancelled, ""
		case key == promptKeep:
			if err := p.Save(pcm); err != nil {
				r.log.Warn("record by phone: storing the prompt", "prompt", p.Name, "err", err)
				return PromptFailed, "not stored: " + err.Error()
			}
			p.Progress(PromptSaved, "")
			_, _ = r.sayIn(p.Language, "rec-saved")
			r.endBy(EndMenuHangup, SideIVRD)
			return PromptSaved, ""
		}
		// promptRedo: the next take, after its beep.
	}
	return PromptFailed, "too many takes without keeping one"
}

// promptReview plays the take back and says the choices until 1, 2 or *
// is pressed (other keys are ignored); a key during the playback chooses
// at once.
func (r *run) promptReview(lang string, pcm []int16) (byte, error) {
	choice := func(k byte) bool { return k == promptKeep || k == promptRedo || k == promptCancel }
	k, err := r.sayPrompt(prompts.New("recorded take", pcm))
	if err != nil || choice(k) {
		return k, err
	}
	for range promptChoiceTries {
		k, err := r.sayIn(lang, "rec-review")
		if err != nil || choice(k) {
			return k, err
		}
		if k, err = r.waitKey(promptChoiceWait); err != nil || choice(k) {
			return k, err
		}
	}
	return 0, errNoChoice
}

// sayIn plays ivrd's own prompts in lang (the configuration's prompts
// for lang, then its default set, then the bundled set) until their end
// or a key, which it returns.
func (r *run) sayIn(lang string, names ...string) (byte, error) {
	for _, n := range names {
		p, ok := r.snap.Prompts.Lookup(lang, n)
		if !ok {
			if p, ok = prompts.Builtin().Get(n); !ok {
				r.log.Warn("prompt missing, skipped", "prompt", n)
				continue
			}
		}
		if k, err := r.sayPrompt(p); k != 0 || err != nil {
			return k, err
		}
	}
	return 0, nil
}
