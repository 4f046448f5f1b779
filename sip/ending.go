package sip

// EndCause is why a call's dialog ended: what sip saw, before any menu
// meaning is given to it.
type EndCause int

// The causes, by who ended the call.
const (
	EndNotYet         EndCause = iota // the call goes on
	EndCallerBye                      // the caller sent BYE
	EndCancelled                      // the caller sent CANCEL before the answer
	EndAnswerFailed                   // our 200 OK could not be sent
	EndNoSDPAnswer                    // late offer: the ACK brought no usable answer
	EndHungUp                         // our side hung up (the handler decided)
	EndFarEnd                         // bridged: the far end hung up, we sent BYE to the caller
	EndSessionExpired                 // RFC 4028: the caller's refresh never came
	EndRefreshFailed                  // RFC 4028: our refresh was refused or unanswered
	EndShutdown                       // the server is stopping
	EndInternalError                  // the handler failed (a bug); the call was hung up
	EndNoAck                          // our 200 was never ACKed: the call was released
	EndMediaFailed                    // a WebRTC call's DTLS handshake never finished: the call was released
)

var endCauseNames = [...]string{
	EndNotYet:         "",
	EndCallerBye:      "caller hung up",
	EndCancelled:      "cancelled",
	EndAnswerFailed:   "answer failed",
	EndNoSDPAnswer:    "no sdp answer",
	EndHungUp:         "hung up",
	EndFarEnd:         "far end hung up",
	EndSessionExpired: "session timer expired",
	EndRefreshFailed:  "session refresh failed",
	EndShutdown:       "server shutdown",
	EndInternalError:  "internal error",
	EndNoAck:          "no ack",
	EndMediaFailed:    "media setup failed",
}

// String is the cause as the call's log lines say it.
func (e EndCause) String() string {
	if e < 0 || int(e) >= len(endCauseNames) {
		return "unknown"
	}
	return endCauseNames[e]
}

// ByCaller reports whether the caller's side ended the call (BYE, CANCEL,
// or a session it stopped refreshing).
func (e EndCause) ByCaller() bool {
	return e == EndCallerBye || e == EndCancelled || e == EndSessionExpired
}
