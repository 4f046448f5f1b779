package call

import (
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/sip"
)

// SRTPPolicy is the signalling layer's SRTP policy for a configuration:
// server.media.srtp and srtp_insecure_signalling from ms (fixed while the
// server runs), and each trunk's own srtp from the configuration snap
// returns, asked per call so that a reload applies to new calls.
func SRTPPolicy(ms ivr.MediaSettings, snap func() *Snapshot) sip.SRTPPolicy {
	mode, _ := sip.ParseSRTPMode(string(ms.SRTP)) // validated at load
	return sip.SRTPPolicy{
		Mode:               mode,
		InsecureSignalling: ms.SRTPInsecureSignalling,
		TrunkMode: func(trunk string) (sip.SRTPMode, bool) {
			s := snap()
			if s == nil || s.Config == nil {
				return sip.SRTPOff, false
			}
			t := s.Config.TrunkByName(trunk)
			if t == nil || t.SRTP == "" {
				return sip.SRTPOff, false
			}
			m, err := sip.ParseSRTPMode(t.SRTP)
			return m, err == nil
		},
	}
}
