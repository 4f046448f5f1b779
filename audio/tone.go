package audio

import "math"

// Tone generates 8 kHz samples of two summed sines at level dBm0 each, on
// for onMs then silent for offMs: one cadence of a call-progress tone or a
// beep (f1 == f2 gives one sine at twice the amplitude).
func Tone(f1, f2, dBm0 float64, onMs, offMs int) []int16 {
	amp := Amplitude(dBm0)
	pcm := make([]int16, (onMs+offMs)*SampleRate/1000)
	on := onMs * SampleRate / 1000
	for i := 0; i < on; i++ {
		t := float64(i) / SampleRate
		pcm[i] = int16(amp * (math.Sin(2*math.Pi*f1*t) + math.Sin(2*math.Pi*f2*t)))
	}
	return pcm
}
