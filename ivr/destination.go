package ivr

import (
	"encoding/json"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Kind is what a destination does.
type Kind string

// Destination kinds.
const (
	KindURI       Kind = "uri"
	KindExternal  Kind = "external"
	KindExtension Kind = "extension"
	KindIVR       Kind = "ivr"
	KindPlay      Kind = "play"
	KindVoicemail Kind = "voicemail"
	KindRepeat    Kind = "repeat"
	KindBack      Kind = "back"
	KindTop       Kind = "top"
	KindMenu      Kind = "menu"
	KindHangup    Kind = "hangup"
	// KindSetLanguage (ivrd addition) switches the call's prompts to a
	// language, then goes on to Then (default: this menu again).
	KindSetLanguage Kind = "set_language"
	KindGroup       Kind = "group" // ring group (ivrd addition)
	// KindVoicemailCheck lets the caller log in to a box and listen to
	// its messages (ivrd addition; Yeastar's dialtocheckvoicemail).
	KindVoicemailCheck Kind = "voicemail_check"
	// KindWebhook (ivrd addition) publishes a signed event to the
	// webhooks: entry named by Target (all of them when empty), then goes
	// on to Then (default: this menu again). See webhook_dest.go.
	KindWebhook Kind = "webhook"
	// KindGather (ivrd addition) collects digits, then goes on to Then
	// with them in ${digits} (gather.go).
	KindGather Kind = "gather"
	// KindAsk (ivrd addition) posts the call's context to a decision
	// service and runs the destination it answers (ask.go).
	KindAsk Kind = "ask"
	// KindStream (ivrd addition) forks the call's audio to a WebSocket
	// and goes on when the far end ends it (stream.go).
	KindStream Kind = "stream"
)

// Destination is where a key, a failure or a closed schedule sends the call.
type Destination struct {
	Kind   Kind
	Target string // URI, number, extension, ivr id, prompt or mailbox
	Trunk  string // external: the trunk
	Then   *Destination

	// For hand-offs.
	Transfer    TransferMethod // "" = the menu's
	RingTimeout Duration       // bridge: how long the far end may ring
	Overflow    *Destination

	// For webhook: the event's type ("" = route.webhook) and the fields
	// it carries under data.config.
	Event string
	Data  map[string]string

	// For gather: what to collect (Target is unused).
	Gather *Gather
	// For ask (Target is the URL): how long to wait for the answer
	// (0: DefaultAskTimeout) and the prompt looped meanwhile ("" silence).
	Timeout Duration
	Hold    string
	// Fallback runs when a gather runs out of attempts or an ask gets no
	// usable answer (default: hang up).
	Fallback *Destination
	// For stream (Target is its URL too); Timeout bounds it, Then and
	// Fallback follow it.
	Stream *Stream

	// Record (ivrd addition) records the call from this hand-off on (a
	// bridge: both parties).
	Record *Record

	Line int // where it was written, for messages
}

// HandsOff reports whether the destination transfers the call away.
func (d *Destination) HandsOff() bool {
	switch d.Kind {
	case KindURI, KindExternal, KindExtension, KindVoicemail, KindGroup, KindVoicemailCheck, KindConference, KindQueue:
		return true
	}
	return false
}

var words = map[string]Kind{"repeat": KindRepeat, "back": KindBack, "top": KindTop, "menu": KindMenu, "hangup": KindHangup}

// destinationFields is the mapping form.
type destinationFields struct {
	URI         *string           `yaml:"uri"`
	External    *string           `yaml:"external"`
	Trunk       string            `yaml:"trunk"`
	Extension   *string           `yaml:"extension"`
	IVR         *string           `yaml:"ivr"`
	Play        *string           `yaml:"play"`
	Prompt      *string           `yaml:"prompt"` // on_failure: {prompt, then}
	Then        *Destination      `yaml:"then"`
	Voicemail   *string           `yaml:"voicemail"`
	SetLanguage *string           `yaml:"set_language"`
	Group       *string           `yaml:"group"`
	VMCheck     *string           `yaml:"voicemail_check"`
	Conference  *string           `yaml:"conference"`
	Queue       *string           `yaml:"queue"`
	Transfer    TransferMethod    `yaml:"transfer"`
	RingTimeout Duration          `yaml:"ring_timeout"`
	Overflow    *Destination      `yaml:"overflow"`
	Webhook     *string           `yaml:"webhook"`
	Internal    *string           `yaml:"internal"`
	Event       string            `yaml:"event"`
	Data        map[string]string `yaml:"data"`
	Gather      *Gather           `yaml:"gather"`
	Ask         *string           `yaml:"ask"`
	Timeout     Duration          `yaml:"timeout"`
	Hold        string            `yaml:"hold"`
	Fallback    *Destination      `yaml:"fallback"`
	Stream      *Stream           `yaml:"stream"`
	Record      *Record           `yaml:"record"`
}

// UnmarshalYAML reads a bare word (repeat, back, top, menu, hangup) or a
// mapping with exactly one of uri, external, extension, ivr, play/prompt,
// voicemail. Its errors are yaml.TypeErrors, so that decoding goes on
// and reports the file's other problems too; unknown fields are
// reported by Decode's walk of the file.
func (d *Destination) UnmarshalYAML(n *yaml.Node) error {
	d.Line = n.Line
	if n.Kind == yaml.ScalarNode {
		k, ok := words[strings.ToLower(strings.TrimSpace(n.Value))]
		if !ok {
			return typeErr("line %d: unknown destination %q (want repeat, back, top, menu, hangup or a mapping)", n.Line, n.Value)
		}
		d.Kind = k
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return typeErr("line %d: a destination is a word or a mapping", n.Line)
	}
	var f destinationFields
	if err := n.Decode(&f); err != nil {
		return err
	}
	set := 0
	pick := func(p *string, k Kind) {
		if p != nil {
			set++
			d.Kind, d.Target = k, strings.TrimSpace(*p)
		}
	}
	pick(f.URI, KindURI)
	pick(f.External, KindExternal)
	pick(f.Extension, KindExtension)
	pick(f.IVR, KindIVR)
	pick(f.Play, KindPlay)
	pick(f.Voicemail, KindVoicemail)
	pick(f.SetLanguage, KindSetLanguage)
	pick(f.Group, KindGroup)
	pick(f.VMCheck, KindVoicemailCheck)
	pick(f.Webhook, KindWebhook)
	pick(f.Internal, KindInternal)
	pick(f.Ask, KindAsk)
	if f.Gather != nil {
		set++
		d.Kind, d.Gather = KindGather, f.Gather
	}
	if f.Stream != nil {
		set++
		d.Kind, d.Stream, d.Target = KindStream, f.Stream, strings.TrimSpace(f.Stream.URL)
	}
	pick(f.Conference, KindConference)
	pick(f.Queue, KindQueue)
	if f.Prompt != nil && set == 0 {
		pick(f.Prompt, KindPlay)
	}
	if set != 1 {
		return typeErr("line %d: a destination needs exactly one of uri, external, extension, internal, ivr, play, voicemail, group, conference, queue, voicemail_check, set_language, webhook, gather, ask, stream (has %d)", n.Line, set)
	}
	d.Trunk, d.Then, d.Transfer, d.RingTimeout, d.Overflow = f.Trunk, f.Then, f.Transfer, f.RingTimeout, f.Overflow
	d.Event, d.Data = strings.TrimSpace(f.Event), f.Data
	d.Timeout, d.Hold, d.Fallback = f.Timeout, strings.TrimSpace(f.Hold), f.Fallback
	d.Record = f.Record
	return nil
}

// destinationKeys are the fields a destination mapping may have.
var destinationKeys = map[string]bool{"uri": true, "external": true, "trunk": true, "extension": true,
	"ivr": true, "play": true, "prompt": true, "then": true, "voicemail": true, "transfer": true,
	"ring_timeout": true, "overflow": true, "set_language": true, "group": true,
	"voicemail_check": true, "webhook": true, "event": true, "data": true, "internal": true,
	"gather": true, "ask": true, "timeout": true, "hold": true, "fallback": true,
	"conference": true, "queue": true, "stream": true, "record": true}

// typeErr is an error yaml's decoder collects and carries on after.
func typeErr(format string, a ...any) error {
	return &yaml.TypeError{Errors: []string{fmt.Sprintf(format, a...)}}
}

// String is a short human form.
func (d *Destination) String() string {
	if d == nil {
		return "hangup"
	}
	switch d.Kind {
	case KindRepeat, KindBack, KindTop, KindMenu, KindHangup:
		return string(d.Kind)
	case KindExternal:
		return fmt.Sprintf("external %s via %s", d.Target, d.Trunk)
	}
	return string(d.Kind) + " " + d.Target
}

// MarshalJSON is the simulator's form: {"type":"uri","target":"..."},
// fields in that order.
func (d *Destination) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Type   Kind   `json:"type"`
		Target string `json:"target,omitempty"`
		Trunk  string `json:"trunk,omitempty"`
	}{d.Kind, d.Target, d.Trunk})
}
