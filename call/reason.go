package call

import "github.com/ivrd/ivrd/cdr"

// EndReason is why a call ended, as its record says it.
type EndReason int

// The reasons.
const (
	EndUnknown          EndReason = iota
	EndCallerHangup               // the caller hung up (in the menu or while handed off)
	EndMenuHangup                 // the menu ended the call (a hangup key, failure, closed)
	EndTransferred                // a REFER was accepted: the caller left for the target
	EndBridgeEnded                // a bridged call ended (Side says which side hung up)
	EndVoicemail                  // a message was recorded and ivrd said goodbye
	EndNoIVR                      // the number reached no IVR by the time the call ran
	EndInternalError              // the menu failed (a bug): the call was hung up
	EndShutdown                   // the server stopped
	EndSessionExpired             // the caller's session refresh never came (RFC 4028)
	EndSignallingFailed           // our session refresh failed, or the answer had no usable SDP
	EndOperatorHangup             // an operator hung the call up (DELETE /api/v1/calls/{id})
	EndConferenceLeft             // the caller left a conference room with # (conference.go)
	EndConferenceEnded            // the room ended with its last moderator (end_with_moderator)
)

// Record is the reason as a call record names it (package cdr holds the
// names; this enum is the call owner's own, for its switches).
func (r EndReason) Record() cdr.EndReason {
	//exhaustive:enforce
	switch r {
	case EndUnknown:
		return cdr.EndUnknown
	case EndCallerHangup:
		return cdr.EndCallerHangup
	case EndMenuHangup:
		return cdr.EndMenuHangup
	case EndTransferred:
		return cdr.EndTransferred
	case EndBridgeEnded:
		return cdr.EndBridgeEnded
	case EndVoicemail:
		return cdr.EndVoicemail
	case EndNoIVR:
		return cdr.EndNoIVR
	case EndInternalError:
		return cdr.EndInternalError
	case EndShutdown:
		return cdr.EndShutdown
	case EndSessionExpired:
		return cdr.EndSessionExpired
	case EndSignallingFailed:
		return cdr.EndSignallingFailed
	case EndOperatorHangup:
		return cdr.EndOperatorHangup
	case EndConferenceLeft:
		return cdr.EndConferenceLeft
	case EndConferenceEnded:
		return cdr.EndConferenceEnded
	}
	return cdr.EndUnknown
}

func (r EndReason) String() string { return string(r.Record()) }

// MarshalText writes the reason as its name (JSON, logs).
func (r EndReason) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// Side is who ended a call.
type Side int

// The sides.
const (
	SideUnknown Side = iota
	SideCaller       // the caller (BYE, CANCEL, a refresh it never sent)
	SideIVRD         // ivrd (the menu, a transfer, voicemail, shutdown)
	SideFarEnd       // the far end of a bridge
)

// Record is the side as a call record names it.
func (s Side) Record() cdr.EndedBy {
	//exhaustive:enforce
	switch s {
	case SideUnknown:
		return cdr.EndedByUnknown
	case SideCaller:
		return cdr.EndedByCaller
	case SideIVRD:
		return cdr.EndedByIVRD
	case SideFarEnd:
		return cdr.EndedByFarEnd
	}
	return cdr.EndedByUnknown
}

func (s Side) String() string { return string(s.Record()) }

// MarshalText writes the side as its name (JSON, logs).
func (s Side) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
