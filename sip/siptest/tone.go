package siptest

import (
	"math"

	"github.com/zaf/g711"
)

// FarEndToneHz is the frequency of the tone a FarEnd speaks.
const FarEndToneHz = 1000

// HasTone reports whether one G.711 frame (PCMU, or PCMA when pcma) is
// audible and mostly a tone of freq Hz: Goertzel's power at freq holds
// at least half the frame's energy. Tests tell prompts, ringback and the
// far end's voice apart by it.
func HasTone(payload []byte, pcma bool, freq float64) bool {
	if len(payload) == 0 {
		return false
	}
	k := 2 * math.Cos(2*math.Pi*freq/8000)
	var s1, s2, energy float64
	for _, b := range payload {
		v := g711.DecodeUlawFrame(b)
		if pcma {
			v = g711.DecodeAlawFrame(b)
		}
		x := float64(v)
		energy += x * x
		s := x + k*s1 - s2
		s2, s1 = s1, s
	}
	n := float64(len(payload))
	power := (s1*s1 + s2*s2 - k*s1*s2) * 2 / n
	return energy/n > 1e5 && power > 0.5*energy
}
