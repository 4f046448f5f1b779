//go:build !opus

package opus

import (
	"errors"
	"strings"
	"testing"
)

// A binary built without the tag says so, and how to get Opus.
func TestWithoutTagOpusIsRefusedClearly(t *testing.T) {
	if Available {
		t.Fatal("Available without the opus tag")
	}
	if _, err := NewEncoder(); !errors.Is(err, ErrNotBuilt) {
		t.Errorf("NewEncoder: %v, want ErrNotBuilt", err)
	}
	if _, err := NewDecoder(); !errors.Is(err, ErrNotBuilt) {
		t.Errorf("NewDecoder: %v, want ErrNotBuilt", err)
	}
	if !strings.Contains(ErrNotBuilt.Error(), "built without Opus") || !strings.Contains(ErrNotBuilt.Error(), "-tags opus") {
		t.Errorf("ErrNotBuilt does not say what to do: %q", ErrNotBuilt)
	}
}
