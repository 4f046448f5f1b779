package prompts

import "math"

// Tone builds a prompt of two summed sines at level dBm0 each, on for onMs
// then silent for offMs: call-progress tones, generated rather than stored.
func Tone(name string, f1, f2, dBm0 float64, onMs, offMs int) *Prompt {
	amp := 32767 * math.Pow(10, (dBm0-3.14)/20) // 3.14 dBm0 = full-scale sine
	pcm := make([]int16, (onMs+offMs)*SampleRate/1000)
	on := onMs * SampleRate / 1000
	for i := 0; i < on; i++ {
		t := float64(i) / SampleRate
		pcm[i] = int16(amp * (math.Sin(2*math.Pi*f1*t) + math.Sin(2*math.Pi*f2*t)))
	}
	return New(name, pcm)
}

// Ringback is the North American ringback tone (ITU-T E.180, as Asterisk's
// default "us" tone zone plays it): 440+480 Hz, 2 s on, 4 s off, -19 dBm0.
func Ringback() *Prompt { return Tone("ringback", 440, 480, -19, 2000, 4000) }
