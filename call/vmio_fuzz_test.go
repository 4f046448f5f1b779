package call

import (
	"strings"
	"testing"
)

// Whatever keys a caller sends while typing a PIN, the entry is digits
// only, never longer than its limit, and ends at # or the limit.
func FuzzKeyEntry(f *testing.F) {
	f.Add([]byte("4321#"), 12)
	f.Add([]byte("12*34#"), 4)
	f.Add([]byte("ABCD\x00\xff99999999999999999"), 12)
	f.Fuzz(func(t *testing.T, keys []byte, maxLen int) {
		if maxLen < 1 || maxLen > 64 {
			maxLen = 12
		}
		e := keyEntry{max: maxLen}
		for i, k := range keys {
			done := e.add(k)
			s := e.String()
			if len(s) > maxLen || strings.Trim(s, "0123456789") != "" {
				t.Fatalf("entry %q after %q", s, keys[:i+1])
			}
			if done != (k == '#' || len(s) == maxLen) {
				t.Fatalf("done=%v after %q (entry %q)", done, keys[:i+1], s)
			}
			if done {
				return
			}
		}
	})
}

func TestKeyEntry(t *testing.T) {
	t.Parallel()
	e := keyEntry{max: 4}
	for _, k := range []byte("12*9") {
		if e.add(k) {
			t.Fatal("done early")
		}
	}
	if e.String() != "9" {
		t.Fatalf("* clears: got %q", e.String())
	}
}
