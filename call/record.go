package call

import (
	"strings"
	"time"

	"github.com/ivrd/ivrd/cdr"
	"github.com/ivrd/ivrd/dtmf"
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/media"
)

// Record sums one call up: the call detail record an operator reads
// (Asterisk's CDR). The call's owner writes exactly one, when the call is
// over.
type Record struct {
	CallID string
	From   string // caller (From user)
	To     string // the number dialled
	Trunk  string // the trunk it came in on ("" for none)
	Source cdr.Source
	IVR    string // the IVR the number reached
	// Direction is outbound for a call ivrd placed (placed.go), else
	// inbound.
	Direction cdr.Direction

	Answered time.Time
	Ended    time.Time

	Path      []string // menus entered, in order
	Keys      []Key
	Invalid   int
	Timeouts  int
	Transfers []Transfer
	Voicemail string      // the message's id when one was recorded
	Outcome   cdr.Outcome // what the menu did last
	MenuTime  time.Duration
	// ScheduleBranch is "open", "closed" or "holiday NAME" when a menu
	// with a schedule was reached (the last one decides), "" otherwise.
	ScheduleBranch string

	Reason EndReason
	Side   Side
	Media  media.Stats // the caller's leg
}

// Key is one key press the menu heard.
type Key struct {
	Key    byte
	Method dtmf.Method
	At     time.Duration // since the answer
}

// Transfer is one hand-off tried.
type Transfer struct {
	Dest   string             // the destination as the config says it
	Method ivr.TransferMethod // "" for voicemail
	Err    string             // "" when it succeeded
	At     time.Duration
	// Operator: asked for through the API, not by the menu.
	Operator bool
}

// keys is the keys pressed, as a string.
func (r *Record) keys() string {
	var b strings.Builder
	for _, k := range r.Keys {
		b.WriteByte(k.Key)
	}
	return b.String()
}

// failedTransfers counts the hand-offs that did not succeed.
func (r *Record) failedTransfers() int {
	n := 0
	for _, t := range r.Transfers {
		if t.Err != "" {
			n++
		}
	}
	return n
}

// menuAttrs is the record's "call record" log line: the menu's view.
func (r *Record) menuAttrs() []any {
	return []any{"path", strings.Join(r.Path, ">"), "keys", r.keys(), "invalid", r.Invalid, "timeouts", r.Timeouts,
		"failed_transfers", r.failedTransfers(), "outcome", r.Outcome.String(), "menu_time", r.MenuTime.Round(time.Millisecond).String()}
}

// endAttrs is the call's last log line: why and by whom it ended, how
// long it lasted and its media quality.
func (r *Record) endAttrs() []any {
	dur := time.Duration(0)
	if !r.Answered.IsZero() {
		dur = r.Ended.Sub(r.Answered).Round(time.Millisecond)
	}
	st := r.Media
	attrs := []any{"reason", r.Reason.String(), "ended_by", r.Side.String(), "duration", dur.String(),
		"rtp_sent", st.Sent, "rtp_received", st.Received, "lost", st.Lost,
		"jitter", st.Jitter.Round(100 * time.Microsecond).String()}
	if st.Foreign > 0 || st.RTCPForeign > 0 {
		// Packets from strangers, dropped: someone probing or injecting.
		attrs = append(attrs, "rtp_foreign", st.Foreign, "rtcp_foreign", st.RTCPForeign)
	}
	if st.SRTPAuthFailed > 0 || st.SRTPRejected > 0 || st.SRTCPFailed > 0 {
		// SRTP packets that did not authenticate (another key, forged)
		// or were replayed, dropped.
		attrs = append(attrs, "srtp_auth_failed", st.SRTPAuthFailed, "srtp_rejected", st.SRTPRejected, "srtcp_failed", st.SRTCPFailed)
	}
	if st.RTCPReceived > 0 {
		attrs = append(attrs, "peer_lost", st.PeerLost, "peer_jitter", st.PeerJitter.Round(100*time.Microsecond).String(),
			"rtt", st.RTT.Round(100*time.Microsecond).String())
	}
	return attrs
}
