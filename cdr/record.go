package cdr

import (
	"strings"
	"time"
)

// Record is one call's record: a 'started' row when the call is handed
// to its menu, completed when it ends (or settled as 'interrupted' when
// its node died). Its JSON is the API's and the webhook's.
type Record struct {
	CallID         string     `json:"call_id"`
	Node           string     `json:"node"`
	State          State      `json:"state"`
	Direction      Direction  `json:"direction"` // inbound, or outbound for a call placed through the API
	From           string     `json:"from"`
	To             string     `json:"to"`
	Source         Source     `json:"source"`
	SourceName     string     `json:"source_name"` // the trunk, when Source is trunk
	InviteAt       time.Time  `json:"invite_at"`
	AnswerAt       *time.Time `json:"answer_at,omitempty"`
	EndAt          *time.Time `json:"end_at,omitempty"`
	IVR            string     `json:"ivr"`
	Path           Path       `json:"path"`
	Keys           []Key      `json:"keys"`
	Invalid        int        `json:"invalid"`
	Timeouts       int        `json:"timeouts"`
	ScheduleBranch string     `json:"schedule_branch"` // open, closed or "holiday NAME" when a schedule decided
	Transfers      []Transfer `json:"transfers"`
	Voicemail      string     `json:"voicemail"` // the message's id when one was recorded
	Outcome        Outcome    `json:"outcome"`
	EndReason      EndReason  `json:"end_reason"`
	EndedBy        EndedBy    `json:"ended_by"`
	Quality        Quality    `json:"quality"`
}

// Key is one key press the menu heard.
type Key struct {
	Key    string `json:"key"`    // one of 0-9 * # A-D
	AtMs   int64  `json:"at_ms"`  // since the answer
	Method string `json:"method"` // rfc4733, inband or info
}

// Transfer is one hand-off tried.
type Transfer struct {
	Dest     string `json:"dest"`             // the destination as the configuration says it
	Method   string `json:"method,omitempty"` // refer, bridge; "" for voicemail
	Error    string `json:"error,omitempty"`  // "" when it went through
	AtMs     int64  `json:"at_ms"`            // since the answer
	Operator bool   `json:"operator,omitempty"`
}

// Quality is the media quality of the caller's leg both ways; MOSIn and
// MOSOut are ITU-T G.107 E-model estimates (0: nothing to estimate from).
type Quality struct {
	Sent         uint64  `json:"sent"`
	Received     uint64  `json:"received"`
	Lost         int64   `json:"lost"`
	JitterMs     float64 `json:"jitter_ms"`
	PeerLost     int64   `json:"peer_lost"`
	PeerJitterMs float64 `json:"peer_jitter_ms"`
	RTTMs        float64 `json:"rtt_ms"`
	MOSIn        float64 `json:"mos_in"`
	MOSOut       float64 `json:"mos_out"`
}

// Path is the menus a call entered, in order. Its text form (JSON, CSV,
// the store) is the menus joined by ">" ("main>support").
type Path []string

// String is the path's text form.
func (p Path) String() string { return strings.Join(p, ">") }

// MarshalText writes the text form.
func (p Path) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText reads the text form ("" is no menu).
func (p *Path) UnmarshalText(b []byte) error {
	*p = ParsePath(string(b))
	return nil
}

// ParsePath reads a path's text form.
func ParsePath(s string) Path {
	if s == "" {
		return Path{}
	}
	return strings.Split(s, ">")
}

// KeySet is the distinct keys a call pressed, in the order of KeyChars:
// what the store filters on (one character per key, so "was # pressed"
// is a plain substring test, with no JSON to look into).
func (r *Record) KeySet() string {
	var b strings.Builder
	for _, c := range KeyChars {
		for _, k := range r.Keys {
			if k.Key == string(c) {
				b.WriteRune(c)
				break
			}
		}
	}
	return b.String()
}

// KeyChars are the keys a record can hold, in KeySet's order.
const KeyChars = "0123456789*#ABCD"

// ValidKey says whether k is one key of KeyChars.
func ValidKey(k string) bool { return len(k) == 1 && strings.Contains(KeyChars, k) }
