package siptest

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestEventPayload: the bytes RFC 4733 section 2.3 lays out: event code,
// E bit and volume, duration in network order.
func TestEventPayload(t *testing.T) {
	t.Parallel()
	assert.Equal(t, []byte{1, 10, 0x01, 0x90}, EventPayload('1', false, 10, 400))
	assert.Equal(t, []byte{11, 0x80 | 10, 0x06, 0x40}, EventPayload('#', true, 10, 1600))
	assert.Equal(t, []byte{10, 0, 0, 0}, EventPayload('*', false, 0, 0))
	assert.Equal(t, byte(15), EventPayload('D', false, 0, 0)[0])
	assert.Panics(t, func() { EventPayload('x', false, 0, 0) })
}
