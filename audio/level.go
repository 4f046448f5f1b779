package audio

import "math"

// FullScaleDBm0 is the level of a full-scale sine in G.711: ITU-T G.711
// puts a sine of peak 32767 (16-bit linear) at +3.14 dBm0.
const FullScaleDBm0 = 3.14

// Amplitude is the peak amplitude of a sine at level dBm0; Amplitude(0),
// about 22,826, is the G.711 reference every dBm0 figure is relative to.
func Amplitude(dBm0 float64) float64 {
	return 32767 * math.Pow(10, (dBm0-FullScaleDBm0)/20)
}

// RMS is the root mean square of pcm (0 for no samples): the loudness of a
// frame, as a silence detector compares it with a threshold.
func RMS(pcm []int16) float64 {
	if len(pcm) == 0 {
		return 0
	}
	return math.Sqrt(sumSquares(pcm) / float64(len(pcm)))
}

func sumSquares(pcm []int16) float64 {
	sum := 0.0
	for _, v := range pcm {
		sum += float64(v) * float64(v)
	}
	return sum
}

// meanSquareDBm0 is the level of a signal with this mean square: a sine of
// RMS r is at 20 log10(r*√2 / Amplitude(0)) dBm0.
func meanSquareDBm0(meanSquare float64) float64 {
	a0 := Amplitude(0)
	return 10 * math.Log10(2*meanSquare/(a0*a0))
}

// Level is what a listener notices of a recording's loudness.
type Level struct {
	PeakDBFS   float64 // the loudest sample relative to full scale (0 dBFS)
	ActiveDBm0 float64 // the level while sound is present; -Inf for silence
	Clipped    int     // samples at full scale: likely clipped
}

// levelFrame is the 20 ms block the active level is judged in.
const levelFrame = SampleRate / 50

// activeFloorDBm0: blocks quieter than this are pauses, left out of the
// active level.
const activeFloorDBm0 = -60

// MeasureLevel measures 8 kHz pcm: the peak relative to full scale, and
// the level while sound is present (20 ms blocks above -60 dBm0; pauses
// excluded, ITU-T P.56's idea) relative to the G.711 reference.
func MeasureLevel(pcm []int16) Level {
	var lv Level
	peak := 0
	for _, v := range pcm {
		a := max(int(v), -int(v))
		peak = max(peak, a)
		if a >= 32767 {
			lv.Clipped++
		}
	}
	lv.PeakDBFS = 20 * math.Log10(math.Max(float64(peak), 1)/32768)
	sum, n := 0.0, 0
	for i := 0; i < len(pcm); i += levelFrame {
		block := pcm[i:min(i+levelFrame, len(pcm))]
		e := sumSquares(block)
		if meanSquareDBm0(e/float64(len(block))) > activeFloorDBm0 {
			sum, n = sum+e, n+len(block)
		}
	}
	lv.ActiveDBm0 = math.Inf(-1)
	if n > 0 {
		lv.ActiveDBm0 = meanSquareDBm0(sum / float64(n))
	}
	return lv
}
