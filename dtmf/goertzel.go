package dtmf

// goertzel8Go runs the eight Goertzel filters over buf: for filter i,
// s[n] = c[i] s[n-1] + (x[n] - s[n-2]), with s1 holding s[n-1] and s2
// s[n-2] between calls. Written in this order the recurrence waits on one
// multiplication and one addition per sample, not on two additions. It is
// the reference the amd64 version must match bit for bit, and the version
// other architectures run.
func goertzel8Go(buf []float64, c, s1, s2 *[8]float64) {
	p, q := *s1, *s2
	for _, x := range buf {
		for i := range p {
			p[i], q[i] = c[i]*p[i]+(x-q[i]), p[i]
		}
	}
	*s1, *s2 = p, q
}
