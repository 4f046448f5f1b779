package edit

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"

	"github.com/ivrd/ivrd/ivr"
)

// The types below are the store's bodies as the YAML model writes them
// (ivr.IVR, ivr.Schedule, ...: the same field names, durations as
// strings such as "5s"), typed so that an API edits fields, not map
// entries. A test holds their fields to the model's.

// IVR is a stored menu.
type IVR struct {
	ID              string                  `json:"id"`
	Name            string                  `json:"name,omitempty"`
	Tenant          string                  `json:"tenant,omitempty"`
	Extensions      []string                `json:"extensions,omitempty"`
	AnswerDelay     string                  `json:"answer_delay,omitempty"`
	Greeting        string                  `json:"greeting,omitempty"`
	Prompt          string                  `json:"prompt,omitempty"`
	BargeIn         *bool                   `json:"barge_in,omitempty"`
	PromptRepeat    int                     `json:"prompt_repeat,omitempty"`
	ResponseTimeout string                  `json:"response_timeout,omitempty"`
	DigitTimeout    string                  `json:"digit_timeout,omitempty"`
	MaxInvalid      int                     `json:"max_invalid,omitempty"`
	MaxErrors       int                     `json:"max_errors,omitempty"`
	InvalidPrompt   string                  `json:"invalid_prompt,omitempty"`
	TimeoutPrompt   string                  `json:"timeout_prompt,omitempty"`
	OnFailure       *Destination            `json:"on_failure,omitempty"`
	DirectDial      bool                    `json:"direct_dial,omitempty"`
	Terminator      string                  `json:"terminator,omitempty"`
	DialOut         *DialOut                `json:"dial_out,omitempty"`
	Schedule        string                  `json:"schedule,omitempty"`
	NumberSchedules map[string]string       `json:"number_schedules,omitempty"`
	Transfer        string                  `json:"transfer,omitempty"`
	Keys            map[string]*Destination `json:"keys,omitempty"`
	Language        string                  `json:"language,omitempty"`
	KeyInfo         map[string]*KeyInfo     `json:"key_info,omitempty"`
	NumberInfo      map[string]*NumberInfo  `json:"number_info,omitempty"`
	// Record is kept as written (true, false or a mapping of announce
	// and format): the vendor APIs carry it, they do not change it.
	Record json.RawMessage `json:"record,omitempty"`
}

// NumberInfo is what an API keeps about one number (ivr.NumberInfo).
type NumberInfo struct {
	Extension int64  `json:"extension,omitempty"`
	Incall    int64  `json:"incall,omitempty"`
	Context   string `json:"context,omitempty"`
}

// DialOut is a menu's dial_out.
type DialOut struct {
	Trunk string   `json:"trunk,omitempty"`
	Allow []string `json:"allow,omitempty"`
}

// KeyInfo is what an API keeps about one key (ivr.KeyInfo).
type KeyInfo struct {
	ID   int64    `json:"id,omitempty"`
	Tags []string `json:"tags,omitempty"`
}

// Group is a stored ring group.
type Group struct {
	ID            string   `json:"id"`
	Name          string   `json:"name,omitempty"`
	Number        string   `json:"number,omitempty"`
	Members       []string `json:"members,omitempty"`
	Strategy      string   `json:"strategy,omitempty"`
	Timeout       string   `json:"timeout,omitempty"`
	MemberTimeout string   `json:"member_timeout,omitempty"`
	Announce      string   `json:"announce,omitempty"`
}

// Schedule is a stored schedule.
type Schedule struct {
	ID       string    `json:"id"`
	Name     string    `json:"name,omitempty"`
	Timezone string    `json:"timezone,omitempty"`
	Open     []string  `json:"open,omitempty"`
	Holidays []Holiday `json:"holidays,omitempty"`
	Closed   Closed    `json:"closed"`
}

// Holiday is a closed date ("2026-12-25" or "2026-12-24..2026-12-26").
type Holiday struct {
	Date   string `json:"date"`
	Name   string `json:"name,omitempty"`
	Prompt string `json:"prompt,omitempty"`
}

// Closed is a schedule's closed handling.
type Closed struct {
	Prompt string       `json:"prompt,omitempty"`
	Then   *Destination `json:"then,omitempty"`
}

// Destination is a stored destination: a bare word (Word: "hangup",
// "repeat", "back", "top", "menu") or a mapping with one target field.
// Fields this type does not name (a destination kind added to the model
// later) are kept in Extra and written back as they were.
type Destination struct {
	Word string `json:"-"`

	URI            *string `json:"uri,omitempty"`
	External       *string `json:"external,omitempty"`
	Extension      *string `json:"extension,omitempty"`
	IVR            *string `json:"ivr,omitempty"`
	Play           *string `json:"play,omitempty"`
	Prompt         *string `json:"prompt,omitempty"`
	Voicemail      *string `json:"voicemail,omitempty"`
	Group          *string `json:"group,omitempty"`
	VoicemailCheck *string `json:"voicemail_check,omitempty"`
	SetLanguage    *string `json:"set_language,omitempty"`
	Webhook        *string `json:"webhook,omitempty"`
	Internal       *string `json:"internal,omitempty"`
	Conference     *string `json:"conference,omitempty"`
	Queue          *string `json:"queue,omitempty"`

	Trunk       string            `json:"trunk,omitempty"`
	Transfer    string            `json:"transfer,omitempty"`
	RingTimeout string            `json:"ring_timeout,omitempty"`
	Event       string            `json:"event,omitempty"`
	Data        map[string]string `json:"data,omitempty"`
	Then        *Destination      `json:"then,omitempty"`
	Overflow    *Destination      `json:"overflow,omitempty"`

	Extra map[string]json.RawMessage `json:"-"`
}

// destinationFields is Destination without its JSON methods.
type destinationFields Destination

// MarshalJSON writes a word as a string, else the mapping.
func (d Destination) MarshalJSON() ([]byte, error) {
	if d.Word != "" {
		return json.Marshal(d.Word)
	}
	data, err := json.Marshal(destinationFields(d))
	if err != nil || len(d.Extra) == 0 {
		return data, err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return nil, err
	}
	for k, v := range d.Extra {
		fields[k] = v
	}
	return json.Marshal(fields)
}

// UnmarshalJSON reads a word or a mapping.
func (d *Destination) UnmarshalJSON(data []byte) error {
	if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '"' {
		*d = Destination{}
		return json.Unmarshal(t, &d.Word)
	}
	var f destinationFields
	if err := json.Unmarshal(data, &f); err != nil {
		return err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(data, &all); err != nil {
		return err
	}
	known := knownDestinationFields()
	for k, v := range all {
		if !known[k] {
			if f.Extra == nil {
				f.Extra = map[string]json.RawMessage{}
			}
			f.Extra[k] = v
		}
	}
	*d = Destination(f)
	return nil
}

// knownDestinationFields are the JSON names Destination has fields for.
func knownDestinationFields() map[string]bool {
	t := reflect.TypeFor[destinationFields]()
	out := make(map[string]bool, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "-" {
			out[name] = true
		}
	}
	return out
}

// Str is a pointer to s, for a destination's target fields.
func Str(s string) *string { return &s }

// Kind is what the destination does, in ivr's terms.
func (d *Destination) Kind() ivr.Kind {
	if d == nil {
		return ivr.KindHangup
	}
	if d.Word != "" {
		return ivr.Kind(strings.ToLower(strings.TrimSpace(d.Word)))
	}
	for _, t := range d.targets() {
		if t.p != nil {
			return t.kind
		}
	}
	if d.Prompt != nil {
		return ivr.KindPlay
	}
	return ""
}

// Target is the destination's target: the URI, number, extension, ivr
// id, prompt, box, group, language or webhook name.
func (d *Destination) Target() string {
	if d == nil {
		return ""
	}
	for _, t := range d.targets() {
		if t.p != nil {
			return *t.p
		}
	}
	if d.Prompt != nil {
		return *d.Prompt
	}
	return ""
}

type target struct {
	kind ivr.Kind
	p    *string
}

func (d *Destination) targets() []target {
	return []target{{ivr.KindURI, d.URI}, {ivr.KindExternal, d.External}, {ivr.KindExtension, d.Extension},
		{ivr.KindIVR, d.IVR}, {ivr.KindPlay, d.Play}, {ivr.KindVoicemail, d.Voicemail}, {ivr.KindGroup, d.Group},
		{ivr.KindVoicemailCheck, d.VoicemailCheck}, {ivr.KindSetLanguage, d.SetLanguage}, {ivr.KindWebhook, d.Webhook},
		{ivr.KindInternal, d.Internal}, {ivr.KindConference, d.Conference},
		{ivr.KindQueue, d.Queue}}
}
