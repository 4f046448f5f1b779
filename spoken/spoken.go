package spoken

import "regexp"

// Prompt is a prompt written as text: rendered once by espeak-ng into the
// same 8 kHz frames as a recorded file, when the configuration is loaded
// (never while a call waits).
type Prompt struct {
	Name     string
	Language string // "" for the default set; else the language set it belongs to
	Text     string
	Voice    string // espeak-ng voice; "" = Language's, or DefaultVoice
}

// DefaultVoice speaks prompts that name neither a voice nor a language:
// the voice the bundled prompts were made with.
const DefaultVoice = "en-us"

// MaxText is the longest text one prompt may hold, in characters:
// minutes of speech, more than any prompt.
const MaxText = 4000

// VoiceFor is the voice a spoken prompt is rendered with.
func (p Prompt) VoiceFor() string {
	switch {
	case p.Voice != "":
		return p.Voice
	case p.Language != "":
		return p.Language
	}
	return DefaultVoice
}

// voiceName is what an espeak-ng voice may be called ("en-us", "es",
// "en+f3", "mb/mb-en1"): never a flag, never a path out of its folder.
var voiceName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_+-]*(/[A-Za-z0-9][A-Za-z0-9_+-]*)?$`)

// ValidVoice says whether v can name an espeak-ng voice.
func ValidVoice(v string) bool { return len(v) <= 40 && voiceName.MatchString(v) }

// languageCode is what a language set may be called: an ISO 639 code with
// optional region or variant ("es", "pt-br", "en_GB", "yue").
var languageCode = regexp.MustCompile(`^[a-z]{2,3}([-_][A-Za-z0-9]{2,8})*$`)

// ValidLanguage says whether s can name a language (and its folder).
func ValidLanguage(s string) bool { return len(s) <= 20 && languageCode.MatchString(s) }
