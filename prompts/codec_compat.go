package prompts

import "github.com/ivrd/ivrd/audio"

// Codec identity moved to package audio. These aliases keep sip and
// cmd/ivrd/serve.go compiling while they are rewritten; removed once sip
// and cmd/ivrd use audio directly.

// Codec is audio.Codec.
type Codec = audio.Codec

// The codecs, as audio names them.
const (
	PCMU = audio.PCMU
	PCMA = audio.PCMA
)
