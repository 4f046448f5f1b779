//go:build amd64 && !purego

package dtmf

// goertzel8 is goertzel8Go in SSE2 (the amd64 baseline), two filters per
// register, every operation in the same order so the results are the
// same to the bit (TestGoertzel8MatchesReference). Go does not vectorise,
// and its register allocator spilled the Go loop's 24 live values to the
// stack on every sample: this version is about three times faster, and
// the filters are most of the detector's time.
//
//go:noescape
func goertzel8(buf []float64, c, s1, s2 *[8]float64)
