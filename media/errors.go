package media

import "errors"

// Errors a caller of the engine can act on.
var (
	// ErrNoPorts means every RTP port of the range is in use (answer 503).
	ErrNoPorts = errors.New("media: no free RTP port")
	// ErrEngineClosed means the engine is shutting down.
	ErrEngineClosed = errors.New("media: engine closed")
)

// Why a received packet was dropped (counted as malformed; the message
// is the rate-limited log line's).
var (
	errShortRTP    = errors.New("RTP packet shorter than its 12-byte header")
	errRTPVersion  = errors.New("RTP version is not 2")
	errRTPPadding  = errors.New("RTP padding longer than the payload")
	errRTCPShort   = errors.New("RTCP packet shorter than its 4-byte header")
	errRTCPVersion = errors.New("RTCP version is not 2")
)

// errAddrFamily: an IPv6 peer for a socket bound to an IPv4 address.
var errAddrFamily = errors.New("media: peer address of another family than the RTP socket")
