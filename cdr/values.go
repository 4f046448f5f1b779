package cdr

import (
	"fmt"
	"slices"
)

// State is where a record stands.
type State string

// The states.
const (
	StateStarted     State = "started"     // the call is in progress (or its node died and no sweep ran yet)
	StateEnded       State = "ended"       // the call ended and its record is complete
	StateInterrupted State = "interrupted" // its node stopped during the call
)

// Enum lists the states (the OpenAPI schema's enum, the API's check).
func (State) Enum() []string {
	return []string{string(StateStarted), string(StateEnded), string(StateInterrupted)}
}

// Direction is which way a call went.
type Direction string

// The directions.
const (
	DirectionInbound  Direction = "inbound"  // the caller called ivrd
	DirectionOutbound Direction = "outbound" // ivrd placed the call (POST /api/v1/calls)
)

// Enum lists the directions.
func (Direction) Enum() []string {
	return []string{string(DirectionInbound), string(DirectionOutbound)}
}

// Source is where a call came from.
type Source string

// The sources.
const (
	SourceTrunk     Source = "trunk"     // a configured trunk (SourceName names it)
	SourceExtension Source = "extension" // the caller is a configured extension
	SourceUnknown   Source = "unknown"   // anyone else
)

// Enum lists the sources.
func (Source) Enum() []string {
	return []string{string(SourceTrunk), string(SourceExtension), string(SourceUnknown)}
}

// EndReason is why a call ended.
type EndReason string

// The reasons. Package call's enum maps onto these; nothing else names
// them.
const (
	EndUnknown          EndReason = "unknown"
	EndCallerHangup     EndReason = "caller hung up"
	EndMenuHangup       EndReason = "menu hung up"
	EndTransferred      EndReason = "transferred"
	EndBridgeEnded      EndReason = "bridge ended"
	EndVoicemail        EndReason = "voicemail recorded"
	EndNoIVR            EndReason = "no ivr"
	EndInternalError    EndReason = "internal error"
	EndShutdown         EndReason = "server shutdown"
	EndSessionExpired   EndReason = "session timer expired"
	EndSignallingFailed EndReason = "signalling failed"
	EndOperatorHangup   EndReason = "operator hung up"
	// EndConferenceLeft: the caller left a conference room with its
	// leave key (#) and ivrd hung up.
	EndConferenceLeft EndReason = "left conference"
	// EndConferenceEnded: the room's last moderator left and the room
	// ends with the moderator (end_with_moderator): ivrd hung up.
	EndConferenceEnded EndReason = "conference ended"
	// EndInterrupted is the reason of a record settled after its node
	// stopped during the call (SIGKILL, a crash, a lost host).
	EndInterrupted EndReason = "ivrd stopped during the call"
	// EndNodeLost is the reason another node gives the calls of a node
	// whose heartbeat stopped.
	EndNodeLost EndReason = "node lost"
	// A call placed through the API that was never answered: no answer
	// within its ring timeout, busy (486, 600), or refused with another
	// status (the outcome's detail has it).
	EndNoAnswer EndReason = "no answer"
	EndBusy     EndReason = "busy"
	EndRefused  EndReason = "refused"
)

// Enum lists the reasons ("" while the call is in progress).
func (EndReason) Enum() []string {
	return []string{"", string(EndUnknown), string(EndCallerHangup), string(EndMenuHangup), string(EndTransferred),
		string(EndBridgeEnded), string(EndVoicemail), string(EndNoIVR), string(EndInternalError), string(EndShutdown),
		string(EndSessionExpired), string(EndSignallingFailed), string(EndOperatorHangup), string(EndInterrupted), string(EndNodeLost),
		string(EndConferenceLeft), string(EndConferenceEnded), string(EndNoAnswer), string(EndBusy), string(EndRefused)}
}

// EndedBy is the side that ended a call.
type EndedBy string

// The sides.
const (
	EndedByUnknown EndedBy = "unknown"
	EndedByCaller  EndedBy = "caller"  // BYE, CANCEL, a refresh it never sent
	EndedByIVRD    EndedBy = "ivrd"    // the menu, a transfer, voicemail, shutdown
	EndedByFarEnd  EndedBy = "far end" // the far end of a bridge
)

// Enum lists the sides ("" while the call is in progress).
func (EndedBy) Enum() []string {
	return []string{"", string(EndedByUnknown), string(EndedByCaller), string(EndedByIVRD), string(EndedByFarEnd)}
}

// Enumerated is a string type with a closed set of values.
type Enumerated interface{ Enum() []string }

// Check says whether v is one of its type's values, naming them if not:
// the API's answer to a filter it cannot match.
func Check[T interface {
	~string
	Enumerated
}](name string, v T) error {
	if slices.Contains(v.Enum(), string(v)) {
		return nil
	}
	return fmt.Errorf("%s %q: want one of %q", name, string(v), v.Enum())
}
