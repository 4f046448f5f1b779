package ivr

import (
	"errors"
	"net/netip"
	"time"

	"go.yaml.in/yaml/v3"
)

// Duration is a time.Duration written as a Go duration string ("5s").
type Duration time.Duration

// UnmarshalYAML reads "1500ms", "5s", ...
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return typeErr("line %d: want a duration like \"5s\"", n.Line)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return typeErr("line %d: bad duration %q (want a duration like \"5s\" or \"1500ms\")", n.Line, s)
	}
	*d = Duration(v)
	return nil
}

// D is the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// Config is one whole configuration file.
type Config struct {
	Server     Server `yaml:"server"`
	PromptsDir string `yaml:"prompts_dir"`
	// VoicemailDir (ivrd addition) is where messages are kept.
	VoicemailDir string      `yaml:"voicemail_dir"`
	Trunks       []Trunk     `yaml:"trunks"`
	Extensions   []Extension `yaml:"extensions"`
	Schedules    []Schedule  `yaml:"schedules"`
	IVRs         []*IVR      `yaml:"ivrs"`
	// Webhooks (ivrd addition) receive call events (webhooks.go).
	Webhooks []Webhook `yaml:"webhooks"`
	// Prompts (ivrd addition) are prompts written as text, spoken by
	// espeak-ng when the configuration is loaded (prompts_text.go).
	Prompts []SpokenPrompt `yaml:"prompts"`
	// Language (ivrd addition) is the language of prompts_dir's own
	// files: a call in it plays them directly (language.go).
	Language string `yaml:"language"`
	// Groups (ivrd addition) are ring groups: see group.go.
	Groups []Group `yaml:"groups"`
	// VoicemailBoxes (ivrd addition): PINs, greetings and lamps of the
	// boxes checked by phone (voicemail_box.go).
	VoicemailBoxes []VoicemailBox `yaml:"voicemail_boxes"`
	// Ask (ivrd addition) configures ask destinations (ask.go).
	Ask AskSettings `yaml:"ask"`
	// Streams (ivrd addition) configures media streams (stream.go).
	Streams StreamSettings `yaml:"streams"`
	// Conferences (ivrd addition) are conference rooms: see conference.go.
	Conferences []Conference `yaml:"conferences"`
	// Queues (ivrd addition) are call queues: see queue.go.
	Queues []Queue `yaml:"queues"`

	// Where the file was read from, for resolving prompts_dir.
	Dir string `yaml:"-"`

	media MediaSettings // server.media parsed at load
}

// Server is the server section.
type Server struct {
	SIP   SIPServer `yaml:"sip"`
	Media Media     `yaml:"media"`
	API   API       `yaml:"api"`
	Store string    `yaml:"store"`
	// DrainTimeout (ivrd addition): on SIGTERM, how long calls in progress
	// may go on while no new ones are taken; then the rest get BYE.
	DrainTimeout Duration `yaml:"drain_timeout"`
	// StoreRetentionDays (ivrd addition): call records and delivered
	// webhook events older than this many days are deleted; 0 keeps them.
	StoreRetentionDays int `yaml:"store_retention_days"`
	// NodeID (ivrd addition) names this node in call records and in the
	// store's node list when several nodes share one PostgreSQL store;
	// default: the host name. Each node needs its own.
	NodeID string `yaml:"node_id"`
	// RecordingsDir (ivrd addition) is where call recordings are written
	// (RecordingsPath).
	RecordingsDir string `yaml:"recordings_dir"`
}

// SIPServer configures listeners.
type SIPServer struct {
	Listen          []string `yaml:"listen"`
	ExternalAddress string   `yaml:"external_address"`
	UserAgent       string   `yaml:"user_agent"`
	// RingTime (ivrd addition): 180 Ringing for this long before answering.
	RingTime Duration `yaml:"ring_time"`
	// AllowUnknownSources (ivrd addition): when some trunk lists
	// inbound_from, calls from anywhere else get 403 unless this is true.
	AllowUnknownSources bool `yaml:"allow_unknown_sources"`
	// Limits (ivrd addition) bound what one source address may take;
	// sources a trunk's inbound_from names are exempt. 0: the default,
	// negative: off.
	Limits SourceLimits `yaml:"limits"`
	// TLS (ivrd addition): certificate and key of tls:// and wss://
	// listeners.
	TLS SIPTLS `yaml:"tls"`
	// WSOrigins are the page origins allowed to open a ws:// or wss://
	// connection besides the server's own host ("*": any).
	WSOrigins []string `yaml:"ws_origins"`
	// WSRequireAuth (ivrd addition): every call over ws/wss must
	// authenticate as an extension (digest, its password).
	WSRequireAuth bool `yaml:"ws_require_auth"`
	// WSAnonymousDialOut (ivrd addition): browser callers who did not
	// authenticate may be bridged to far ends and trunks too.
	WSAnonymousDialOut bool `yaml:"ws_anonymous_dialout"`
}

// SourceLimits are server.sip.limits, per source IP address.
type SourceLimits struct {
	PacketRate        float64  `yaml:"packet_rate"`
	PacketBurst       int      `yaml:"packet_burst"`
	InviteRate        float64  `yaml:"invite_rate"`
	InviteBurst       int      `yaml:"invite_burst"`
	CallsInSetup      int      `yaml:"calls_in_setup"`
	Calls             int      `yaml:"calls"`
	TCPConnections    int      `yaml:"tcp_connections"`
	TCPMessageTimeout Duration `yaml:"tcp_message_timeout"`
	TCPIdleTimeout    Duration `yaml:"tcp_idle_timeout"`
}

// Media configures RTP and digit methods.
type Media struct {
	RTPPorts string   `yaml:"rtp_ports"`
	Codecs   []string `yaml:"codecs"`
	DTMF     []string `yaml:"dtmf"`
	Inband   string   `yaml:"inband"`
	// RealtimePriority (ivrd addition) is the SCHED_FIFO priority the
	// media pacer threads ask for (1-49; absent: 10; 0: none). Without
	// the right to it (LimitRTPRIO or CAP_SYS_NICE) they run at normal
	// priority, said once in the log.
	RealtimePriority *int `yaml:"realtime_priority"`
	// OverloadGuard (ivrd addition; absent: true) refuses new calls with
	// 503 while the media pacers keep running late (media/overload.go).
	// false keeps taking calls on a host whose other work makes the
	// pacers late (a shared test machine).
	OverloadGuard *bool `yaml:"overload_guard"`
	// SRTP: off | optional | required (SRTPMode); a trunk's own srtp wins.
	SRTP string `yaml:"srtp"`
	// SRTPInsecureSignalling lets SDES keys travel over UDP and TCP SIP,
	// where anyone on the path reads them.
	SRTPInsecureSignalling bool `yaml:"srtp_insecure_signalling"`
}

// DefaultRealtimePriority is the pacers' SCHED_FIFO priority when
// server.media.realtime_priority is absent: above every normal thread,
// below the kernel's own real-time work (which runs at 50 and up).
const DefaultRealtimePriority = 10

// Guarded is server.media.overload_guard with its default.
func (m Media) Guarded() bool { return m.OverloadGuard == nil || *m.OverloadGuard }

// PacerPriority is server.media.realtime_priority with its default.
func (m Media) PacerPriority() int {
	if m.RealtimePriority == nil {
		return DefaultRealtimePriority
	}
	return *m.RealtimePriority
}

// API configures the management HTTP server.
type API struct {
	Listen  string     `yaml:"listen"`
	Tokens  []APIToken `yaml:"tokens"`
	TLSCert string     `yaml:"tls_cert"`
	TLSKey  string     `yaml:"tls_key"`
}

// APIToken is one credential of the management API: the token itself or
// its SHA-256 (hex), and what it may do.
type APIToken struct {
	Name        string `yaml:"name"`
	Token       string `yaml:"token"`
	TokenSHA256 string `yaml:"token_sha256"`
	Scope       string `yaml:"scope"` // read | write; default read
}

// Trunk is a SIP trunk.
type Trunk struct {
	Name        string   `yaml:"name"`
	URI         string   `yaml:"uri"`
	Username    string   `yaml:"username"`
	Password    string   `yaml:"password"`
	FromUser    string   `yaml:"from_user"`
	Strip       int      `yaml:"strip"`
	Prefix      string   `yaml:"prefix"`
	InboundFrom []string `yaml:"inbound_from"`
	// Register and RegistrationBlock (ivrd addition): register: true, or
	// a block under either name, has ivrd REGISTER with the trunk
	// (trunk_transport.go).
	Register          TrunkRegistration `yaml:"register"`
	RegistrationBlock TrunkRegistration `yaml:"registration"`
	// TLS (ivrd addition): how the trunk's certificate is checked.
	TLS  TrunkTLS `yaml:"tls"`
	SRTP string   `yaml:"srtp"` // "": server.media.srtp
	// Codecs (ivrd addition) is the trunk's own codec preference (PCMU,
	// PCMA, G722), for calls it brings in and calls placed through it;
	// empty: server.media.codecs.
	Codecs []string `yaml:"codecs"`
}

// Extension is an internal extension.
type Extension struct {
	Number   string `yaml:"number"`
	Name     string `yaml:"name"`
	Password string `yaml:"password"`
	Contact  string `yaml:"contact"`
}

// Schedule is a set of weekly open hours and holidays.
type Schedule struct {
	ID string `yaml:"id"`
	// Name (ivrd addition) is a label for people (Wazo confd's schedule
	// name, kept as it was given); calls never read it.
	Name     string    `yaml:"name"`
	Timezone string    `yaml:"timezone"`
	Open     []string  `yaml:"open"`
	Holidays []Holiday `yaml:"holidays"`
	Closed   Closed    `yaml:"closed"`
}

// Holiday is a closed date.
type Holiday struct {
	Date   string `yaml:"date"`
	Name   string `yaml:"name"`
	Prompt string `yaml:"prompt"`
}

// Closed is what happens outside open hours.
type Closed struct {
	Prompt string       `yaml:"prompt"`
	Then   *Destination `yaml:"then"`
}

// DialOut lets callers dial external numbers from a menu.
type DialOut struct {
	Trunk string   `yaml:"trunk"`
	Allow []string `yaml:"allow"`
}

// KeyInfo is one key's entry in IVR.KeyInfo.
type KeyInfo struct {
	ID   int64    `yaml:"id"`
	Tags []string `yaml:"tags"`
}

// NumberInfo is one number's entry in IVR.NumberInfo.
type NumberInfo struct {
	Extension int64  `yaml:"extension"`
	Incall    int64  `yaml:"incall"`
	Context   string `yaml:"context"`
}

// IVR is one menu.
type IVR struct {
	ID              string   `yaml:"id"`
	Name            string   `yaml:"name"`
	Tenant          string   `yaml:"tenant"`
	Extensions      []string `yaml:"extensions"`
	AnswerDelay     Duration `yaml:"answer_delay"`
	Greeting        string   `yaml:"greeting"`
	Prompt          string   `yaml:"prompt"`
	BargeIn         *bool    `yaml:"barge_in"`
	PromptRepeat    int      `yaml:"prompt_repeat"`
	ResponseTimeout Duration `yaml:"response_timeout"`
	DigitTimeout    Duration `yaml:"digit_timeout"`
	MaxInvalid      int      `yaml:"max_invalid"`
	// MaxErrors (ivrd addition), when set, counts invalid entries and
	// timeouts together: on_failure runs at that many errors of either
	// kind (Wazo's "the third error hangs up"), or earlier when
	// prompt_repeat or max_invalid runs out. 0: off.
	MaxErrors     int          `yaml:"max_errors"`
	InvalidPrompt string       `yaml:"invalid_prompt"`
	TimeoutPrompt string       `yaml:"timeout_prompt"`
	OnFailure     *Destination `yaml:"on_failure"`
	DirectDial    bool         `yaml:"direct_dial"`
	Terminator    string       `yaml:"terminator"`
	DialOut       *DialOut     `yaml:"dial_out"`
	Schedule      string       `yaml:"schedule"`
	// NumberSchedules (ivrd addition; Wazo's schedule on an incall):
	// by one of the menu's numbers, a schedule that screens only the
	// calls dialled to that number, when they arrive (an internal call
	// to another of the menu's numbers, or a caller coming back to it
	// from a submenu, is not screened). Checked after schedule.
	NumberSchedules map[string]string       `yaml:"number_schedules"`
	Transfer        TransferMethod          `yaml:"transfer"`
	Keys            map[string]*Destination `yaml:"keys"`
	// Language (ivrd addition): entering this menu switches the call's
	// prompts to this language (language.go).
	Language string `yaml:"language"`
	// KeyInfo (ivrd addition) is what the vendor APIs keep about a key
	// beyond where it leads, by key: a stable integer id (Zendesk's route
	// id, which stays with the route when its keypress changes) and tags
	// (Zendesk's options.tags). Calls do not use it.
	KeyInfo map[string]*KeyInfo `yaml:"key_info"`
	// NumberInfo (ivrd addition) is what the vendor APIs keep about one
	// of the menu's numbers (extensions), by number: Wazo confd's
	// extension id and context and the id of the incall the number is
	// associated with. Calls do not use it.
	NumberInfo map[string]*NumberInfo `yaml:"number_info"`
	// Record (ivrd addition) records every call of this menu from the
	// answer (recording.go).
	Record *Record `yaml:"record,omitempty"`

	// set holds the fields the file wrote, so that an explicit 0 (an
	// error) is told from a field left out (the default).
	set        map[string]bool
	decodeErrs []string
}

// UnmarshalYAML decodes a menu and notes which fields were written.
func (m *IVR) UnmarshalYAML(n *yaml.Node) error {
	type plain IVR // the same fields without this method
	m.set = map[string]bool{}
	for i := 0; n.Kind == yaml.MappingNode && i+1 < len(n.Content); i += 2 {
		m.set[n.Content[i].Value] = true
	}
	set := m.set
	err := n.Decode((*plain)(m))
	m.set = set
	// A wrong value must not drop the whole menu (yaml drops list items
	// whose decoding fails): the errors are kept for Decode to report,
	// and the menu is validated with the rest.
	var te *yaml.TypeError
	if errors.As(err, &te) {
		m.decodeErrs = te.Errors
		return nil
	}
	return err
}

// written reports whether the file set the field (false for menus built
// in code).
func (m *IVR) written(field string) bool { return m.set[field] }

// Defaults for what a file leaves out.
const (
	DefaultPromptRepeat    = 3
	DefaultResponseTimeout = 5 * time.Second
	DefaultDigitTimeout    = 3 * time.Second
	DefaultMaxInvalid      = 3
	DefaultTerminator      = "#"
	DefaultTransfer        = TransferRefer
)

// applyDefaults fills what the file left out.
// DefaultDrainTimeout is how long a draining server lets calls go on.
const DefaultDrainTimeout = 60 * time.Second

func (c *Config) applyDefaults() {
	if c.Server.DrainTimeout == 0 {
		c.Server.DrainTimeout = Duration(DefaultDrainTimeout)
	}
	s := &c.Server
	if len(s.SIP.Listen) == 0 {
		s.SIP.Listen = []string{"udp://0.0.0.0:5060", "tcp://0.0.0.0:5060"}
	}
	if s.SIP.UserAgent == "" {
		s.SIP.UserAgent = "ivrd"
	}
	if s.Media.RTPPorts == "" {
		s.Media.RTPPorts = "10000-19999"
	}
	if len(s.Media.Codecs) == 0 {
		s.Media.Codecs = []string{"PCMU", "PCMA"}
	}
	if len(s.Media.DTMF) == 0 {
		s.Media.DTMF = []string{"rfc4733", "inband", "info"}
	}
	if s.Media.Inband == "" {
		s.Media.Inband = "auto"
	}
	if s.API.Listen == "" {
		s.API.Listen = "127.0.0.1:8080"
	}
	if s.Store == "" {
		s.Store = "sqlite://data/ivrd.db"
	}
	if s.NodeID == "" {
		s.NodeID = defaultNodeID()
	}
	c.groupDefaults()
	c.conferenceDefaults()
	c.queueDefaults()
	c.boxDefaults()
	for _, m := range c.IVRs {
		if m == nil {
			continue
		}
		if m.BargeIn == nil {
			t := true
			m.BargeIn = &t
		}
		// A 0 the file wrote stays, for validate to reject: it would
		// otherwise silently mean the default.
		if m.PromptRepeat == 0 && !m.written("prompt_repeat") {
			m.PromptRepeat = DefaultPromptRepeat
		}
		if m.ResponseTimeout == 0 && !m.written("response_timeout") {
			m.ResponseTimeout = Duration(DefaultResponseTimeout)
		}
		if m.DigitTimeout == 0 && !m.written("digit_timeout") {
			m.DigitTimeout = Duration(DefaultDigitTimeout)
		}
		if m.MaxInvalid == 0 && !m.written("max_invalid") {
			m.MaxInvalid = DefaultMaxInvalid
		}
		if m.Terminator == "" {
			m.Terminator = DefaultTerminator
		}
		if m.Transfer == "" {
			m.Transfer = DefaultTransfer
		}
		if m.Name == "" {
			m.Name = m.ID
		}
	}
}

// IVRByID finds a menu.
func (c *Config) IVRByID(id string) *IVR {
	for _, m := range c.IVRs {
		if m != nil && m.ID == id {
			return m
		}
	}
	return nil
}

// IVRFor finds the menu a dialled number reaches.
func (c *Config) IVRFor(dialled string) (*IVR, bool) {
	for _, m := range c.IVRs {
		if m == nil {
			continue
		}
		for _, e := range m.Extensions {
			if e == dialled {
				return m, true
			}
		}
	}
	return nil, false
}

// ScheduleByID finds a schedule.
func (c *Config) ScheduleByID(id string) *Schedule {
	for i := range c.Schedules {
		if c.Schedules[i].ID == id {
			return &c.Schedules[i]
		}
	}
	return nil
}

// TrunkByName finds a trunk.
func (c *Config) TrunkByName(name string) *Trunk {
	for i := range c.Trunks {
		if c.Trunks[i].Name == name {
			return &c.Trunks[i]
		}
	}
	return nil
}

// ExtensionByNumber finds an extension.
func (c *Config) ExtensionByNumber(n string) *Extension {
	for i := range c.Extensions {
		if c.Extensions[i].Number == n {
			return &c.Extensions[i]
		}
	}
	return nil
}

// NumberAsSent is number as a trunk sends it: strip digits removed from the
// front, then prefix added.
func (t *Trunk) NumberAsSent(number string) string {
	n := number
	if t.Strip > 0 {
		if t.Strip >= len(n) {
			n = ""
		} else {
			n = n[t.Strip:]
		}
	}
	return t.Prefix + n
}

// AdmitSource says which trunk a call from addr belongs to, and whether it
// may come in at all: when any trunk lists inbound_from, only those
// networks may call (the first guard against toll fraud), unless
// server.sip.allow_unknown_sources is set. With no inbound_from anywhere
// ivrd is an open IVR.
func (c *Config) AdmitSource(addr netip.Addr) (string, bool) {
	guarded := false
	for _, t := range c.Trunks {
		for _, n := range t.InboundFrom {
			guarded = true
			if p, err := netip.ParsePrefix(n); err == nil && p.Contains(addr) {
				return t.Name, true
			}
			if a, err := netip.ParseAddr(n); err == nil && a == addr {
				return t.Name, true
			}
		}
	}
	return "", !guarded || c.Server.SIP.AllowUnknownSources
}

// bargeIn is barge_in with its default (true) for menus built in code.
func (m *IVR) bargeIn() bool { return m.BargeIn == nil || *m.BargeIn }
