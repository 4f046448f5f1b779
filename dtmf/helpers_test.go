package dtmf

import "github.com/pion/rtp"

func rtpHeader(ts uint32, marker bool) rtp.Header {
	return rtp.Header{Version: 2, PayloadType: 101, Timestamp: ts, Marker: marker}
}

// detectKeys runs a fresh detector over pcm in 160-sample frames and returns
// the keys it reported.
func detectKeys(pcm []int16) string {
	d := NewDetector()
	var keys []byte
	for i := 0; i < len(pcm); i += 160 {
		end := min(i+160, len(pcm))
		if k, ok := d.Frame(pcm[i:end]); ok {
			keys = append(keys, k)
		}
	}
	return string(keys)
}

// detectKeysAt is detectKeys for a detector at rate (20 ms frames).
func detectKeysAt(rate int, pcm []int16) string {
	d, err := NewDetectorRate(rate)
	if err != nil {
		panic(err)
	}
	var keys []byte
	frame := rate / 50
	for i := 0; i < len(pcm); i += frame {
		if k, ok := d.Frame(pcm[i:min(i+frame, len(pcm))]); ok {
			keys = append(keys, k)
		}
	}
	return string(keys)
}
