package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ivrd/ivrd/examples"
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/prompts"
	"github.com/ivrd/ivrd/store"
)

// FileSource reads the configuration file (or, for "", the bundled
// example) and loads its prompts, rendering its spoken ones with sp:
// what a node imports into its store, and what `ivrd token` and `ivrd
// config export` take as the store's base.
func FileSource(path string, sp *prompts.Speaker) (data []byte, cfg *ivr.Config, lib *prompts.Library, err error) {
	if path == "" {
		data = examples.Main
	} else if data, err = os.ReadFile(path); err != nil {
		return nil, nil, nil, fmt.Errorf("config: %w", err)
	}
	if cfg, err = ivr.Parse(data); err != nil {
		if path != "" {
			err = fmt.Errorf("%s: %w", path, err)
		}
		return nil, nil, nil, err
	}
	if path != "" {
		cfg.Dir = filepath.Dir(path)
	}
	lib = prompts.Builtin()
	if dir := cfg.PromptsPath(); dir != "" {
		if lib, err = prompts.LoadDir(dir); err != nil {
			return nil, nil, nil, err
		}
	}
	// Spoken prompts are rendered here, at load and reload time: a
	// prompt that cannot be spoken refuses the file, naming it.
	lib, probs := AddSpoken(sp, cfg, lib)
	if len(probs) > 0 {
		return nil, nil, nil, problemsError(probs)
	}
	return data, cfg, lib, nil
}

// OpenStore opens server.store, resolving a relative SQLite path against
// the config file's folder (the working directory without a file).
func OpenStore(ctx context.Context, path string, cfg *ivr.Config, log *slog.Logger, hook func(string, time.Duration)) (*store.Store, error) {
	dir := ""
	if path != "" {
		dir = filepath.Dir(path)
	}
	return store.Open(ctx, cfg.Server.Store, store.Options{Dir: dir, Log: log, QueryHook: hook})
}

// DataDir is where a node keeps its own files (the first-start API
// token, the spoken-prompt cache): "data" beside the config file, or in
// the working directory.
func DataDir(path string) string {
	if path == "" {
		return "data"
	}
	return filepath.Join(filepath.Dir(path), "data")
}

// AddSpoken renders the configuration's spoken prompts into lib (at load
// time, never in a call): each one espeak-ng cannot speak is a problem
// at its place in the prompts list, an error.
func AddSpoken(sp *prompts.Speaker, cfg *ivr.Config, lib *prompts.Library) (*prompts.Library, []ivr.Problem) {
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

// resolve is a path from the configuration, relative to its file.
func resolve(cfgPath, p string) string {
	if p == "" || filepath.IsAbs(p) || cfgPath == "" {
		return p
	}
	return filepath.Join(filepath.Dir(cfgPath), p)
}
