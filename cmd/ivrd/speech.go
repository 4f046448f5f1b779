package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/prompts"
)

// speakers are serve's espeak-ng renderers, one per data folder, kept for
// the process's life so that a reload speaks only text it has not
// spoken yet.
var speakers sync.Map // cache dir -> *prompts.Speaker

// speakerFor is the renderer for a configuration file: its cache is
// data/speech beside the file. check (validate, simulate) caches in
// memory only: a check writes nothing next to the file it checks.
func speakerFor(path string, check bool) *prompts.Speaker {
	dir := ""
	if !check {
		dir = filepath.Join(dataDir(path), "speech")
	}
	sp, _ := speakers.LoadOrStore(dir, &prompts.Speaker{CacheDir: dir})
	return sp.(*prompts.Speaker)
}

// addSpoken renders the configuration's spoken prompts into lib (at load
// time, never in a call): each one espeak-ng cannot speak is a problem
// at its place in the prompts list, an error.
func addSpoken(sp *prompts.Speaker, cfg *ivr.Config, lib *prompts.Library) (*prompts.Library, []ivr.Problem) {
	if len(cfg.Prompts) == 0 {
		return lib, nil
	}
	out, errs := sp.AddSpoken(lib, cfg.Spoken())
	var probs []ivr.Problem
	for _, err := range errs {
		var se *prompts.SpeechError
		if errors.As(err, &se) {
			probs = append(probs, ivr.Problem{Path: ivr.SpokenPath(se.Label()), Msg: fmt.Sprintf("cannot speak this prompt: %v", se.Err)})
		} else {
			probs = append(probs, ivr.Problem{Path: "prompts", Msg: err.Error()})
		}
	}
	return out, probs
}

// problemsError is problems as one error, one a line.
func problemsError(probs []ivr.Problem) error {
	lines := make([]string, len(probs))
	for i, p := range probs {
		lines[i] = p.String()
	}
	return errors.New(strings.Join(lines, "\n  "))
}

// numberFragments adds the spoken number fragments (number-0 ...) that
// prompts' SayNumber and SayDigits play, for the default set and every
// language calls can switch to, where none is recorded. It runs with
// every new snapshot (a language added through the API gets its
// fragments then; renders are cached, so this is quick after the first
// time). Nothing in the configuration names them, so without espeak-ng
// this is one log line, not an error. Called with c.mu held.
func (c *control) numberFragments(cfg *ivr.Config, lib *prompts.Library) *prompts.Library {
	langs := append([]string{""}, cfg.Languages()...)
	out, err := speakerFor(c.path, false).AddNumberFragments(lib, langs)
	if err != nil && !c.fragmentsWarned {
		c.fragmentsWarned = true
		c.log.Warn("number fragments (number-0 ...) not spoken: numbers are said only from recorded ones", "err", err)
	}
	return out
}
