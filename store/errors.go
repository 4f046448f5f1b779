package store

import (
	"errors"
	"strings"

	"github.com/ivrd/ivrd/ivr"
)

// Errors callers tell apart with errors.Is. The API maps them to status
// codes (404, 412, 409, 422); the CLI prints them.
var (
	// ErrNotFound: no resource, prompt or token with that id.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the resource changed since the version the writer read
	// (If-Match), or a create found the id taken.
	ErrConflict = errors.New("version conflict")
	// ErrExists: a create named an id that is already there.
	ErrExists = errors.New("already exists")
	// ErrInvalid: the change would leave a configuration that does not
	// validate; the error is a *ValidationError with every problem.
	ErrInvalid = errors.New("configuration invalid")
	// ErrBadInput: a body or parameter the store cannot read at all.
	ErrBadInput = errors.New("bad input")
)

// ValidationError carries every problem ivr.Validate found with the whole
// configuration a change would have produced. Nothing was written.
type ValidationError struct {
	Problems []ivr.Problem
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("configuration has errors:")
	for _, p := range e.Problems {
		if !p.Warning {
			b.WriteString("\n  ")
			b.WriteString(p.String())
		}
	}
	return b.String()
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }
