package call

import (
	"context"
	"sync"
	"time"

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/prompts"
	"github.com/ivrd/ivrd/store"
)

// Voicemail limits, as Asterisk's VoiceMail() users expect them.
const (
	maxMessage     = 120 * time.Second
	maxSilence     = 5 * time.Second
	silenceRMS     = 300.0 // about -42 dBm0: below it a frame counts as silence
	voicemailEnder = '#'
)

// beep is the tone before recording.
var beep = prompts.Tone("beep", 1000, 1000, -16, 400, 100)

// recorder collects the caller's audio and notices silence. listen runs
// on the media receive goroutine; the rest on the call's.
type recorder struct {
	mu        sync.Mutex
	pcm       []int16
	quietFor  time.Duration
	silenceCh chan struct{}
	fired     bool
	limit     time.Duration // longest recording
}

func (rc *recorder) listen(pcm []int16) {
	rms := audio.RMS(pcm)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.pcm) >= int(rc.limit/time.Second)*audio.SampleRate {
		return // the limit is reached; the call's goroutine stops us
	}
	rc.pcm = append(rc.pcm, pcm...)
	if rms < silenceRMS {
		rc.quietFor += time.Duration(len(pcm)) * time.Second / audio.SampleRate
	} else {
		rc.quietFor = 0
	}
	if rc.quietFor >= maxSilence && !rc.fired {
		rc.fired = true
		close(rc.silenceCh)
	}
}

// voicemail plays the box's greeting and a beep, records until #, 5 s of
// silence, 120 s or hang-up, stores the message, tells the box's phones
// (MWI) and says goodbye.
func (r *run) voicemail(box string) error {
	if p := r.boxGreeting(box); p != nil {
		if err := r.playAndWait(p); err != nil {
			return err
		}
	}
	start := time.Now()
	pcm, reason, err := r.record(maxMessage)
	if err != nil {
		return err
	}
	msg := &store.Message{Box: box, Caller: r.c.Caller, CallID: r.c.ID, Time: start, Reason: reason}
	if err := r.mailboxes().Save(msg, pcm); err != nil {
		return err
	}
	r.rec.Voicemail = msg.ID
	r.emit(Event{Type: EventVoicemailRecorded, Voicemail: msg.ID, Box: box})
	r.log.Info("voicemail recorded", "box", box, "duration", msg.Duration.String(), "ended_by", reason, "file", msg.File)
	r.notifyMWI(box)
	if reason != "hangup" {
		if p, ok := r.prompt("goodbye"); ok {
			_ = r.playAndWait(p) // the caller may hang up during it: the message is kept
		}
		r.endBy(EndVoicemail, SideIVRD)
		r.c.Hangup()
	}
	return nil
}

// boxGreeting is what callers to box hear before the beep: the box's
// greeting prompt, else the one its owner recorded by phone, else
// voicemail-BOX, else voicemail-default (nil: only the beep).
func (r *run) boxGreeting(box string) *prompts.Prompt {
	if b := r.snap.Config.VoicemailBoxByID(box); b != nil && b.Greeting != "" {
		if p, ok := r.prompt(b.Greeting); ok {
			return p
		}
	}
	if pcm, ok := r.mailboxes().Greeting(box); ok {
		return prompts.New("greeting "+box, pcm)
	}
	for _, name := range []string{"voicemail-" + box, "voicemail-default"} {
		if p, ok := r.prompt(name); ok {
			return p
		}
	}
	return nil
}

// record plays the beep and records the caller until #, 5 s of silence
// (trimmed), limit or hang-up; it returns the audio and what ended it.
func (r *run) record(limit time.Duration) ([]int16, string, error) {
	if err := r.playAndWait(beep); err != nil {
		return nil, "", err
	}
	// Keys pressed before the beep (a # that chose this menu entry, say)
	// must not end the recording before it starts.
	r.dropTypedAhead()
	rec := &recorder{silenceCh: make(chan struct{}), limit: limit}
	r.c.Media.Listen(rec.listen)
	reason := r.waitRecording(rec, limit)
	r.c.Media.Listen(nil)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	pcm := rec.pcm
	if reason == "silence" {
		pcm = pcm[:max(0, len(pcm)-int(maxSilence/time.Second)*audio.SampleRate)] // drop the trailing silence
	}
	return pcm, reason, nil
}

// waitRecording waits for what ends a message: the caller's #, silence,
// the length limit or the caller hanging up.
func (r *run) waitRecording(rec *recorder, longest time.Duration) string {
	limit := time.NewTimer(longest)
	defer limit.Stop()
	for {
		select {
		case in := <-r.events:
			if d, ok := in.ev.(ivr.DigitPressed); ok {
				r.rec.Keys = append(r.rec.Keys, Key{Key: d.Key, Method: in.method, At: in.at})
				if d.Key == voicemailEnder {
					return "#"
				}
			}
		case <-rec.silenceCh:
			return "silence"
		case <-limit.C:
			return "limit"
		case <-r.ctx.Done():
			return "hangup"
		}
	}
}

// playAndWait plays a prompt to its end (or the call's).
func (r *run) playAndWait(p *prompts.Prompt) error {
	done := make(chan struct{})
	r.c.Media.Play(p, func() { close(done) })
	select {
	case <-done:
		return nil
	case <-r.ctx.Done():
		return context.Cause(r.ctx)
	}
}
