package sip

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

// An overloaded media engine answers as a draining node does: 503 with
// Retry-After, so that a proxy's dispatcher sends the call elsewhere.
func TestOverloadIsServiceUnavailable(t *testing.T) {
	code, reason, hdrs := rejection(fmt.Errorf("screen: %w", ErrOverloaded))
	assert.Equal(t, 503, code)
	assert.Equal(t, "Service Unavailable", reason)
	var retry string
	for _, h := range hdrs {
		if h.Name() == "Retry-After" {
			retry = h.Value()
		}
	}
	assert.Equal(t, "5", retry)
	assert.False(t, errors.Is(ErrDraining, ErrOverloaded))
}
