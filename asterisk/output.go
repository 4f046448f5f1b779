package asterisk

import "strconv"

// The configuration Translate writes: the part of ivrd's YAML an imported
// IVR needs, as typed values with the same field names.

// Config is an ivrd configuration file's extensions, schedules and IVRs.
type Config struct {
	PromptsDir string     `yaml:"prompts_dir,omitempty"`
	Extensions []Extn     `yaml:"extensions,omitempty"`
	Schedules  []Schedule `yaml:"schedules,omitempty"`
	IVRs       []*Menu    `yaml:"ivrs"`
	Notes      []Note     `yaml:"-"`
}

// Extn is an internal number the IVR hands calls to, reached at the PBX
// the dialplan ran on.
type Extn struct {
	Number  string `yaml:"number"`
	Contact string `yaml:"contact"`
}

// Schedule is opening hours from GotoIfTime.
type Schedule struct {
	ID     string   `yaml:"id"`
	Open   []string `yaml:"open"`
	Closed *Dest    `yaml:"closed"`
}

// Menu is one IVR.
type Menu struct {
	ID              string           `yaml:"id"`
	Extensions      []string         `yaml:"extensions,omitempty"`
	Schedule        string           `yaml:"schedule,omitempty"`
	AnswerDelay     string           `yaml:"answer_delay,omitempty"`
	Greeting        string           `yaml:"greeting,omitempty"`
	Prompt          string           `yaml:"prompt,omitempty"`
	ResponseTimeout string           `yaml:"response_timeout,omitempty"`
	DigitTimeout    string           `yaml:"digit_timeout,omitempty"`
	PromptRepeat    int              `yaml:"prompt_repeat,omitempty"`
	MaxInvalid      int              `yaml:"max_invalid,omitempty"`
	MaxErrors       int              `yaml:"max_errors,omitempty"`
	InvalidPrompt   string           `yaml:"invalid_prompt,omitempty"`
	TimeoutPrompt   string           `yaml:"timeout_prompt,omitempty"`
	OnFailure       *Dest            `yaml:"on_failure,omitempty"`
	Keys            map[string]*Dest `yaml:"keys,omitempty"`
}

// Dest is a destination: one word (repeat, top, back, hangup) or one
// target, optionally after a prompt.
type Dest struct {
	Word      string
	Extension string
	IVR       string
	Voicemail string
	URI       string
	Prompt    string
	Then      *Dest
}

// destFields is Dest's mapping form.
type destFields struct {
	Extension string `yaml:"extension,omitempty"`
	IVR       string `yaml:"ivr,omitempty"`
	Voicemail string `yaml:"voicemail,omitempty"`
	URI       string `yaml:"uri,omitempty"`
	Prompt    string `yaml:"prompt,omitempty"`
	Then      *Dest  `yaml:"then,omitempty"`
}

// MarshalYAML writes a word as a plain string, the rest as a mapping.
func (d *Dest) MarshalYAML() (any, error) {
	if d.Word != "" {
		return d.Word, nil
	}
	return destFields{Extension: d.Extension, IVR: d.IVR, Voicemail: d.Voicemail, URI: d.URI, Prompt: d.Prompt, Then: d.Then}, nil
}

// Note is a line Translate could not carry over, and why.
type Note struct {
	Line int
	Text string
	Msg  string
}

func (n Note) String() string {
	if n.Line == 0 {
		return n.Msg
	}
	return "line " + strconv.Itoa(n.Line) + ": " + n.Msg + ": " + n.Text
}
