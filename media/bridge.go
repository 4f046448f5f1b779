package media

import (
	"sync"

	"github.com/pion/rtp"
)

// Bridge joins two sessions, a caller's and a far end's, as a B2BUA does:
// audio is decoded on one side and re-encoded into the other's stream
// (its own SSRC, sequence, timestamps and codec: PCMU meets PCMA or
// G.722, at 8 kHz; two G.722 legs meet at 16 kHz), and
// RFC 4733 events are re-sent with the other side's payload type. The far
// end's media reaches the caller from the moment the bridge is made
// (early media can be switched on before the answer); the caller's
// reaches the far end once Connect is called.
type Bridge struct {
	caller, far *Session
	toCaller    bridgeSide // what the far end sends, towards the caller
	toFar       bridgeSide // what the caller sends, towards the far end
	mu          sync.Mutex
	attached    bool // the caller's session hears (or sends to) this bridge
	closed      bool
}

// bridgeSide is one direction of a bridge.
type bridgeSide struct {
	relay Relay
	src   *Session // whose media this side carries
	dst   *Session // where forwarded events are sent
	// suppressChoosing drops the tail of the caller's press that chose the
	// bridge (caller -> far end only).
	suppressChoosing bool
	// Touched only by the source session's receiving side.
	lastTS uint32
	seen   bool
}

// forwardEvent re-sends a telephone-event packet on the other leg; a new
// timestamp starts a new event there.
func (b *bridgeSide) forwardEvent(h *rtp.Header, payload []byte) {
	start := !b.seen || h.Timestamp != b.lastTS
	b.seen, b.lastTS = true, h.Timestamp
	b.dst.sendEvent(payload, start, b.src.eventClock())
}

// NewBridge routes the far end's media towards the caller (nothing is
// heard yet: see EarlyMedia and Connect).
func NewBridge(caller, far *Session) *Bridge {
	br := &Bridge{caller: caller, far: far}
	br.toCaller.src, br.toCaller.dst = far, caller
	br.toFar.src, br.toFar.dst = caller, far
	br.toFar.suppressChoosing = true
	far.in.setOut(&br.toCaller)
	return br
}

// EarlyMedia lets the caller hear the far end before it answers (a 183
// with SDP): ringback stops, the far end's audio plays.
func (br *Bridge) EarlyMedia() {
	br.mu.Lock()
	br.attached = true
	br.mu.Unlock()
	br.caller.StopPlayback()
	br.caller.RelayFrom(&br.toCaller.relay)
}

// Connect joins both directions: the caller's audio and key presses go
// to the far end instead of the digit detector.
func (br *Bridge) Connect() {
	br.mu.Lock()
	br.attached = true
	br.mu.Unlock()
	br.caller.StopPlayback()
	br.caller.RelayFrom(&br.toCaller.relay)
	br.far.RelayFrom(&br.toFar.relay)
	br.caller.in.setOut(&br.toFar)
}

// Close undoes the bridge: the caller's media goes back to its digit
// sink and it hears prompts and silence again. A bridge that never
// reached the caller (a forked attempt that lost) leaves the caller's
// session alone. Idempotent.
func (br *Bridge) Close() {
	br.mu.Lock()
	defer br.mu.Unlock()
	if br.closed {
		return
	}
	br.closed = true
	if br.attached {
		br.caller.in.setOut(nil)
		br.caller.RelayFrom(nil)
	}
	br.far.in.setOut(nil)
	br.far.RelayFrom(nil)
}
