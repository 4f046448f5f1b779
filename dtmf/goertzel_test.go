package dtmf

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// The filters the detector runs give exactly what the Go reference gives,
// over every length a frame can leave (odd and even, empty) and over
// full-scale input carried across calls.
func TestGoertzel8MatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tab := range []*rateTables{narrowband, wideband} {
		var s1, s2, r1, r2 [8]float64
		for n := range maxHalf + 1 {
			buf := make([]float64, n)
			for i := range buf {
				buf[i] = float64(int16(rng.Uint32()))
			}
			goertzel8(buf, &tab.coeffs, &s1, &s2)
			goertzel8Go(buf, &tab.coeffs, &r1, &r2)
			require.Equal(t, r1, s1, "s[n-1] after %d samples", n)
			require.Equal(t, r2, s2, "s[n-2] after %d samples", n)
		}
	}
}

// BenchmarkGoertzel8 times one wideband half through the filters the
// detector runs and through the Go reference.
func BenchmarkGoertzel8(b *testing.B) {
	buf := make([]float64, maxHalf)
	for i := range buf {
		buf[i] = float64(int16(i * 7919))
	}
	for _, bc := range []struct {
		name string
		run  func(buf []float64, c, s1, s2 *[8]float64)
	}{{"run", goertzel8}, {"reference", goertzel8Go}} {
		b.Run(bc.name, func(b *testing.B) {
			var s1, s2 [8]float64
			for b.Loop() {
				bc.run(buf, &wideband.coeffs, &s1, &s2)
			}
		})
	}
}
