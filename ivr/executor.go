package ivr

import "time"

// phase is what the executor is waiting for.
type phase int

const (
	phaseIdle     phase = iota
	phaseDelay          // answer_delay before the first prompt
	phasePlaying        // a prompt is playing (see playBarge)
	phaseResponse       // waiting for the first digit after the menu prompt
	phaseCollect        // waiting for more digits of an entry
	phaseHandoff        // a transfer or voicemail is in progress
	phaseGather         // collecting a gather's keys (gather.go)
	phaseAsk            // waiting for an ask's answer (ask.go)
	phaseStream         // a stream is open (stream.go)
	phaseDone
)

// Executor runs one call through the menus. It is deterministic: the same
// events give the same actions, with no clock of its own.
type Executor struct {
	cfg    *Config
	first  *IVR
	start  time.Time
	caller string

	cur      *IVR
	lang     string // the call's language ("" the default set), language.go
	stack    []*IVR
	attempts int // timeouts used from prompt_repeat
	invalids int // invalid entries used from max_invalid
	errors   int // both together, for max_errors
	greeted  map[string]bool

	phase     phase
	playID    int
	playing   string
	playBarge bool
	afterPlay func() []Action

	timerID int
	timerOn bool

	pending []byte // digits typed and not yet used
	entry   string // the entry being collected
	chosen  string // the last entry acted on (webhook events carry it)
	reason  string // why the call will end, for Hangup
	handoff *Destination
	allow   map[*IVR][]*dialPattern

	// next is the step to take once the current one has returned its
	// actions: entering a menu, or what follows an empty prompt. Handle
	// runs it in a loop, so a chain of menus that plays nothing (a
	// schedule's closed branch entering a menu behind the same schedule)
	// is iterated and stopped by the hop limit, never recursed into
	// until the stack overflows.
	// gather and ask (gather.go, ask.go, vars.go).
	dialled    string
	arrived    bool // the first menu was entered (a number's schedule screened the call)
	digits     string
	vars       map[string]string
	gather     *gatherRun
	deadlineID int
	deadlineOn bool
	askID      int
	asking     *Destination
	holdID     int // the hold prompt playing (0: none)
	holdPlays  int
	streamID   int
	streaming  *Destination

	startAt *Destination // a placed call's destination, instead of a menu (placed.go)

	next   func() []Action
	hops   int  // menus entered since the caller last pressed a key
	timeUp bool // MenuTimeUp came during a hand-off: end if it fails
}

// NewExecutor starts a call in menu ivr. start is the call's start time
// (schedules are evaluated at it).
func NewExecutor(cfg *Config, ivr *IVR, caller string, start time.Time) *Executor {
	e := &Executor{cfg: cfg, first: ivr, start: start, caller: caller, greeted: map[string]bool{},
		allow: map[*IVR][]*dialPattern{}}
	return e
}

// Done reports whether the call is over for the executor.
func (e *Executor) Done() bool { return e.phase == phaseDone }

// Current is the menu the caller is in.
func (e *Executor) Current() *IVR { return e.cur }

// Handle feeds one event and returns what to do.
func (e *Executor) Handle(ev Event) []Action {
	if e.phase == phaseDone {
		return nil
	}
	acts := e.handle(ev)
	for e.next != nil && e.phase != phaseDone {
		step := e.next
		e.next = nil
		acts = append(acts, step()...)
	}
	e.next = nil
	return acts
}

// later queues the step that follows the current one (see next).
func (e *Executor) later(step func() []Action) []Action {
	if e.next != nil {
		panic("ivr: two steps queued at once")
	}
	e.next = step
	return nil
}

func (e *Executor) handle(ev Event) []Action {
	switch ev := ev.(type) {
	case Started:
		return e.begin()
	case HungUp:
		e.phase = phaseDone
		return nil
	case MenuTimeUp:
		if e.phase == phaseHandoff {
			e.timeUp = true // the hand-off may still take the call away
			return nil
		}
		return e.limit(ReasonMenuTimeLimit)
	case DigitPressed:
		e.hops = 0
		return e.digit(ev.Key)
	case PlaybackDone:
		if e.phase == phaseAsk && ev.ID == e.holdID && ev.ID != 0 {
			e.holdID = 0
			return e.hold()
		}
		if e.phase != phasePlaying || ev.ID != e.playID {
			return nil
		}
		next := e.afterPlay
		e.afterPlay, e.playing = nil, ""
		e.phase = phaseIdle
		return next()
	case TimerFired:
		if !e.timerOn || ev.ID != e.timerID {
			return nil
		}
		e.timerOn = false
		return e.timerFired()
	case DeadlineFired:
		if !e.deadlineOn || ev.ID != e.deadlineID {
			return nil
		}
		e.deadlineOn = false
		if e.phase == phaseGather {
			return e.gatherDone()
		}
	case AskResult:
		if e.phase != phaseAsk || ev.ID != e.askID {
			return nil // a late answer: the fallback already ran
		}
		return e.answered(ev)
	case StreamEnded:
		if e.phase != phaseStream || ev.ID != e.streamID {
			return nil // the timeout closed it already
		}
		return e.streamEnded(ev)
	case TransferResult:
		if e.phase != phaseHandoff {
			return nil
		}
		if ev.Err == nil {
			e.phase = phaseDone
			return nil
		}
		if e.timeUp {
			e.phase = phaseIdle
			return e.limit(ReasonMenuTimeLimit)
		}
		return e.handoffFailed(ev.Err)
	}
	return nil
}

func (e *Executor) begin() []Action {
	if e.startAt != nil {
		return e.run(e.startAt) // placed.go
	}
	if d := e.first.AnswerDelay.D(); d > 0 {
		e.phase = phaseDelay
		return []Action{e.startTimer(d)}
	}
	return e.enter(e.first)
}

// enter starts a menu with fresh counters; its greeting plays the first
// time the call reaches it. A menu with a schedule that is closed at the
// call's start runs the schedule's closed handling instead, so a submenu
// (a department) can keep its own hours.
//
// It runs as the next step (see next) and counts towards the hop limit.
func (e *Executor) enter(m *IVR) []Action {
	return e.later(func() []Action { return e.enterNow(m) })
}

func (e *Executor) enterNow(m *IVR) []Action {
	if e.hops++; e.hops > MaxHopsWithoutKey {
		return e.limit(ReasonLoopLimit)
	}
	e.reason = ""
	if m.Language != "" {
		e.lang = e.cfg.callLanguage(m.Language) // before a closed prompt: it is this menu's too
	}
	if sch := e.cfg.ScheduleByID(m.Schedule); sch != nil {
		if open, holiday := sch.IsOpen(e.start); !open {
			return e.closed(m, sch, holiday)
		}
	}
	if !e.arrived {
		// The number's own schedule screens the call as it arrives only.
		e.arrived = true
		if sch := e.cfg.ScheduleByID(m.NumberSchedules[e.dialled]); sch != nil && m == e.first {
			if open, holiday := sch.IsOpen(e.start); !open {
				return e.closed(m, sch, holiday)
			}
		}
	}
	e.cur = m
	e.attempts, e.invalids, e.errors = 0, 0, 0
	e.entry = ""
	acts := []Action{Note{Event: StepEnter, IVR: m.ID}}
	if m.Greeting != "" && !e.greeted[m.ID] {
		e.greeted[m.ID] = true
		return append(acts, e.play(m.Greeting, false, e.attempt)...)
	}
	return append(acts, e.attempt()...)
}

// closed plays the holiday's or the closed prompt, then closed.then
// (default hangup). The caller stays where they were (nowhere on the
// first menu): a closed menu is never pushed on the back stack.
func (e *Executor) closed(m *IVR, sch *Schedule, holiday *Holiday) []Action {
	prompt, detail := sch.Closed.Prompt, "closed"
	if holiday != nil {
		detail = "holiday " + holiday.Name
		if holiday.Prompt != "" {
			prompt = holiday.Prompt
		}
	}
	e.reason = "closed"
	acts := []Action{Note{Event: StepClosed, IVR: m.ID, Detail: detail}}
	return append(acts, e.play(prompt, false, func() []Action { return e.run(sch.Closed.Then) })...)
}

// attempt plays the menu prompt once, then waits for the response.
func (e *Executor) attempt() []Action {
	e.entry = ""
	barge := e.cur.bargeIn()
	if len(e.pending) > 0 && barge {
		return e.collect() // type-ahead: digits already waiting answer the menu
	}
	return e.play(e.cur.Prompt, barge, e.afterPrompt)
}

func (e *Executor) afterPrompt() []Action {
	if len(e.pending) > 0 {
		return e.collect()
	}
	e.phase = phaseResponse
	return []Action{e.startTimer(e.cur.ResponseTimeout.D())}
}

// play emits a Play and remembers what follows it; an empty prompt
// continues at once, as the next step.
func (e *Executor) play(prompt string, barge bool, then func() []Action) []Action {
	if prompt == "" {
		return e.later(then)
	}
	e.playID++
	e.phase, e.playing, e.playBarge, e.afterPlay = phasePlaying, prompt, barge, then
	return []Action{Play{ID: e.playID, Prompt: prompt, BargeIn: barge, Language: e.lang}}
}

func (e *Executor) startTimer(d time.Duration) Action {
	e.timerID++
	e.timerOn = true
	return StartTimer{ID: e.timerID, After: d}
}

func (e *Executor) cancelTimer() []Action {
	if !e.timerOn {
		return nil
	}
	e.timerOn = false
	return []Action{CancelTimer{ID: e.timerID}}
}

func (e *Executor) digit(k byte) []Action {
	switch e.phase {
	case phaseHandoff, phaseDone, phaseStream:
		return nil // a stream's keys go to its far end
	case phaseDelay, phaseIdle, phaseAsk:
		e.pending = append(e.pending, k)
		return nil
	case phasePlaying:
		e.pending = append(e.pending, k)
		if !e.playBarge {
			return nil // kept for when the menu listens
		}
		acts := []Action{StopPlayback{ID: e.playID, Prompt: e.playing}}
		e.playing, e.afterPlay = "", nil
		e.phase = phaseIdle
		return append(acts, e.collect()...)
	case phaseResponse, phaseCollect, phaseGather:
		e.pending = append(e.pending, k)
		acts := e.cancelTimer()
		return append(acts, e.collect()...)
	}
	return nil
}

// collect consumes pending digits into the entry until it means something
// or needs more digits.
func (e *Executor) collect() []Action {
	if e.gather != nil {
		return e.gatherCollect()
	}
	for len(e.pending) > 0 {
		k := e.pending[0]
		e.pending = e.pending[1:]
		if e.entry != "" && e.cur.Terminator != "" && k == e.cur.Terminator[0] {
			return e.finish()
		}
		e.entry += string(k)
		dest, decided := e.classify(e.entry)
		if decided {
			return e.choose(dest, e.entry)
		}
	}
	e.phase = phaseCollect
	return []Action{e.startTimer(e.cur.DigitTimeout.D())}
}

func isKey(k byte) bool { return k >= '0' && k <= '9' || k == '*' || k == '#' }

func (e *Executor) finish() []Action {
	entry := e.entry
	return e.choose(e.final(entry), entry)
}

func (e *Executor) choose(d *Destination, entry string) []Action {
	e.entry, e.chosen = "", entry
	if d == nil {
		return e.invalid(entry)
	}
	return e.run(d)
}

func (e *Executor) invalid(entry string) []Action {
	e.invalids++
	e.pending = e.pending[:0] // what was typed after a wrong entry is not trusted
	acts := []Action{Note{Event: StepInvalid, IVR: e.cur.ID, Digits: entry}}
	e.errors++
	if e.tooManyErrors() {
		return append(acts, e.failure()...)
	}
	if e.invalids >= e.cur.MaxInvalid {
		return append(acts, e.play(e.cur.InvalidPrompt, false, e.failure)...)
	}
	return append(acts, e.play(e.cur.InvalidPrompt, false, e.attempt)...)
}

func (e *Executor) timerFired() []Action {
	switch e.phase {
	case phaseDelay:
		return e.enter(e.first)
	case phaseCollect:
		return e.finish()
	case phaseGather:
		return e.gatherDone() // no key for digit_timeout
	case phaseAsk:
		return e.answered(AskResult{ID: e.askID, Err: errAskTimeout})
	case phaseStream:
		return e.streamTimedOut()
	case phaseResponse:
		e.attempts++
		acts := []Action{Note{Event: StepTimeout, IVR: e.cur.ID}}
		e.errors++
		if e.tooManyErrors() {
			return append(acts, e.failure()...)
		}
		if e.attempts >= e.cur.PromptRepeat {
			return append(acts, e.play(e.cur.TimeoutPrompt, false, e.failure)...)
		}
		return append(acts, e.play(e.cur.TimeoutPrompt, false, e.attempt)...)
	}
	return nil
}

// tooManyErrors: max_errors, when set, counts timeouts and invalid
// entries together (Wazo's "the third error hangs up"). Reaching it runs
// on_failure at once, without the invalid or timeout prompt: Wazo's
// dp-ivr-example checks its counter before playing the invalid-choice
// sound, and plays only the error sound the third time.
func (e *Executor) tooManyErrors() bool {
	return e.cur.MaxErrors > 0 && e.errors >= e.cur.MaxErrors
}

func (e *Executor) failure() []Action {
	e.reason = "failure"
	acts := []Action{Note{Event: StepFailure, IVR: e.cur.ID}}
	return append(acts, e.run(e.cur.OnFailure)...)
}

// run carries out a destination.
func (e *Executor) run(d *Destination) []Action {
	d = e.cfg.ResolveInternal(d) // an internal number: its owner's destination
	if d == nil {
		return e.hangup()
	}
	//exhaustive:enforce
	switch d.Kind {
	case KindHangup, KindInternal: // an internal number was resolved above
		return e.hangup()
	case KindRepeat, KindMenu:
		return e.again()
	case KindBack:
		if n := len(e.stack); n > 0 {
			prev := e.stack[n-1]
			e.stack = e.stack[:n-1]
			return e.enter(prev)
		}
		return e.again()
	case KindTop:
		if len(e.stack) == 0 {
			return e.again()
		}
		top := e.stack[0]
		e.stack = e.stack[:0]
		return e.enter(top)
	case KindIVR:
		next := e.cfg.IVRByID(d.Target)
		if next == nil {
			return e.hangup()
		}
		e.push(next)
		return e.enter(next)
	case KindPlay:
		then := d.Then
		if then == nil {
			then = &Destination{Kind: KindMenu}
		}
		return e.play(d.Target, false, func() []Action { return e.run(then) })
	case KindSetLanguage:
		return e.setLanguage(d)
	case KindWebhook:
		return e.notify(d)
	case KindGather:
		return e.startGather(d)
	case KindAsk:
		return e.ask(d)
	case KindStream:
		return e.startStream(d)
	case KindVoicemail:
		e.startHandoff(d)
		return []Action{Voicemail{Box: d.Target}}
	case KindGroup, KindVoicemailCheck, KindConference, KindQueue:
		e.startHandoff(d) // their own way, whatever the menu's transfer (ownMethod)
		return []Action{Transfer{Dest: d, Method: ownMethod[d.Kind]}}
	case KindURI, KindExternal, KindExtension:
		d = e.expandDest(d)
		e.startHandoff(d)
		method := d.Transfer
		if method == "" && e.cur != nil {
			method = e.cur.Transfer
		}
		if method == "" {
			method = DefaultTransfer
		}
		return []Action{Transfer{Dest: d, Method: method}}
	}
	return e.hangup()
}

// startHandoff waits for a hand-off's outcome. Keys typed ahead belong to
// the menu that is being left: if the hand-off fails they are not replayed.
func (e *Executor) startHandoff(d *Destination) {
	e.phase, e.handoff = phaseHandoff, d
	e.pending = e.pending[:0]
}

// again replays the current menu keeping its counters. While the call is
// ending (on_failure, closed handling) there is no menu to go back to:
// replaying it would loop forever with spent counters, so the call ends.
func (e *Executor) again() []Action {
	if e.reason != "" || e.cur == nil {
		return e.hangup()
	}
	return e.attempt()
}

// push records the menu being left. Going to a menu already on the stack
// unwinds to it, so a loop in the menu tree cannot grow the stack and
// back/top keep meaning what the caller heard.
func (e *Executor) push(next *IVR) {
	for i, m := range e.stack {
		if m == next {
			e.stack = e.stack[:i]
			return
		}
	}
	if e.cur != nil && e.cur != next {
		e.stack = append(e.stack, e.cur)
	}
}

// limit ends the call at a run-time bound (hop limit, menu time), with
// what is playing stopped and the timer disarmed.
func (e *Executor) limit(reason string) []Action {
	acts := append(e.cancelTimer(), e.cancelDeadline()...)
	acts = append(acts, e.endGather()...)
	e.asking = nil
	if e.streaming != nil {
		acts = append(acts, StopStream{ID: e.streamID})
		e.streaming = nil
	}
	if e.phase == phasePlaying {
		acts = append(acts, StopPlayback{ID: e.playID, Prompt: e.playing})
		e.playing, e.afterPlay = "", nil
	}
	if e.holdID != 0 {
		acts = append(acts, StopPlayback{ID: e.holdID})
		e.holdID = 0
	}
	id := ""
	if e.cur != nil {
		id = e.cur.ID
	}
	e.reason = reason
	acts = append(acts, Note{Event: StepLimit, IVR: id, Detail: reason})
	return append(acts, e.hangup()...)
}

func (e *Executor) hangup() []Action {
	reason := e.reason
	if reason == "" {
		reason = "hangup"
	}
	e.phase = phaseDone
	return []Action{Hangup{Reason: reason}}
}

// handoffFailed: overflow if the destination has one; else, from a menu,
// the invalid prompt and the menu again (what a caller of a busy extension
// expects); while the call is ending (on_failure, closed) it hangs up.
func (e *Executor) handoffFailed(err error) []Action {
	d := e.handoff
	e.handoff = nil
	e.phase = phaseIdle
	id := ""
	if e.cur != nil {
		id = e.cur.ID
	}
	acts := []Action{Note{Event: StepTransferFailed, IVR: id, Detail: err.Error()}}
	if next := exitDest(err); next != nil {
		return append(acts, e.run(next)...)
	}
	if d != nil && d.Overflow != nil {
		return append(acts, e.run(d.Overflow)...)
	}
	if e.reason != "" || e.cur == nil {
		return append(acts, e.hangup()...)
	}
	return append(acts, e.play(e.cur.InvalidPrompt, false, e.attempt)...)
}
