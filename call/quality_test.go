package call

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestMOS(t *testing.T) {
	t.Parallel()
	perfect := MOS(0, 0, 0)
	assert.InDelta(t, 4.41, perfect, 0.02, "G.711 with no impairment")
	assert.Less(t, MOS(0.05, 0, 0), perfect, "loss lowers it")
	assert.Less(t, MOS(0, 40*time.Millisecond, 0), perfect, "jitter lowers it")
	assert.Less(t, MOS(0, 0, 600*time.Millisecond), MOS(0, 0, 100*time.Millisecond), "delay past 177 ms costs more")
	assert.Equal(t, 1.0, MOS(1, time.Second, 10*time.Second))
	assert.InDelta(t, 0, lossRatio(-3, 10), 0, "duplicates are not loss")
}
