package prompts

import "github.com/ivrd/ivrd/audio"

// Tone builds a prompt of two summed sines at level dBm0 each, on for onMs
// then silent for offMs: call-progress tones, generated rather than stored.
func Tone(name string, f1, f2, dBm0 float64, onMs, offMs int) *Prompt {
	return New(name, audio.Tone(f1, f2, dBm0, onMs, offMs))
}

// Ringback is the North American ringback tone (ITU-T E.180, as Asterisk's
// default "us" tone zone plays it): 440+480 Hz, 2 s on, 4 s off, -19 dBm0.
func Ringback() *Prompt { return Tone("ringback", 440, 480, -19, 2000, 4000) }
