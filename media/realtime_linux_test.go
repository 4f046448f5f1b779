package media

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// With one Go processor the pacers stay at normal priority and say why;
// with two or more they may ask for SCHED_FIFO.
func TestRealtimeNeedsTwoProcessors(t *testing.T) {
	why := oneProcessor(1)
	assert.Contains(t, why, "GOMAXPROCS=1")
	assert.Contains(t, why, "normal:")
	assert.Empty(t, oneProcessor(2))
	assert.Empty(t, oneProcessor(8))
}
