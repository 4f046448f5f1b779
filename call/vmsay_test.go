package call

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/ivrd/ivrd/store"
)

func TestFragments(t *testing.T) {
	t.Parallel()
	s := fragments{}
	assert.Equal(t, []string{"num-0"}, s.Number(0))
	assert.Equal(t, []string{"num-17"}, s.Number(17))
	assert.Equal(t, []string{"num-40"}, s.Number(40))
	assert.Equal(t, []string{"num-40", "num-2"}, s.Number(42))
	assert.Equal(t, []string{"num-3", "num-hundred", "num-5"}, s.Number(305))
	assert.Equal(t, []string{"num-1", "num-2", "num-3", "num-4"}, s.Number(1234))
	assert.Equal(t, []string{"num-5", "num-5", "num-1"}, s.Digits("+55-1"))
	assert.Equal(t, []string{"vm-youhave", "num-1", "vm-new", "vm-message"}, countsSentence(s, 1, 0))
	assert.Equal(t, []string{"vm-youhave", "num-2", "vm-new", "vm-messages", "vm-and", "num-1", "vm-old", "vm-message"}, countsSentence(s, 2, 1))
	assert.Equal(t, []string{"vm-youhave", "vm-no", "vm-messages"}, countsSentence(s, 0, 0))
	m := store.Message{Caller: "", Time: time.Date(2026, 1, 2, 9, 5, 0, 0, time.Local), Duration: 1600 * time.Millisecond}
	assert.Equal(t, []string{"vm-msgnum", "num-1", "vm-from", "vm-unknown-caller", "vm-received", "num-9", "vm-oh", "num-5",
		"vm-length", "num-2", "vm-seconds"}, envelope(s, 1, m))
}
