package testenv

import (
	"os/exec"
	"testing"
)

// SkipUnderRace skips a heavy system test in a -race build, saying why it
// may (what it costs, and that make test runs it). Call it first, before
// starting any peer.
func SkipUnderRace(t testing.TB, why string) {
	t.Helper()
	if RaceEnabled {
		t.Skipf("skipped under -race (it runs in make test): %s", why)
	}
}

// NeedEspeak skips a test that speaks prompts where espeak-ng is not
// installed (make test passes on a machine with nothing installed; .ci/run
// installs it). what says what goes untested.
func NeedEspeak(t testing.TB, what string) {
	t.Helper()
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		t.Skipf("espeak-ng is not installed (apt-get install espeak-ng): %s not tested", what)
	}
}
