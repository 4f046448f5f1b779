package siptest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/zaf/g711"
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

// TestHasTone: a 1 kHz frame is a 1 kHz tone and not a 440 Hz one, in
// either law; silence is no tone.
func TestHasTone(t *testing.T) {
	t.Parallel()
	ulaw, alaw := make([]byte, 160), make([]byte, 160)
	for i := range ulaw {
		v := int16(8000 * SinTable(i%8))
		ulaw[i], alaw[i] = g711.EncodeUlawFrame(v), g711.EncodeAlawFrame(v)
	}
	assert.True(t, HasTone(ulaw, false, FarEndToneHz))
	assert.True(t, HasTone(alaw, true, FarEndToneHz))
	assert.False(t, HasTone(ulaw, false, 440))
	silence := make([]byte, 160)
	for i := range silence {
		silence[i] = 0xFF
	}
	assert.False(t, HasTone(silence, false, FarEndToneHz))
}
