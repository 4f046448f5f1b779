package node

import (
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/prompts"
)

// numberFragments adds the spoken number fragments (number-0 ...) that
// prompts' SayNumber and SayDigits play, for the default set and every
// language calls can switch to, where none is recorded. It runs with
// every new snapshot (a language added through the API gets its
// fragments then; renders are cached, so this is quick after the first
// time). Nothing in the configuration names them, so without espeak-ng
// this is one log line, not an error. Called with c.mu held.
func (c *control) numberFragments(cfg *ivr.Config, lib *prompts.Library) *prompts.Library {
	langs := append([]string{""}, cfg.Languages()...)
	out, err := c.speaker.AddNumberFragments(lib, langs)
	if err != nil && !c.fragmentsWarned {
		c.fragmentsWarned = true
		c.log.Warn("number fragments (number-0 ...) not spoken: numbers are said only from recorded ones", "err", err)
	}
	return out
}
