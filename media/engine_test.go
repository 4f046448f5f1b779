package media

import (
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestPacersReportTheirLateness: every pacer tells OnLate how late each
// tick woke (the metrics' pacer lateness), a figure that is never
// negative; the engine reports from its own clock, without sessions.
func TestPacersReportTheirLateness(t *testing.T) {
	var mu sync.Mutex
	var got []time.Duration
	e, err := NewEngine(EngineConfig{BindIP: netip.MustParseAddr("127.0.0.1"), PortMin: 20000, PortMax: 20009, Pacers: 2, RTCPInterval: -1,
		OnLate: func(d time.Duration) {
			mu.Lock()
			got = append(got, d)
			mu.Unlock()
		}})
	require.NoError(t, err)
	defer e.Close()
	eventually(t, "ticks reported", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) >= 20
	})
	mu.Lock()
	defer mu.Unlock()
	for _, d := range got {
		require.GreaterOrEqual(t, d, time.Duration(0))
	}
}
