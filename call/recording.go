package call

import (
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/recording"
)

// startRecording records the call from now on, as spec says (an IVR's or
// a destination's record setting), then plays spec's announcement. A
// call already recorded is recorded once; a recording that cannot start
// (no recorder, a disk that refuses the file) leaves the call going on
// unrecorded, with a logged reason.
func (r *run) startRecording(spec *ivr.Record) {
	if !spec.Enabled() || r.recording != nil {
		return
	}
	if r.h.opt.Recordings == nil {
		r.log.Warn("recording asked for but this server records nothing")
		return
	}
	format := recording.Stereo
	if spec.Mono() {
		format = recording.Mono
	}
	rec, err := r.h.opt.Recordings.Start(r.c.ID, r.c.Media, format)
	if err != nil {
		r.log.Error("recording not started: the call goes on unrecorded", "err", err)
	} else {
		r.recording = rec
	}
	if spec.Announce != "" {
		r.announce(spec.Announce)
	}
}

// announce plays a prompt to the caller and waits for its end (or the
// caller hanging up); keys pressed meanwhile are not the menu's.
func (r *run) announce(name string) {
	p, ok := r.snap.Prompts.Lookup(r.language(), name)
	if !ok {
		r.log.Warn("prompt missing, skipped", "prompt", name)
		return
	}
	done := make(chan struct{})
	r.c.Media.Play(p, func() { close(done) })
	select {
	case <-done:
	case <-r.ctx.Done():
		r.c.Media.StopPlayback()
	}
	r.dropTypedAhead()
}

// stopRecording ends the call's recording, if it has one; the recorder
// indexes it.
func (r *run) stopRecording() {
	if r.recording != nil {
		r.recording.Stop()
		r.recording = nil
	}
}
