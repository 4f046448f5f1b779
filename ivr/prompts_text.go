package ivr

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/ivrd/ivrd/spoken"
)

// SpokenPrompt (ivrd addition) is a prompt written as text in the
// configuration's prompts list, spoken by espeak-ng when the
// configuration is loaded. Menus name it like any recorded prompt, so
// everything that names a prompt stays a plain name.
type SpokenPrompt struct {
	Name string `yaml:"name"`
	Say  string `yaml:"say"`
	// Voice is an espeak-ng voice ("en-us", "es", "en+f3"); default the
	// language's voice, or en-us.
	Voice string `yaml:"voice"`
	// Language makes this the prompt's version in that language (as a
	// file in prompts_dir/<language>/ would be); default: the default set.
	Language string `yaml:"language"`
}

// Label is "name", or "language/name" for a language's version.
func (p SpokenPrompt) Label() string {
	if p.Language == "" {
		return p.Name
	}
	return p.Language + "/" + p.Name
}

// Spoken is the configuration's spoken prompts as plain values, for
// whoever renders them (the prompts package's Speaker). Entries validate rejects (no name or text, a voice or
// language that is not a name) are left out: they are reported once, at
// their field, and never reach espeak-ng.
func (c *Config) Spoken() []spoken.Prompt {
	out := make([]spoken.Prompt, 0, len(c.Prompts))
	for _, p := range c.Prompts {
		if !promptNamePattern.MatchString(p.Name) || strings.TrimSpace(p.Say) == "" ||
			p.Voice != "" && !spoken.ValidVoice(p.Voice) || p.Language != "" && !spoken.ValidLanguage(p.Language) {
			continue
		}
		out = append(out, spoken.Prompt{Name: p.Name, Language: c.callLanguage(p.Language), Text: p.Say, Voice: p.Voice})
	}
	return out
}

// promptNamePattern is what a prompt may be called: it is also a file
// name (the store and the API use the same rule).
var promptNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// SpokenPath is where validate reports a spoken prompt's problems.
func SpokenPath(label string) string { return "prompts[" + label + "]" }

// spokenPrompts checks the prompts list and adds its names to the known
// prompts (a prompt that espeak-ng cannot speak is reported by whoever
// renders it, once, not also as unknown everywhere it is used).
func (v *validator) spokenPrompts() {
	seen := map[string]bool{}
	for i, p := range v.c.Prompts {
		label := p.Label()
		if p.Name == "" {
			label = fmt.Sprint(i)
		}
		path := SpokenPath(label)
		switch {
		case p.Name == "":
			v.errf(path+".name", "name is required")
		case !promptNamePattern.MatchString(p.Name):
			v.errf(path+".name", "%q: want letters, digits, '.', '_' or '-' (at most 64), starting with a letter or digit", p.Name)
		case seen[label]:
			v.errf(path, "prompt %q is declared twice", label)
		}
		seen[label] = true
		switch text := strings.TrimSpace(p.Say); {
		case text == "":
			v.errf(path+".say", "say is required: the text espeak-ng speaks")
		case utf8.RuneCountInString(text) > spoken.MaxText:
			v.errf(path+".say", "%d characters is more than %d", utf8.RuneCountInString(text), spoken.MaxText)
		}
		if p.Voice != "" && !spoken.ValidVoice(p.Voice) {
			v.errf(path+".voice", "%q is not an espeak-ng voice name (e.g. en-us, es, fr, en+f3; `espeak-ng --voices` lists them)", p.Voice)
		}
		if p.Language != "" && !spoken.ValidLanguage(p.Language) {
			v.errf(path+".language", "%q: want a language code like es, fr, pt-br", p.Language)
		}
		if v.prompts != nil && p.Name != "" {
			known := p.Name
			if l := v.c.callLanguage(p.Language); l != "" {
				known = l + "/" + p.Name
			}
			v.prompts[known] = true
		}
	}
}
