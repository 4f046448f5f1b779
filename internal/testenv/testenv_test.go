package testenv

import "testing"

// TestSkipUnderRaceSkipsOnlyUnderRace: in a -race build the test is
// skipped, in a normal build it carries on.
func TestSkipUnderRaceSkipsOnlyUnderRace(t *testing.T) {
	t.Parallel()
	reached := false
	t.Run("system", func(t *testing.T) {
		SkipUnderRace(t, "a heavy peer")
		reached = true
	})
	if reached == RaceEnabled {
		t.Errorf("RaceEnabled=%v but the subtest ran to its end: %v", RaceEnabled, reached)
	}
}
