package media

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Pacers ask for real-time priority when told to, and say what they got:
// SCHED_FIFO where the process may (root, LimitRTPRIO, CAP_SYS_NICE), else
// normal priority with what to grant.
func TestPacerSchedulingIsReported(t *testing.T) {
	e, err := NewEngine(EngineConfig{BindIP: netip.MustParseAddr("127.0.0.1"), PortMin: 41000, PortMax: 41019, Pacers: 1, RealtimePriority: 5})
	require.NoError(t, err)
	defer e.Close()
	sched, rt := e.Scheduling()
	if rt {
		assert.Equal(t, "SCHED_FIFO 5", sched)
	} else {
		assert.True(t, strings.HasPrefix(sched, "normal: SCHED_FIFO 5"), sched)
		assert.Contains(t, sched, "LimitRTPRIO", "says what to grant")
	}

	off, err := NewEngine(EngineConfig{BindIP: netip.MustParseAddr("127.0.0.1"), PortMin: 41020, PortMax: 41039, Pacers: 1})
	require.NoError(t, err)
	defer off.Close()
	sched, rt = off.Scheduling()
	assert.False(t, rt)
	assert.Empty(t, sched, "not asked for, nothing to say")
}
