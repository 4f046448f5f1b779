//go:build !amd64 || purego

package dtmf

func goertzel8(buf []float64, c, s1, s2 *[8]float64) { goertzel8Go(buf, c, s1, s2) }
