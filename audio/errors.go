package audio

import (
	"errors"
	"fmt"
)

// Errors a caller can act on. Decode's errors wrap ErrMalformed or
// ErrUnsupported (test with errors.Is); their text says what exactly is
// wrong with the file.
var (
	// ErrUnknownCodec: a codec name ParseCodec does not know.
	ErrUnknownCodec = errors.New("unknown codec")
	// ErrMalformed: the file is damaged or not the format its name says
	// (not RIFF/WAVE, truncated, chunk sizes that do not fit, empty).
	ErrMalformed = errors.New("malformed audio file")
	// ErrUnsupported: a well-formed file in a format ivrd does not play
	// (IEEE float, 24-bit, ADPCM, an odd sample rate, too large); convert
	// it to 16-bit PCM, µ-law or A-law.
	ErrUnsupported = errors.New("unsupported audio format")
)

type codecError struct{ name string }

func (e *codecError) Error() string {
	return fmt.Sprintf("unknown codec %q (PCMU, PCMA, G722, opus)", e.name)
}

func (e *codecError) Unwrap() error { return ErrUnknownCodec }

// fileError keeps the precise message for people and the kind for code.
type fileError struct {
	kind error
	msg  string
}

func (e *fileError) Error() string { return e.msg }
func (e *fileError) Unwrap() error { return e.kind }

func malformed(format string, args ...any) error {
	return &fileError{kind: ErrMalformed, msg: fmt.Sprintf(format, args...)}
}

func unsupported(format string, args ...any) error {
	return &fileError{kind: ErrUnsupported, msg: fmt.Sprintf(format, args...)}
}
