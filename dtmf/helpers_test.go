package dtmf

import "github.com/pion/rtp"

func rtpHeader(ts uint32, marker bool) rtp.Header {
	return rtp.Header{Version: 2, PayloadType: 101, Timestamp: ts, Marker: marker}
}
