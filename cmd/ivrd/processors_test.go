package main

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
)

// On two CPUs or more each media pacer gets a Go processor of its own
// (GOMAXPROCS doubled, a pacer per processor Go had); on one, ivrd keeps
// one processor and one pacer.
func TestOwnProcessors(t *testing.T) {
	procs := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(procs) })
	for _, tc := range []struct{ had, pacers, after int }{{1, 1, 1}, {2, 2, 4}, {3, 3, 6}} {
		runtime.GOMAXPROCS(tc.had)
		assert.Equal(t, tc.pacers, ownProcessors(), "pacers with GOMAXPROCS=%d", tc.had)
		assert.Equal(t, tc.after, runtime.GOMAXPROCS(0), "GOMAXPROCS after, from %d", tc.had)
	}
}
