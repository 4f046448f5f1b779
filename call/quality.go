package call

import (
	"time"

	"github.com/ivrd/ivrd/media"
)

// Quality is one call's media quality both ways, with a MOS estimate for
// each: In is the caller's audio as we receive it, Out ours as the caller
// reports it in RTCP (zero when it sends no reports).
type Quality struct {
	Sent, Received uint64
	Lost           int64
	Jitter         time.Duration
	PeerLost       int64
	PeerJitter     time.Duration
	RTT            time.Duration
	MOSIn, MOSOut  float64
}

// QualityOf sums up a session's statistics. A MOS is 0 where there is
// nothing to estimate from (no packet received; no RTCP report).
func QualityOf(st media.Stats) Quality {
	q := Quality{Sent: st.Sent, Received: st.Received, Lost: st.Lost, Jitter: st.Jitter,
		PeerLost: st.PeerLost, PeerJitter: st.PeerJitter, RTT: st.RTT}
	if st.Received > 0 { // no audio heard: no estimate (0)
		q.MOSIn = MOS(lossRatio(st.Lost, st.Received), st.Jitter, st.RTT)
	}
	if st.RTCPReceived > 0 {
		q.MOSOut = MOS(lossRatio(st.PeerLost, st.Sent), st.PeerJitter, st.RTT)
	}
	return q
}

// lossRatio is lost / expected, where expected = received + lost.
func lossRatio(lost int64, received uint64) float64 {
	if lost <= 0 {
		return 0
	}
	return float64(lost) / (float64(lost) + float64(received))
}

// MOS estimates the listening quality of a G.711 stream from its packet
// loss ratio (0-1), interarrival jitter and round-trip time, by the ITU-T
// G.107 E-model in its usual simplified form (Cole & Rosenbluth, "Voice
// over IP performance monitoring", 2001), all other impairments at their
// G.107 defaults:
//
//	d     = RTT/2 + 2*jitter + 10 ms   (one-way delay: network, a jitter
//	                                    buffer of twice the jitter, one frame)
//	Id    = 0.024 d + 0.11 (d - 177.3) H(d - 177.3)       (delay impairment)
//	Ie,eff = Ie + (95 - Ie) Ppl / (Ppl + Bpl)             (G.107 eq. 7-29,
//	                                    random loss, BurstR = 1; for G.711
//	                                    Ie = 0, Bpl = 4.3 without PLC, G.113
//	                                    Appendix I)
//	R     = 93.2 - Id - Ie,eff        (93.2: R0 - Is at G.107's defaults)
//	MOS   = 1 + 0.035 R + 7e-6 R (R - 60) (100 - R)   for 0 < R < 100
//	        (G.107 Annex B; 1 for R <= 0, 4.5 for R >= 100)
//
// With no loss and little delay it gives 4.41, the E-model's ceiling for
// G.711.
func MOS(loss float64, jitter, rtt time.Duration) float64 {
	const ie, bpl = 0.0, 4.3
	d := float64(rtt.Microseconds())/2000 + 2*float64(jitter.Microseconds())/1000 + 10
	id := 0.024 * d
	if d > 177.3 {
		id += 0.11 * (d - 177.3)
	}
	ppl := 100 * loss
	ieEff := ie + (95-ie)*ppl/(ppl+bpl)
	r := 93.2 - id - ieEff
	switch {
	case r <= 0:
		return 1
	case r >= 100:
		return 4.5
	}
	mos := 1 + 0.035*r + 7e-6*r*(r-60)*(100-r)
	return float64(int(mos*100+0.5)) / 100 // two decimals: more is noise
}
