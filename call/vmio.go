package call

import (
	"context"
	"time"

	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/prompts"
)

// Checking voicemail is a dialogue of its own (PIN, menus, messages), run
// on the call's goroutine while the menu waits for the hand-off to end,
// as recording a message is. These are its primitives: prompts that a
// key interrupts, and key entry.

// systemPrompt finds one of ivrd's own prompts (vm-*, num-*): the
// configuration's prompts_dir first, so a site can re-record them, then
// the bundled set.
func (r *run) systemPrompt(name string) (*prompts.Prompt, bool) {
	if p, ok := r.snap.Prompts.Get(name); ok {
		return p, true
	}
	return prompts.Builtin().Get(name)
}

// say plays prompts in order; a key stops them and is returned (0: they
// played to the end). Missing prompts are skipped (logged once each).
func (r *run) say(names ...string) (byte, error) {
	for _, n := range names {
		p, ok := r.systemPrompt(n)
		if !ok {
			r.log.Warn("prompt missing, skipped", "prompt", n)
			continue
		}
		if k, err := r.sayPrompt(p); k != 0 || err != nil {
			return k, err
		}
	}
	return 0, nil
}

// sayPrompt plays one prompt until its end, a key, or the call's end.
func (r *run) sayPrompt(p *prompts.Prompt) (byte, error) {
	done := make(chan struct{})
	r.c.Media.Play(p, func() { close(done) })
	for {
		select {
		case <-done:
			return 0, nil
		case in := <-r.events:
			if k, ok := r.keyOf(in); ok {
				r.c.Media.StopPlayback()
				return k, nil
			}
		case <-r.ctx.Done():
			r.c.Media.StopPlayback()
			return 0, context.Cause(r.ctx)
		}
	}
}

// keyOf records a key press for the call record; other events (a stale
// prompt end) are not keys.
func (r *run) keyOf(in input) (byte, bool) {
	d, ok := in.ev.(ivr.DigitPressed)
	if !ok {
		return 0, false
	}
	r.rec.Keys = append(r.rec.Keys, Key{Key: d.Key, Method: in.method, At: in.at})
	return d.Key, true
}

// waitKey waits for one key; 0 when none came within timeout.
func (r *run) waitKey(timeout time.Duration) (byte, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		select {
		case in := <-r.events:
			if k, ok := r.keyOf(in); ok {
				return k, nil
			}
		case <-t.C:
			return 0, nil
		case <-r.ctx.Done():
			return 0, context.Cause(r.ctx)
		}
	}
}

// readDigits collects an entry (a box number, a PIN) ended by #, by
// max keys, or by timeout between keys; first is a key already pressed
// (it interrupted the prompt). * starts the entry again. Whatever the
// caller types, the result is at most max digits.
func (r *run) readDigits(first byte, maxLen int, timeout time.Duration) (string, error) {
	e := keyEntry{max: maxLen}
	if first != 0 && e.add(first) {
		return e.String(), nil
	}
	for {
		k, err := r.waitKey(timeout)
		if err != nil || k == 0 {
			return e.String(), err
		}
		if e.add(k) {
			return e.String(), nil
		}
	}
}

// keyEntry is a box number or PIN being typed: digits only, at most max
// of them, * clears, # ends. Anything else a phone sends (A-D, flash) is
// ignored.
type keyEntry struct {
	buf []byte
	max int
}

// add takes one key and reports whether the entry is complete.
func (e *keyEntry) add(k byte) bool {
	switch {
	case k == '#':
		return true
	case k == '*':
		e.buf = e.buf[:0]
	case k >= '0' && k <= '9' && len(e.buf) < e.max:
		e.buf = append(e.buf, k)
	}
	return len(e.buf) >= e.max
}

func (e *keyEntry) String() string { return string(e.buf) }
