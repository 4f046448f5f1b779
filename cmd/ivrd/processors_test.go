package main

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

// On two CPUs or more each media pacer gets a Go processor of its own
// (GOMAXPROCS doubled, a pacer per processor Go had); on one CPU nothing
// changes, whatever GOMAXPROCS says (a host that pins ivrd to one CPU and
// sets GOMAXPROCS=2).
func TestProcessorsFor(t *testing.T) {
	for _, tc := range []struct{ procs, cpus, pacers, gomaxprocs int }{
		{1, 1, 1, 1}, {2, 1, 2, 2}, {1, 2, 1, 1}, {2, 2, 2, 4}, {3, 4, 3, 6},
	} {
		pacers, gomaxprocs := processorsFor(tc.procs, tc.cpus)
		assert.Equal(t, []int{tc.pacers, tc.gomaxprocs}, []int{pacers, gomaxprocs}, fmt.Sprintf("GOMAXPROCS=%d on %d CPUs", tc.procs, tc.cpus))
	}
}
