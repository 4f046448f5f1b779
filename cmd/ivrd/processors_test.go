package main

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Each media pacer gets a Go processor of its own, on one CPU as on
// many: a pacer per processor Go had, GOMAXPROCS doubled.
func TestProcessorsFor(t *testing.T) {
	for _, tc := range []struct{ procs, pacers, gomaxprocs int }{
		{1, 1, 2}, {2, 2, 4}, {3, 3, 6},
	} {
		pacers, gomaxprocs := processorsFor(tc.procs)
		assert.Equal(t, []int{tc.pacers, tc.gomaxprocs}, []int{pacers, gomaxprocs}, fmt.Sprintf("GOMAXPROCS=%d", tc.procs))
	}
}
