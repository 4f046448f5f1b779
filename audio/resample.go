package audio

import "math"

// Resample converts mono samples between rates with a Kaiser-windowed sinc
// low-pass filter, applied as a polyphase bank so each output sample costs
// one short dot product. The cut-off sits at 45% of the lower rate, so
// content above the new Nyquist frequency is removed instead of aliasing.
func Resample(in []int16, fromRate, toRate int) []int16 {
	if fromRate == toRate || len(in) == 0 {
		return append([]int16(nil), in...)
	}
	g := gcd(fromRate, toRate)
	up, down := toRate/g, fromRate/g // output n sits at input n*down/up
	lower := min(fromRate, toRate)
	cutoff := 0.45 * float64(lower) / float64(fromRate) // cycles per input sample
	// Half-width in input samples: 16 periods of the lower rate.
	half := int(math.Ceil(16 * float64(fromRate) / float64(lower)))
	taps := 2 * half
	const beta = 7.0
	i0b := besselI0(beta)
	// bank[phase][k] weighs input sample (base - half + 1 + k) for an output
	// that lies phase/up of the way past input sample base.
	bank := make([][]float64, up)
	for ph := 0; ph < up; ph++ {
		frac := float64(ph) / float64(up)
		row := make([]float64, taps)
		gain := 0.0
		for k := 0; k < taps; k++ {
			d := float64(k-half+1) - frac
			x := d / float64(half)
			if x <= -1 || x >= 1 {
				continue
			}
			w := besselI0(beta*math.Sqrt(1-x*x)) / i0b
			row[k] = 2 * cutoff * sinc(2*cutoff*d) * w
			gain += row[k]
		}
		// Every phase passes DC at unity, so levels are kept exactly.
		for k := range row {
			row[k] /= gain
		}
		bank[ph] = row
	}
	outLen := int(int64(len(in)) * int64(up) / int64(down))
	out := make([]int16, outLen)
	for n := range out {
		pos := int64(n) * int64(down)
		base := int(pos / int64(up))
		row := bank[int(pos%int64(up))]
		acc := 0.0
		start := base - half + 1
		for k, h := range row {
			j := start + k
			if j < 0 || j >= len(in) || h == 0 {
				continue
			}
			acc += h * float64(in[j])
		}
		out[n] = clip16(acc)
	}
	return out
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	return math.Sin(math.Pi*x) / (math.Pi * x)
}

// besselI0 is the zeroth-order modified Bessel function (series form).
func besselI0(x float64) float64 {
	sum, term := 1.0, 1.0
	for k := 1; k < 50; k++ {
		term *= (x / (2 * float64(k))) * (x / (2 * float64(k)))
		sum += term
		if term < 1e-12*sum {
			break
		}
	}
	return sum
}

func clip16(v float64) int16 {
	v = math.Round(v)
	if v > math.MaxInt16 {
		return math.MaxInt16
	}
	if v < math.MinInt16 {
		return math.MinInt16
	}
	return int16(v)
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
