package bot

import (
	"testing"

	"github.com/zaf/g711"
)

// The bot's own µ-law encoder (it imports no codec library, being a
// template) decodes with G.711's decoder to within µ-law's step.
func TestUlawDecodesAsG711(t *testing.T) {
	for s := -32000; s <= 32000; s += 7 {
		got := int(g711.DecodeUlawFrame(ulaw(int16(s))))
		if d, tol := got-s, max(s, -s)/16+8; d > tol || d < -tol {
			t.Fatalf("sample %d decodes as %d", s, got)
		}
	}
}
