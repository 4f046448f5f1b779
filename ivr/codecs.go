package ivr

import (
	"fmt"

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/audio/opus"
)

// codecNames is what a codecs list may name, for error messages.
const codecNames = "PCMU, PCMA, G722, opus"

// checkCodec reports what is wrong with a codec name in a codecs list at
// path: an unknown name, or opus in a binary built without libopus (which
// would otherwise be offered and then fail every call that took it).
func (v *validator) checkCodec(path, name string) {
	c, err := audio.ParseCodec(name)
	switch {
	case err != nil:
		v.errf(path, "unsupported codec %q (%s)", name, codecNames)
	case c == audio.Opus && !opus.Available:
		v.errf(path, "codec %q: %s", name, opus.ErrNotBuilt)
	}
}

// codecLabel names one list entry: "server.media.codecs[1]".
func codecLabel(list string, i int) string { return fmt.Sprintf("%s[%d]", list, i) }
