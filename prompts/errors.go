package prompts

import (
	"errors"
	"fmt"
)

// Errors a caller can act on (test with errors.Is).
var (
	// ErrNoSpeaker: espeak-ng is not installed (not in PATH), so a prompt
	// written as text cannot be spoken. Install Debian's espeak-ng package
	// or record the prompt.
	ErrNoSpeaker = errors.New("espeak-ng is not installed (apt-get install espeak-ng), so text cannot be spoken")
	// ErrSpeech: espeak-ng ran but gave no usable audio (an unknown
	// voice, a crash, a timeout, empty text).
	ErrSpeech = errors.New("speech synthesis failed")
	// ErrMissingFragment: SayNumber or SayDigits needs a fragment
	// (number-7, number-hundred, ...) the library does not have.
	ErrMissingFragment = errors.New("number fragment missing")
)

// SpeechError is one spoken prompt that could not be rendered, named as
// the configuration names it.
type SpeechError struct {
	Name     string // the prompt
	Language string // "" for the default set
	Err      error  // wraps ErrNoSpeaker or ErrSpeech
}

func (e *SpeechError) Error() string {
	return fmt.Sprintf("prompt %q: %v", e.Label(), e.Err)
}

func (e *SpeechError) Unwrap() error { return e.Err }

// Label is the prompt's name, with its language when it has one
// ("welcome", "es/welcome").
func (e *SpeechError) Label() string {
	if e.Language == "" {
		return e.Name
	}
	return e.Language + "/" + e.Name
}
