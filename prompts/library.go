package prompts

import (
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ivrd/ivrd/spoken"
)

// Library holds loaded prompts by name: a default set and, for each
// language, the prompts recorded (or spoken) in it, each language falling
// back to the default set for what it lacks. It is immutable after
// loading and safe for concurrent use.
type Library struct {
	byName map[string]*Prompt
	byLang map[string]map[string]*Prompt
}

// Get returns the prompt called name in the default set.
func (l *Library) Get(name string) (*Prompt, bool) {
	if l == nil {
		return nil, false
	}
	p, ok := l.byName[name]
	return p, ok
}

// Lookup returns the prompt called name in language lang, else in the
// default set (Asterisk's fallback to its default sounds): what a call in
// that language plays.
func (l *Library) Lookup(lang, name string) (*Prompt, bool) {
	if l == nil {
		return nil, false
	}
	if p, ok := l.byLang[lang][name]; ok {
		return p, true
	}
	return l.Get(name)
}

// Has reports whether lang's own set holds name (no fallback).
func (l *Library) Has(lang, name string) bool {
	if l == nil {
		return false
	}
	if lang == "" {
		_, ok := l.byName[name]
		return ok
	}
	_, ok := l.byLang[lang][name]
	return ok
}

// Names lists the prompts of the default set, sorted.
func (l *Library) Names() []string { return sortedNames(l.byName, "") }

// Languages lists the languages that have prompts of their own, sorted.
func (l *Library) Languages() []string {
	out := make([]string, 0, len(l.byLang))
	for lang := range l.byLang {
		out = append(out, lang)
	}
	sort.Strings(out)
	return out
}

// AllNames is Names followed by every language's prompts written
// "lang/name" ("es/welcome"): what validation is given, so it can tell a
// prompt missing everywhere from one missing in a language.
func (l *Library) AllNames() []string {
	out := l.Names()
	for _, lang := range l.Languages() {
		out = append(out, sortedNames(l.byLang[lang], lang+"/")...)
	}
	return out
}

func sortedNames(m map[string]*Prompt, prefix string) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, prefix+n)
	}
	sort.Strings(names)
	return names
}

// DurationOf is the playing time of a prompt named as AllNames and the
// simulator name them: "welcome" in the default set, "es/welcome" in
// Spanish's own set (no fallback: the simulator falls back itself).
func (l *Library) DurationOf(qualified string) (time.Duration, bool) {
	lang, name, ok := strings.Cut(qualified, "/")
	if !ok {
		lang, name = "", qualified
	}
	if !l.Has(lang, name) {
		return 0, false
	}
	p, _ := l.Lookup(lang, name)
	return p.Duration(), true
}

// Len is the number of prompts in the default set.
func (l *Library) Len() int { return len(l.byName) }

// With returns a library holding l's prompts and p in the default set
// (tests, generated tones, uploaded prompts).
func (l *Library) With(p *Prompt) *Library { return l.WithIn("", p) }

// WithIn returns a library holding l's prompts and p in language lang's
// set ("" for the default set).
func (l *Library) WithIn(lang string, p *Prompt) *Library {
	out := l.clone()
	out.put(lang, p)
	return out
}

// clone copies the maps (the prompts are shared: they never change).
func (l *Library) clone() *Library {
	out := &Library{byName: make(map[string]*Prompt, len(l.byName)+1), byLang: map[string]map[string]*Prompt{}}
	for k, v := range l.byName {
		out.byName[k] = v
	}
	for lang, set := range l.byLang {
		m := make(map[string]*Prompt, len(set))
		for k, v := range set {
			m[k] = v
		}
		out.byLang[lang] = m
	}
	return out
}

// put adds p, to be called only on a library not yet shared.
func (l *Library) put(lang string, p *Prompt) {
	if lang == "" {
		l.byName[p.Name] = p
		return
	}
	if l.byLang == nil {
		l.byLang = map[string]map[string]*Prompt{}
	}
	if l.byLang[lang] == nil {
		l.byLang[lang] = map[string]*Prompt{}
	}
	l.byLang[lang][p.Name] = p
}

// LoadDir loads every .wav and .pcm file in dir, and each language's in
// the subfolder named by its code (prompts/es/welcome.wav is welcome in
// Spanish). Other subfolders are ignored. Every bad file is reported,
// each by name and reason.
func LoadDir(dir string) (*Library, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("prompts: %w", err)
	}
	return LoadFS(os.DirFS(dir), ".")
}

// LoadFS loads every .wav and .pcm file in dir of fsys, and its language
// subfolders.
func LoadFS(fsys fs.FS, dir string) (*Library, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("prompts: %w", err)
	}
	lib := &Library{byName: map[string]*Prompt{}}
	errs := loadSet(fsys, dir, "", entries, lib)
	for _, e := range entries {
		if !e.IsDir() || !spoken.ValidLanguage(e.Name()) {
			continue
		}
		sub := path.Join(dir, e.Name())
		subEntries, err := fs.ReadDir(fsys, sub)
		if err != nil {
			errs = append(errs, fmt.Errorf("prompts: %s: %w", e.Name(), err))
			continue
		}
		errs = append(errs, loadSet(fsys, sub, e.Name(), subEntries, lib)...)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return lib, nil
}

// loadSet loads one folder's files into lang's set.
func loadSet(fsys fs.FS, dir, lang string, entries []fs.DirEntry, lib *Library) []error {
	var errs []error
	label := func(file string) string { return path.Join(lang, file) }
	for _, e := range entries {
		ext := strings.ToLower(path.Ext(e.Name()))
		if e.IsDir() || (ext != ".wav" && ext != ".pcm") {
			continue
		}
		name := strings.TrimSuffix(e.Name(), path.Ext(e.Name()))
		if lib.Has(lang, name) {
			errs = append(errs, fmt.Errorf("prompts: %s: another file is already named %q", label(e.Name()), name))
			continue
		}
		p, err := loadFile(fsys, path.Join(dir, e.Name()), name)
		if err != nil {
			errs = append(errs, fmt.Errorf("prompts: %s: %w", label(e.Name()), err))
			continue
		}
		lib.put(lang, p)
	}
	return errs
}

func loadFile(fsys fs.FS, file, name string) (*Prompt, error) {
	f, err := fsys.Open(file)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }() // read-only: nothing is lost if closing fails
	rs, ok := f.(io.ReadSeeker)
	if !ok {
		return nil, errors.New("file is not seekable")
	}
	return Load(name, file, rs)
}

//go:embed builtin/*.wav
var builtinFS embed.FS

var builtin = sync.OnceValue(func() *Library {
	lib, err := LoadFS(builtinFS, "builtin")
	if err != nil {
		panic("prompts: bundled prompts are broken: " + err.Error()) // a build defect, caught by tests
	}
	return lib
})

// Builtin is the bundled prompt set the example IVR uses.
func Builtin() *Library { return builtin() }
