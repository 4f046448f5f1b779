package ivr

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Gather (ivrd addition, a gather: destination) collects a number from
// the caller: an account, an order, a date. It plays Prompt (a recorded
// or a spoken prompt: barge-in, so the caller may type at once), then
// collects keys until the terminator, Max keys, DigitTimeout after a
// key, or Timeout after the prompt. An entry of Min to Max keys that
// Pattern matches whole becomes ${digits} (and ${vars.Var}) and the
// destination's then runs; anything else is an attempt used: the
// invalid prompt plays and the prompt again, and after Attempts the
// destination's fallback runs (default: hang up).
type Gather struct {
	Prompt        string   `yaml:"prompt"`
	InvalidPrompt string   `yaml:"invalid_prompt"`
	Min           int      `yaml:"min"`
	Max           int      `yaml:"max"`
	Terminator    string   `yaml:"terminator"`
	DigitTimeout  Duration `yaml:"digit_timeout"`
	Timeout       Duration `yaml:"timeout"`
	Pattern       string   `yaml:"pattern"`
	Attempts      int      `yaml:"attempts"`
	Var           string   `yaml:"var"`
	// Secret (a PIN): the keys are kept out of logs, traces, the call
	// record and digit events; only ${digits} and the ask request
	// carry them.
	Secret bool `yaml:"secret"`
}

// MaskKeys (an action) tells the driver that the keys which follow are
// a secret gather's (On) or no longer (off): log and record none of them.
type MaskKeys struct{ On bool }

func (MaskKeys) isAction() {}

// shown is an entry as notes carry it: stars for a secret one.
func (g *Gather) shown(entry string) string {
	if g.Secret {
		return strings.Repeat("*", len(entry))
	}
	return entry
}

// endGather drops the gather in progress, unmasking keys if it masked them.
func (e *Executor) endGather() []Action {
	g := e.gather
	e.gather = nil
	if g != nil && g.d.Gather.Secret {
		return []Action{MaskKeys{On: false}}
	}
	return nil
}

// Gather defaults and bounds.
const (
	DefaultGatherMin      = 1
	DefaultGatherMax      = 20
	MaxGatherDigits       = 64
	DefaultGatherTimeout  = 10 * time.Second
	DefaultGatherAttempts = 3
	MaxGatherAttempts     = 10
	maxGatherPattern      = 256
)

// Trace steps of a gather.
const (
	StepGather   Step = "gather"   // collecting starts
	StepGathered Step = "gathered" // an entry was accepted
)

func (g *Gather) min() int {
	if g.Min <= 0 {
		return DefaultGatherMin
	}
	return g.Min
}

func (g *Gather) max() int {
	if g.Max <= 0 {
		return max(DefaultGatherMax, g.min())
	}
	return g.Max
}

// terminator is the key that ends an entry (0: none; "none" turns it off).
func (g *Gather) terminator() byte {
	switch g.Terminator {
	case "":
		return DefaultTerminator[0]
	case "none":
		return 0
	}
	return g.Terminator[0]
}

func (g *Gather) digitTimeout() time.Duration {
	if g.DigitTimeout <= 0 {
		return DefaultDigitTimeout
	}
	return g.DigitTimeout.D()
}

func (g *Gather) timeout() time.Duration {
	if g.Timeout <= 0 {
		return DefaultGatherTimeout
	}
	return g.Timeout.D()
}

func (g *Gather) attempts() int {
	if g.Attempts <= 0 {
		return DefaultGatherAttempts
	}
	return g.Attempts
}

// compilePattern anchors a pattern: it must match the whole entry.
func compilePattern(p string) (*regexp.Regexp, error) {
	return regexp.Compile(`^(?:` + p + `)$`)
}

// accepts says whether an entry is one the gather takes.
func (g *Gather) accepts(entry string, re *regexp.Regexp) bool {
	if len(entry) < g.min() || len(entry) > g.max() {
		return false
	}
	return re == nil || re.MatchString(entry)
}

// gatherRun is the gather in progress.
type gatherRun struct {
	d        *Destination
	re       *regexp.Regexp // nil: any keys
	attempts int            // entries refused so far
}

func (e *Executor) startGather(d *Destination) []Action {
	g := &gatherRun{d: d}
	if d.Gather.Pattern != "" {
		re, err := compilePattern(d.Gather.Pattern)
		if err != nil { // validate refuses it; a call must still end
			return e.hangup()
		}
		g.re = re
	}
	e.gather = g
	acts := []Action{Note{Event: StepGather, IVR: e.curID()}}
	if d.Gather.Secret {
		acts = append(acts, MaskKeys{On: true})
	}
	return append(acts, e.gatherAttempt()...)
}

// gatherAttempt plays the prompt (keys typed ahead answer at once).
func (e *Executor) gatherAttempt() []Action {
	e.entry = ""
	if len(e.pending) > 0 {
		return e.gatherCollect()
	}
	return e.play(e.gather.d.Gather.Prompt, true, e.gatherCollect)
}

// gatherCollect takes pending keys into the entry, then waits for more:
// Timeout for the whole entry from the prompt's end, DigitTimeout after
// each key.
func (e *Executor) gatherCollect() []Action {
	g := e.gather.d.Gather
	var acts []Action
	if !e.deadlineOn {
		acts = append(acts, e.startDeadline(g.timeout()))
	}
	term := g.terminator()
	for len(e.pending) > 0 {
		k := e.pending[0]
		e.pending = e.pending[1:]
		if term != 0 && k == term {
			return append(acts, e.gatherDone()...)
		}
		e.entry += string(k)
		if len(e.entry) >= g.max() {
			return append(acts, e.gatherDone()...)
		}
	}
	e.phase = phaseGather
	if e.entry != "" {
		acts = append(acts, e.startTimer(g.digitTimeout()))
	}
	return acts
}

// gatherDone judges the entry.
func (e *Executor) gatherDone() []Action {
	g := e.gather
	entry := e.entry
	e.entry = ""
	acts := append(e.cancelTimer(), e.cancelDeadline()...)
	if g.d.Gather.accepts(entry, g.re) {
		acts = append(acts, e.endGather()...)
		e.digits, e.chosen = entry, g.d.Gather.shown(entry)
		if g.d.Gather.Var != "" {
			e.setVar(g.d.Gather.Var, entry)
		}
		acts = append(acts, Note{Event: StepGathered, IVR: e.curID(), Digits: g.d.Gather.shown(entry)})
		return append(acts, e.run(g.d.Then)...)
	}
	g.attempts++
	e.pending = e.pending[:0] // keys after a refused entry are not trusted
	if entry == "" {
		acts = append(acts, Note{Event: StepTimeout, IVR: e.curID(), Detail: "gather"})
	} else {
		acts = append(acts, Note{Event: StepInvalid, IVR: e.curID(), Digits: g.d.Gather.shown(entry), Detail: "gather"})
	}
	if g.attempts >= g.d.Gather.attempts() {
		acts = append(acts, e.endGather()...)
		e.reason = "failure"
		acts = append(acts, Note{Event: StepFailure, IVR: e.curID(), Detail: "gather"})
		return append(acts, e.run(g.d.Fallback)...)
	}
	return append(acts, e.play(g.d.Gather.InvalidPrompt, false, e.gatherAttempt)...)
}

func (e *Executor) startDeadline(d time.Duration) Action {
	e.deadlineID++
	e.deadlineOn = true
	return StartDeadline{ID: e.deadlineID, After: d}
}

func (e *Executor) cancelDeadline() []Action {
	if !e.deadlineOn {
		return nil
	}
	e.deadlineOn = false
	return []Action{CancelDeadline{ID: e.deadlineID}}
}

func (e *Executor) curID() string {
	if e.cur == nil {
		return ""
	}
	return e.cur.ID
}

// gatherDest checks a gather destination.
func (v *validator) gatherDest(path string, d *Destination, m *IVR) {
	g := d.Gather
	p := path + ".gather"
	if g.Prompt == "" {
		v.errf(p+".prompt", "a gather needs a prompt that says what to enter")
	}
	v.prompt(p+".prompt", g.Prompt)
	v.prompt(p+".invalid_prompt", g.InvalidPrompt)
	if g.Min < 0 || g.Min > MaxGatherDigits {
		v.errf(p+".min", "%d is out of range 1-%d", g.Min, MaxGatherDigits)
	}
	if g.Max < 0 || g.Max > MaxGatherDigits {
		v.errf(p+".max", "%d is out of range 1-%d", g.Max, MaxGatherDigits)
	} else if g.Max > 0 && g.Max < g.min() {
		v.errf(p+".max", "%d is less than min %d", g.Max, g.min())
	}
	if t := g.Terminator; t != "" && t != "none" && (len(t) != 1 || !isKey(t[0])) {
		v.errf(p+".terminator", "%q: want one key (0-9, * or #) or none", t)
	}
	if t := g.DigitTimeout.D(); t < 0 || t > time.Minute {
		v.errf(p+".digit_timeout", "%v is out of range 0-60s", t)
	}
	if t := g.Timeout.D(); t < 0 || t > 5*time.Minute {
		v.errf(p+".timeout", "%v is out of range 0-300s", t)
	}
	if g.Attempts < 0 || g.Attempts > MaxGatherAttempts {
		v.errf(p+".attempts", "%d is out of range 1-%d", g.Attempts, MaxGatherAttempts)
	}
	if len(g.Pattern) > maxGatherPattern {
		v.errf(p+".pattern", "%d characters: at most %d", len(g.Pattern), maxGatherPattern)
	} else if g.Pattern != "" {
		if _, err := compilePattern(g.Pattern); err != nil {
			v.errf(p+".pattern", "%q: %v", g.Pattern, strings.TrimPrefix(err.Error(), "error parsing regexp: "))
		}
	}
	if g.Var != "" && !varName.MatchString(g.Var) {
		v.errf(p+".var", "%q: want a name of letters, digits and _ (at most 32)", g.Var)
	}
	if d.Then == nil {
		v.errf(path+".then", "a gather needs then: where the call goes with the digits")
	}
	v.dest(path+".then", d.Then, m)
	v.dest(path+".fallback", d.Fallback, m)
}

// String is a gather's form in messages.
func (g *Gather) String() string {
	return fmt.Sprintf("%d-%d keys", g.min(), g.max())
}
