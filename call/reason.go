package call

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
)

var endReasonNames = [...]string{
	EndUnknown:          "unknown",
	EndCallerHangup:     "caller hung up",
	EndMenuHangup:       "menu hung up",
	EndTransferred:      "transferred",
	EndBridgeEnded:      "bridge ended",
	EndVoicemail:        "voicemail recorded",
	EndNoIVR:            "no ivr",
	EndInternalError:    "internal error",
	EndShutdown:         "server shutdown",
	EndSessionExpired:   "session timer expired",
	EndSignallingFailed: "signalling failed",
	EndOperatorHangup:   "operator hung up",
}

func (r EndReason) String() string {
	if r < 0 || int(r) >= len(endReasonNames) {
		return "unknown"
	}
	return endReasonNames[r]
}

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

var sideNames = [...]string{SideUnknown: "unknown", SideCaller: "caller", SideIVRD: "ivrd", SideFarEnd: "far end"}

func (s Side) String() string {
	if s < 0 || int(s) >= len(sideNames) {
		return "unknown"
	}
	return sideNames[s]
}

// MarshalText writes the side as its name (JSON, logs).
func (s Side) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
