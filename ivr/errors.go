package ivr

import (
	"errors"
	"strings"
	"time"
)

// ErrEmptyConfig is a file with no configuration in it: empty, only
// comments, or truncated before the first setting. serve (and a SIGHUP
// reload) must refuse it rather than listen with no menus and answer
// every call 404.
var ErrEmptyConfig = errors.New("the configuration is empty")

// ConfigError is a configuration that could not be read as written: every
// unknown field, wrong type and YAML trap found, each with its path and
// line. Parse and Load return it; LoadAll returns the same problems next
// to what could be read, so validate can report the rest as well.
type ConfigError struct {
	Problems []Problem
}

func (e *ConfigError) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.String()
		if p.Path == "config" {
			msgs[i] = p.Msg // the whole file: "config: config: ..." says nothing more
		}
	}
	return "config: " + strings.Join(msgs, "\n  ")
}

// Is lets errors.Is(err, ErrEmptyConfig) find an empty file.
func (e *ConfigError) Is(target error) bool {
	return target == ErrEmptyConfig && len(e.Problems) == 1 && strings.HasPrefix(e.Problems[0].Msg, ErrEmptyConfig.Error())
}

// Reasons the executor gives in Hangup when it ends a call itself, besides
// "hangup" (a hangup destination), "failure" (on_failure ran out) and
// "closed" (a schedule's closed handling).
const (
	// ReasonLoopLimit: MaxHopsWithoutKey menus were entered in a row with
	// no key pressed: a loop in the configuration (validate reports it).
	ReasonLoopLimit = "loop limit"
	// ReasonMenuTimeLimit: the call spent MaxMenuTime in the menus.
	ReasonMenuTimeLimit = "menu time limit"
)

// Run-time bounds on a call's menus. validate rejects the loops they
// guard against; these hold anyway, so no configuration (an old one, a
// reload, a case validate misses) can keep a call, or the server's
// stack, going forever.
const (
	// MaxHopsWithoutKey is how many menus (or schedule closed
	// handlings) a call may enter in a row without the caller pressing a
	// key. A real menu tree needs a few (closed -> night menu -> its
	// on_failure -> voicemail); ten is a loop.
	MaxHopsWithoutKey = 10
	// MaxMenuTime is the longest a call may stay in the menus (hand-offs
	// in progress included, a bridged call after it is answered not).
	MaxMenuTime = 30 * time.Minute
)
