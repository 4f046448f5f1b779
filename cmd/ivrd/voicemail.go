package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
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

// recorder collects the caller's audio and notices silence.
type recorder struct {
	mu        sync.Mutex
	pcm       []int16
	quietFor  time.Duration
	silenceCh chan struct{}
	fired     bool
}

func (r *recorder) listen(pcm []int16) {
	rms := audio.RMS(pcm)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pcm = append(r.pcm, pcm...)
	if rms < silenceRMS {
		r.quietFor += time.Duration(len(pcm)) * time.Second / audio.SampleRate
	} else {
		r.quietFor = 0
	}
	if r.quietFor >= maxSilence && !r.fired {
		r.fired = true
		close(r.silenceCh)
	}
}

// voicemail plays the box's greeting and a beep, records until #, 5 s of
// silence, 120 s or hang-up, and stores the message.
func (m *menuCall) voicemail(box string) error {
	greeting := "voicemail-" + box
	if _, ok := m.lib.Get(greeting); !ok {
		greeting = "voicemail-default"
	}
	if p, ok := m.lib.Get(greeting); ok {
		if err := m.playAndWait(p); err != nil {
			return err
		}
	}
	if err := m.playAndWait(beep); err != nil {
		return err
	}
	rec := &recorder{silenceCh: make(chan struct{})}
	start := time.Now()
	m.c.Listen(rec.listen)
	reason := "limit"
	select {
	case <-m.hash:
		reason = "#"
	case <-rec.silenceCh:
		reason = "silence"
	case <-time.After(maxMessage):
	case <-m.ctx.Done():
		reason = "hangup"
	}
	m.c.Listen(nil)
	rec.mu.Lock()
	pcm := rec.pcm
	if reason == "silence" {
		pcm = pcm[:max(0, len(pcm)-int(maxSilence/time.Second)*8000)] // drop the trailing silence
	}
	rec.mu.Unlock()
	msg := &store.Message{Box: box, Caller: m.c.Caller, CallID: m.c.ID, Time: start, Reason: reason}
	if err := (store.Voicemail{Dir: m.cfg.VoicemailPath()}).Save(msg, pcm); err != nil {
		return err
	}
	m.c.Log.Info("voicemail recorded", "box", box, "duration", msg.Duration.String(), "ended_by", reason, "file", msg.File)
	if reason != "hangup" {
		if p, ok := m.lib.Get("goodbye"); ok {
			m.playAndWait(p)
		}
		m.c.Hangup("voicemail recorded")
	}
	return nil
}

func (m *menuCall) playAndWait(p *prompts.Prompt) error {
	done := make(chan struct{})
	m.c.Media.Play(p, func() { close(done) })
	select {
	case <-done:
		return nil
	case <-m.ctx.Done():
		return context.Cause(m.ctx)
	}
}

// observeDigit lets voicemail see the # that ends a recording.
func (m *menuCall) observeDigit(key byte) {
	if key == voicemailEnder {
		select {
		case m.hash <- struct{}{}:
		default:
		}
	}
}

func runVoicemail(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("voicemail", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "configuration file (its voicemail_dir); default: ./voicemail")
	box := fs.String("box", "", "only this mailbox")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: ivrd voicemail list [--config FILE] [--box NUMBER]\n\nLists recorded messages: box, time, caller, duration, how it ended, file.\n\n")
		fs.PrintDefaults()
	}
	if len(args) == 0 || args[0] != "list" {
		if len(args) > 0 && (args[0] == "--help" || args[0] == "-h") {
			fs.Usage()
			return 0
		}
		fs.Usage()
		return 2
	}
	if code, done := parseFlags(fs, args[1:]); done {
		return code
	}
	dir := "voicemail"
	if *cfgPath != "" {
		cfg, err := ivr.Load(*cfgPath)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		dir = cfg.VoicemailPath()
	}
	msgs, err := store.Voicemail{Dir: dir}.List(*box)
	for _, m := range msgs {
		fmt.Fprintf(stdout, "%s  %s  from %-12s %6.1fs  ended by %-7s  %s\n", m.Box, m.Time.Format(time.RFC3339), m.Caller,
			m.Duration.Seconds(), m.Reason, filepath.Join(dir, m.Box, m.File))
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if len(msgs) == 0 {
		fmt.Fprintln(stdout, "no messages")
	}
	return 0
}
