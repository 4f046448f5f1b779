package cdr

import "strings"

// OutcomeKind is what the menu did last with a call.
type OutcomeKind string

// The kinds.
const (
	OutcomeNone         OutcomeKind = ""               // nothing yet (a call still in its menu)
	OutcomeTransfer     OutcomeKind = "transfer"       // a hand-off (Detail: the destination)
	OutcomeVoicemail    OutcomeKind = "voicemail"      // a message was left (Detail: the box)
	OutcomeHangup       OutcomeKind = "hangup"         // the menu hung up (Detail: why)
	OutcomeCallerHungUp OutcomeKind = "caller hung up" // the caller left first
	OutcomeEnded        OutcomeKind = "ended"          // the call ended otherwise (Detail: the SIP-level cause)
)

// Enum lists the kinds (OutcomeNone, "", while the call is in its menu).
func (OutcomeKind) Enum() []string {
	return []string{string(OutcomeNone), string(OutcomeTransfer), string(OutcomeVoicemail), string(OutcomeHangup), string(OutcomeCallerHungUp), string(OutcomeEnded)}
}

// Outcome is what the menu did last with a call: its kind, the detail
// (destination, box, reason), whether a transfer went through, and
// whether an operator asked for it through the API.
type Outcome struct {
	Kind     OutcomeKind `json:"kind"`
	Detail   string      `json:"detail,omitempty"`
	Done     bool        `json:"done,omitempty"`
	Operator bool        `json:"operator,omitempty"`
}

// String is the outcome as one line, as the log and the CSV say it:
// "transfer uri sales@pbx done", "hangup failure", "caller hung up".
func (o Outcome) String() string {
	var b strings.Builder
	b.WriteString(string(o.Kind))
	if o.Detail != "" {
		if o.Kind == OutcomeEnded {
			b.WriteByte(':')
		}
		b.WriteByte(' ')
		b.WriteString(o.Detail)
	}
	if o.Operator {
		b.WriteString(" (operator)")
	}
	if o.Done {
		b.WriteString(" done")
	}
	return b.String()
}

// LegacyOutcome reads the one-line form records were stored in before
// the outcome had a structure (store migration, old exports).
func LegacyOutcome(s string) Outcome {
	var o Outcome
	if rest, ok := strings.CutSuffix(s, " done"); ok {
		o.Done, s = true, rest
	}
	if rest, ok := strings.CutSuffix(s, " (operator)"); ok {
		o.Operator, s = true, rest
	}
	for _, k := range []OutcomeKind{OutcomeCallerHungUp, OutcomeTransfer, OutcomeVoicemail, OutcomeHangup} {
		if s == string(k) {
			o.Kind = k
			return o
		}
		if rest, ok := strings.CutPrefix(s, string(k)+" "); ok {
			o.Kind, o.Detail = k, rest
			return o
		}
	}
	if rest, ok := strings.CutPrefix(s, "ended: "); ok {
		o.Kind, o.Detail = OutcomeEnded, rest
		return o
	}
	if s != "" {
		o.Kind, o.Detail = OutcomeEnded, s
	}
	return o
}
