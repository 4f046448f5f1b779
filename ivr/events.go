package ivr

import "time"

// Event is something that happened to the call.
type Event interface{ isEvent() }

// Events the executor handles.
type (
	// Started: the call was answered.
	Started struct{}
	// DigitPressed: the caller pressed a key.
	DigitPressed struct{ Key byte }
	// PlaybackDone: the prompt of a Play action finished on its own.
	PlaybackDone struct{ ID int }
	// TimerFired: the timer of a StartTimer action ran out.
	TimerFired struct{ ID int }
	// TransferResult: the outcome of a Transfer or Voicemail action.
	TransferResult struct{ Err error }
	// HungUp: the caller went away.
	HungUp struct{}
	// MenuTimeUp: the call has been in the menus for MaxMenuTime. The
	// driver sends it (the executor has no clock); the call ends with
	// ReasonMenuTimeLimit, or when a hand-off in progress fails.
	MenuTimeUp struct{}
	// DeadlineFired: the deadline of a StartDeadline action ran out.
	DeadlineFired struct{ ID int }
)

func (Started) isEvent()        {}
func (DigitPressed) isEvent()   {}
func (PlaybackDone) isEvent()   {}
func (TimerFired) isEvent()     {}
func (TransferResult) isEvent() {}
func (HungUp) isEvent()         {}
func (MenuTimeUp) isEvent()     {}
func (DeadlineFired) isEvent()  {}

// Action is something the driver must do.
type Action interface{ isAction() }

// Actions the executor emits.
type (
	// Play a prompt; report PlaybackDone{ID} when it ends on its own.
	Play struct {
		ID      int
		Prompt  string
		BargeIn bool
		// Language is the call's language: play Prompt from that
		// language's set, falling back to the default set ("": the
		// default set).
		Language string
		// Text, when set instead of Prompt, is spoken on the call (an
		// ask answer's say).
		Text string
	}
	// StopPlayback cuts the prompt being played (no PlaybackDone follows).
	StopPlayback struct {
		ID     int
		Prompt string
	}
	// StartTimer arms the call's single timer (replacing any other);
	// report TimerFired{ID} when it runs out.
	StartTimer struct {
		ID    int
		After time.Duration
	}
	// CancelTimer disarms the timer.
	CancelTimer struct{ ID int }
	// StartDeadline arms the call's second timer, which bounds a whole
	// gather entry while the first times the gaps between keys; report
	// DeadlineFired{ID} when it runs out.
	StartDeadline struct {
		ID    int
		After time.Duration
	}
	// CancelDeadline disarms the deadline.
	CancelDeadline struct{ ID int }
	// Transfer hands the call to Dest; report TransferResult.
	Transfer struct {
		Dest   *Destination
		Method TransferMethod
	}
	// Voicemail records a message for Box; report TransferResult.
	Voicemail struct{ Box string }
	// Hangup ends the call.
	Hangup struct{ Reason string }
	// Note records a step of the call for logs and traces (enter, invalid,
	// timeout, closed, transfer_failed, limit); nothing to do.
	Note struct {
		Event  Step
		IVR    string
		Digits string
		Detail string
	}
)

func (Play) isAction()           {}
func (StopPlayback) isAction()   {}
func (StartTimer) isAction()     {}
func (CancelTimer) isAction()    {}
func (StartDeadline) isAction()  {}
func (CancelDeadline) isAction() {}
func (Transfer) isAction()       {}
func (Voicemail) isAction()      {}
func (Hangup) isAction()         {}
func (Note) isAction()           {}

// Step names a step of a call in notes and simulation traces.
type Step string

// The steps. Their names are the trace's "event" values.
const (
	StepAnswer         Step = "answer"
	StepEnter          Step = "enter"
	StepPlay           Step = "play"
	StepDigit          Step = "digit"
	StepStop           Step = "stop"
	StepTimeout        Step = "timeout"
	StepInvalid        Step = "invalid"
	StepClosed         Step = "closed"
	StepFailure        Step = "failure"
	StepTransfer       Step = "transfer"
	StepTransferFailed Step = "transfer_failed"
	StepHangup         Step = "hangup"
	StepLimit          Step = "limit"    // a loop or time limit ended the call
	StepLanguage       Step = "language" // the call's prompts switched language
)

// TransferMethod is how a call is handed on.
type TransferMethod string

// The methods (transfer: in the config).
const (
	TransferRefer  TransferMethod = "refer"  // REFER: the caller's side calls the target
	TransferBridge TransferMethod = "bridge" // ivrd places the call and relays the media
	TransferAuto   TransferMethod = "auto"   // REFER, and a bridge when that fails
)
