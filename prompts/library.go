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

	"github.com/ivrd/ivrd/audio"
)

// Library holds loaded prompts by name. It is immutable after loading and
// safe for concurrent use.
type Library struct {
	byName map[string]*Prompt
}

// Get returns the prompt called name.
func (l *Library) Get(name string) (*Prompt, bool) {
	if l == nil {
		return nil, false
	}
	p, ok := l.byName[name]
	return p, ok
}

// Names lists the prompts, sorted.
func (l *Library) Names() []string {
	names := make([]string, 0, len(l.byName))
	for n := range l.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Len is the number of prompts.
func (l *Library) Len() int { return len(l.byName) }

// With returns a library holding l's prompts and p (tests, generated tones).
func (l *Library) With(p *Prompt) *Library {
	out := &Library{byName: make(map[string]*Prompt, len(l.byName)+1)}
	for k, v := range l.byName {
		out.byName[k] = v
	}
	out.byName[p.Name] = p
	return out
}

// LoadDir loads every .wav and .pcm file in dir. Every bad file is reported,
// each by name and reason.
func LoadDir(dir string) (*Library, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("prompts: %w", err)
	}
	return LoadFS(os.DirFS(dir), ".")
}

// LoadFS loads every .wav and .pcm file in dir of fsys.
func LoadFS(fsys fs.FS, dir string) (*Library, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("prompts: %w", err)
	}
	lib := &Library{byName: map[string]*Prompt{}}
	var errs []error
	for _, e := range entries {
		ext := strings.ToLower(path.Ext(e.Name()))
		if e.IsDir() || (ext != ".wav" && ext != ".pcm") {
			continue
		}
		name := strings.TrimSuffix(e.Name(), path.Ext(e.Name()))
		if _, dup := lib.byName[name]; dup {
			errs = append(errs, fmt.Errorf("prompts: %s: another file is already named %q", e.Name(), name))
			continue
		}
		pcm, err := decodeFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			errs = append(errs, fmt.Errorf("prompts: %s: %w", e.Name(), err))
			continue
		}
		lib.byName[name] = New(name, pcm)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return lib, nil
}

func decodeFile(fsys fs.FS, name string) ([]int16, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }() // read-only: nothing is lost if closing fails
	rs, ok := f.(io.ReadSeeker)
	if !ok {
		return nil, errors.New("file is not seekable")
	}
	return audio.Decode(name, rs)
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
