package ivr

import (
	"sort"

	"github.com/ivrd/ivrd/spoken"
)

// Languages, as Asterisk's CHANNEL(language) and FusionPBX's per-menu
// language: a call has one language at a time, kept by its executor. It
// starts as the default set's; entering a menu with `language` switches
// it (a Spanish menu is heard in Spanish however the caller got there),
// and a set_language destination switches it for the rest of the call,
// until another switch. Each prompt then plays from
// prompts_dir/<language>/ (or a spoken prompt with that language), and
// from the default set when the language has no version of it, as
// Asterisk falls back to its default sounds.

// Language is the call's language: the prompt set its prompts play from
// ("" the default set). The call package asks it for what it says
// itself (voicemail, prompts' SayNumber).
func (e *Executor) Language() string { return e.lang }

// setLanguage switches the call's language, then goes on to d.Then
// (default: this menu again, now heard in that language).
func (e *Executor) setLanguage(d *Destination) []Action {
	e.lang = e.cfg.callLanguage(d.Target)
	then := d.Then
	if then == nil {
		then = &Destination{Kind: KindMenu}
	}
	id := ""
	if e.cur != nil {
		id = e.cur.ID
	}
	return append([]Action{Note{Event: StepLanguage, IVR: id, Detail: d.Target}}, e.run(then)...)
}

// callLanguage is the language set a call in lang plays from: "" (the
// default set) for the configuration's own language.
func (c *Config) callLanguage(lang string) string {
	if lang == c.Language {
		return ""
	}
	return lang
}

// Languages lists the languages calls can switch to (menus' language and
// set_language destinations), other than the default set's own, sorted:
// the ones whose prompts validate checks and number fragments are
// spoken for.
func (c *Config) Languages() []string {
	seen := map[string]bool{}
	add := func(l string) {
		if l = c.callLanguage(l); l != "" {
			seen[l] = true
		}
	}
	var walk func(d *Destination)
	walk = func(d *Destination) {
		for ; d != nil; d = d.Then {
			if d.Kind == KindSetLanguage {
				add(d.Target)
			}
			walk(d.Overflow)
		}
	}
	for _, m := range c.IVRs {
		if m == nil {
			continue
		}
		add(m.Language)
		walk(m.OnFailure)
		for _, d := range m.Keys {
			walk(d)
		}
	}
	for _, s := range c.Schedules {
		walk(s.Closed.Then)
	}
	out := make([]string, 0, len(seen))
	for l := range seen {
		out = append(out, l)
	}
	sort.Strings(out)
	return out
}

// language checks a language code written at path.
func (v *validator) language(path, lang string) {
	if lang != "" && !spoken.ValidLanguage(lang) {
		v.errf(path, "%q: want a language code like es, fr, pt-br (also the name of its folder in prompts_dir)", lang)
	}
}

// promptUsed remembers where a prompt is first named, for the
// per-language check.
func (v *validator) promptUsed(path, name string) {
	if name == "" {
		return
	}
	if v.used == nil {
		v.used = map[string]string{}
	}
	if _, ok := v.used[name]; !ok {
		v.used[name] = path
		v.usedOrder = append(v.usedOrder, name)
	}
}

// languagePrompts warns, for each language calls can switch to, about
// every prompt the configuration plays that has no version in it. A
// warning, not an error: the call still works, playing the default set's
// prompt as Asterisk plays its default sounds when a language lacks
// one, and prompt sets are translated a few files at a time; a prompt
// missing everywhere is an error (unknown prompt) as before.
func (v *validator) languagePrompts() {
	if v.prompts == nil {
		return
	}
	for _, lang := range v.c.Languages() {
		if !spoken.ValidLanguage(lang) {
			continue // reported where it is written
		}
		for _, name := range v.usedOrder {
			if v.prompts[name] && !v.prompts[lang+"/"+name] {
				v.warnf(v.used[name], "prompt %q has no %s version (no %s/%s.wav in prompts_dir, no prompts entry with language: %s): callers in %s hear the default one",
					name, lang, lang, name, lang, lang)
			}
		}
	}
}
