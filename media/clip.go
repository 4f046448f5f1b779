package media

import "github.com/ivrd/ivrd/audio"

// frameSamples is one 20 ms frame at 8 kHz: what a session sends per tick.
const frameSamples = audio.SampleRate / 50

// Clip is audio a session plays (Session.Play): its 8 kHz frames already
// encoded for a codec, a whole number of frames long. Which sound it is
// (a prompt, ringback, an announcement) is the caller's choice: media
// only sends it. prompts.Prompt is one.
type Clip interface {
	Payload(codec audio.Codec) []byte
}
