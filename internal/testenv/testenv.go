package testenv

import "testing"

// SkipUnderRace skips a heavy system test in a -race build, saying why it
// may (what it costs, and that make test runs it). Call it first, before
// starting any peer.
func SkipUnderRace(t testing.TB, why string) {
	t.Helper()
	if RaceEnabled {
		t.Skipf("skipped under -race (it runs in make test): %s", why)
	}
}
