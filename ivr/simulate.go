package ivr

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// SimOptions describe one simulated call.
type SimOptions struct {
	To     string    // dialled number
	From   string    // caller
	At     time.Time // call start (schedules)
	Script string    // "1,wait:3s,1001#"
	// Duration gives a prompt's playing time (from the real files). For a
	// call in a language it is asked for "lang/prompt" first, then, as a
	// real call falls back, for prompt.
	Duration func(prompt string) (time.Duration, bool)
	// TransferFails makes every hand-off fail, to trace failure paths.
	TransferFails bool
	// Answers are canned ask answers, by URL (as configured or with the
	// call's variables put in): the answer's JSON body. An ask with no
	// answer here gets none, as if its service were down, and runs its
	// fallback.
	Answers map[string][]byte
}

// SimEvent is one line of a simulation trace.
type SimEvent struct {
	TMs     int64  `json:"t_ms"`
	Event   Step   `json:"event"`
	IVR     string `json:"ivr,omitempty"`
	Prompt  string `json:"prompt,omitempty"`
	BargeIn *bool  `json:"barge_in,omitempty"`
	// Language is the call's language on play events (none: the default set).
	Language string         `json:"language,omitempty"`
	Digit    string         `json:"digit,omitempty"`
	Digits   string         `json:"digits,omitempty"`
	Dest     *Destination   `json:"dest,omitempty"`
	Method   TransferMethod `json:"method,omitempty"`
	Reason   string         `json:"reason,omitempty"`
	Detail   string         `json:"detail,omitempty"`
	// Say is the text of a play spoken on the call (an ask answer's say).
	Say string `json:"say,omitempty"`
}

// step is one parsed script item.
type step struct {
	digits string
	wait   time.Duration
}

// digitGap is the time between the keys of one digit string.
const digitGap = 100 * time.Millisecond

func parseScript(s string) ([]step, error) {
	var out []step
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if w, ok := strings.CutPrefix(part, "wait:"); ok {
			d, err := time.ParseDuration(w)
			if err != nil || d < 0 {
				return nil, fmt.Errorf("script: bad wait %q", part)
			}
			out = append(out, step{wait: d})
			continue
		}
		for i := 0; i < len(part); i++ {
			c := part[i]
			if !isKey(c) && !(c >= 'A' && c <= 'D') {
				return nil, fmt.Errorf("script: %q is not a key (0-9 * # A-D) in %q", c, part)
			}
		}
		out = append(out, step{digits: part})
	}
	return out, nil
}

// simulator drives an Executor on a virtual clock.
type simulator struct {
	e        *Executor
	opt      SimOptions
	now      time.Duration
	play     *Play
	playEnd  time.Duration
	timer    *StartTimer
	timerAt  time.Duration
	deadline *StartDeadline
	dlAt     time.Duration
	results  []Event // hand-off outcomes, due now
	trace    []SimEvent
	maxSteps int
	limitAt  time.Duration // when MenuTimeUp is due; < 0 once sent
}

// Simulate runs one call through the menus without a network and returns
// its trace. The same executor serves real calls.
func Simulate(cfg *Config, opt SimOptions) ([]SimEvent, error) {
	menu, ok := cfg.IVRFor(opt.To)
	if !ok {
		return nil, fmt.Errorf("no ivr has extension %q", opt.To)
	}
	steps, err := parseScript(opt.Script)
	if err != nil {
		return nil, err
	}
	if opt.At.IsZero() {
		opt.At = time.Now()
	}
	s := &simulator{e: NewExecutor(cfg, menu, opt.From, opt.At), opt: opt, maxSteps: 100000, limitAt: MaxMenuTime}
	s.e.SetDialled(opt.To)
	s.emit(SimEvent{Event: StepAnswer, IVR: menu.ID})
	s.handle(Started{})
	for _, st := range steps {
		if st.digits == "" {
			s.advance(s.now + st.wait)
			continue
		}
		for i := 0; i < len(st.digits); i++ {
			if i > 0 {
				s.advance(s.now + digitGap)
			}
			if s.e.Done() {
				break
			}
			s.emit(SimEvent{Event: StepDigit, Digit: string(st.digits[i])})
			s.handle(DigitPressed{Key: st.digits[i]})
		}
	}
	// Time runs on until the call ends.
	for !s.e.Done() {
		if !s.next(-1) {
			return s.trace, errors.New("simulation stalled: nothing left to happen")
		}
		if s.maxSteps--; s.maxSteps < 0 {
			return s.trace, errors.New("simulation did not end")
		}
	}
	return s.trace, nil
}

// advance runs every scheduled event up to t, then sets the clock to t.
func (s *simulator) advance(t time.Duration) {
	for !s.e.Done() && s.next(t) {
	}
	if t > s.now {
		s.now = t
	}
}

// next handles the earliest scheduled event at or before limit (limit < 0:
// no limit). It reports whether one was handled.
func (s *simulator) next(limit time.Duration) bool {
	var at time.Duration
	var ev Event
	switch {
	case s.play != nil && (s.timer == nil || s.playEnd <= s.timerAt):
		at, ev = s.playEnd, PlaybackDone{ID: s.play.ID}
	case s.timer != nil:
		at, ev = s.timerAt, TimerFired{ID: s.timer.ID}
	case s.deadline == nil:
		return false
	}
	if s.deadline != nil && (ev == nil || s.dlAt < at) {
		at, ev = s.dlAt, DeadlineFired{ID: s.deadline.ID}
	}
	// The menu time limit, as Runner's timer would send it.
	if s.limitAt >= 0 && s.limitAt < at {
		at, ev = s.limitAt, MenuTimeUp{}
	}
	if limit >= 0 && at > limit {
		return false
	}
	s.now = at
	switch ev.(type) {
	case PlaybackDone:
		s.play = nil
	case TimerFired:
		s.timer = nil
	case DeadlineFired:
		s.deadline = nil
	case MenuTimeUp:
		s.limitAt = -1
	}
	s.handle(ev)
	return true
}

// handle feeds one event, then the outcomes of hand-offs it started: a
// simulated transfer is decided at once, so no later key press can slip
// in between.
func (s *simulator) handle(ev Event) {
	s.apply(s.e.Handle(ev))
	for len(s.results) > 0 {
		r := s.results[0]
		s.results = s.results[1:]
		s.apply(s.e.Handle(r))
	}
}

func (s *simulator) emit(ev SimEvent) {
	ev.TMs = s.now.Milliseconds()
	s.trace = append(s.trace, ev)
}

func (s *simulator) apply(acts []Action) {
	for _, a := range acts {
		switch a := a.(type) {
		case Play:
			barge := a.BargeIn
			s.emit(SimEvent{Event: StepPlay, Prompt: a.Prompt, BargeIn: &barge, Language: a.Language, Say: a.Text})
			var d time.Duration
			if a.Text != "" {
				d = sayTime(a.Text)
			} else if s.opt.Duration != nil {
				ok := false
				if a.Language != "" {
					d, ok = s.opt.Duration(a.Language + "/" + a.Prompt)
				}
				if !ok {
					d, _ = s.opt.Duration(a.Prompt) // a missing prompt is skipped, as on a real call
				}
			}
			p := a
			s.play, s.playEnd = &p, s.now+d
		case StopPlayback:
			s.emit(SimEvent{Event: StepStop, Prompt: a.Prompt})
			s.play = nil
		case StartTimer:
			t := a
			s.timer, s.timerAt = &t, s.now+a.After
		case CancelTimer:
			s.timer = nil
		case StartDeadline:
			t := a
			s.deadline, s.dlAt = &t, s.now+a.After
		case CancelDeadline:
			s.deadline = nil
		case Ask:
			s.results = append(s.results, s.answer(a))
		case StartStream:
			s.results = append(s.results, s.streamEnd(a))
		case StopStream:
		case Transfer:
			s.emit(SimEvent{Event: StepTransfer, Dest: s.asSent(a.Dest), Method: a.Method, Detail: s.e.cfg.groupDetail(a.Dest)})
			s.results = append(s.results, TransferResult{Err: s.handoffErr()})
		case Voicemail:
			s.emit(SimEvent{Event: StepTransfer, Dest: &Destination{Kind: KindVoicemail, Target: a.Box}, Method: "voicemail"})
			s.results = append(s.results, TransferResult{Err: s.handoffErr()})
		case Hangup:
			s.emit(SimEvent{Event: StepHangup, Reason: a.Reason})
		case Note:
			s.emit(SimEvent{Event: a.Event, IVR: a.IVR, Digits: a.Digits, Detail: a.Detail})
		}
	}
}

// asSent shows a destination as it leaves ivrd: SIP URIs with their
// scheme, external numbers after the trunk's strip and prefix.
func (s *simulator) asSent(d *Destination) *Destination {
	out := *d
	switch d.Kind {
	case KindURI:
		if l := strings.ToLower(d.Target); !strings.HasPrefix(l, "sip:") && !strings.HasPrefix(l, "sips:") && !strings.HasPrefix(l, "tel:") {
			out.Target = "sip:" + d.Target
		}
	case KindExternal:
		if t := s.e.cfg.TrunkByName(d.Trunk); t != nil {
			out.Target = t.NumberAsSent(d.Target)
		}
	}
	return &out
}

func (s *simulator) handoffErr() error {
	if s.opt.TransferFails {
		return errors.New("simulated failure")
	}
	return nil
}

// WriteTrace writes a trace as JSON lines.
func WriteTrace(w io.Writer, trace []SimEvent) error {
	enc := json.NewEncoder(w)
	for _, ev := range trace {
		if err := enc.Encode(ev); err != nil {
			return err
		}
	}
	return nil
}

// answer is the canned answer to an ask, decoded and validated as a
// real call's would be.
func (s *simulator) answer(a Ask) AskResult {
	body, ok := s.opt.Answers[a.URL]
	if !ok {
		body, ok = s.opt.Answers[a.Written]
	}
	if !ok {
		return AskResult{ID: a.ID, Err: fmt.Errorf("no canned answer for %s (simulate --answer URL=FILE)", a.Written)}
	}
	ans, err := s.e.cfg.DecodeAnswer(body, a.Request.IVR, nil)
	return AskResult{ID: a.ID, Answer: ans, Err: err}
}

// sayTime is about how long espeak-ng takes to say text (15 characters
// a second), for the virtual clock.
func sayTime(text string) time.Duration {
	return time.Duration(len(text)) * time.Second / 15
}

// streamEnd is how a simulated stream ends: at once, with the canned
// answer for its URL as the far end's destination when there is one
// (decoded and validated as a real call's would be), else then.
func (s *simulator) streamEnd(a StartStream) StreamEnded {
	body, ok := s.opt.Answers[a.Spec.URL]
	if !ok {
		body, ok = s.opt.Answers[a.Written]
	}
	if !ok {
		return StreamEnded{ID: a.ID}
	}
	ans, err := s.e.cfg.DecodeAnswer(body, a.IVR, nil)
	return StreamEnded{ID: a.ID, Answer: ans, Err: err}
}
