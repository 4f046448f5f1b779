package testenv

import "testing"

// AllocsPerRun is testing.AllocsPerRun measured up to three times, the
// fewest kept (it stops at a measurement of none). testing.AllocsPerRun counts every allocation of the process, so
// a goroutine an earlier test left finishing (a DTLS library's timers, a
// late log line) adds its own on a loaded machine: that shows in one
// measurement, while an allocation the code under test makes on every
// call shows in all three. f runs up to 3 × (runs + 1) times.
func AllocsPerRun(runs int, f func()) float64 {
	least := testing.AllocsPerRun(runs, f)
	for i := 0; i < 2 && least > 0; i++ {
		least = min(least, testing.AllocsPerRun(runs, f))
	}
	return least
}
