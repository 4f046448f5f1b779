package sip

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/ivrd/ivrd/media"
)

// Reasons an INVITE is refused before a call exists. Each maps to one SIP
// status in rejection.
var (
	ErrUnknownSource    = errors.New("source is not a known trunk")
	ErrUnknownNumber    = errors.New("dialled number reaches no IVR")
	ErrBadSessionTimer  = errors.New("bad Session-Expires")
	ErrUnsupportedBody  = errors.New("body is not application/sdp")
	ErrServerClosing    = errors.New("server is shutting down")
	ErrDraining         = errors.New("server is draining: calls in progress finish, new ones go elsewhere")
	ErrBadInviteRequest = errors.New("malformed INVITE")
	ErrNotListening     = errors.New("no SIP listener to send from")
	// ErrOverloaded: the media engine's pacers keep waking late (see
	// media.Engine.Overloaded): a new call would degrade every call.
	ErrOverloaded = errors.New("media engine overloaded: new calls refused until the calls up are paced on time again")
	// ErrBacklogged: the call records and webhook events not yet in the
	// store passed the node's high-water mark (Config.Refuse): a new
	// call would add to what a crash could lose.
	ErrBacklogged = errors.New("store behind: new calls refused until the call records and events queued are written")
)

// SDPError is an offer that could not be parsed.
type SDPError struct{ Err error }

func (e *SDPError) Error() string { return e.Err.Error() }
func (e *SDPError) Unwrap() error { return e.Err }

// UnsupportedError is a Require option ivrd does not implement.
type UnsupportedError struct{ Options []string }

func (e *UnsupportedError) Error() string {
	return "unsupported Require: " + strings.Join(e.Options, ", ")
}

// IntervalTooSmallError is a Session-Expires below our Min-SE.
type IntervalTooSmallError struct{ Asked, MinSE time.Duration }

func (e *IntervalTooSmallError) Error() string {
	return fmt.Sprintf("Session-Expires %s below Min-SE %s", e.Asked, e.MinSE)
}

// rejection is the one mapping from why an INVITE is refused to the
// response it gets: status, reason phrase and the headers that tell the
// caller what to change.
func rejection(err error) (code int, reason string, hdrs []sip.Header) {
	warn := func(code int) sip.Header {
		return sip.NewHeader("Warning", fmt.Sprintf("%d ivrd %q", code, err.Error()))
	}
	var sdpErr *SDPError
	var srtpErr *SRTPError
	var unsup *UnsupportedError
	var small *IntervalTooSmallError
	switch {
	case errors.Is(err, ErrUnknownSource):
		return 403, "Forbidden", nil
	case errors.Is(err, ErrUnknownNumber):
		return 404, "Not Found", nil
	case errors.As(err, &unsup):
		return 420, "Bad Extension", []sip.Header{sip.NewHeader("Unsupported", strings.Join(unsup.Options, ", "))}
	case errors.As(err, &small):
		return 422, "Session Interval Too Small", []sip.Header{sip.NewHeader("Min-SE", strconv.Itoa(int(small.MinSE/time.Second)))}
	case errors.Is(err, ErrBadSessionTimer):
		return 400, "Bad Session-Expires", nil
	case errors.Is(err, ErrUnsupportedBody):
		return 415, "Unsupported Media Type", []sip.Header{sip.NewHeader("Accept", "application/sdp")}
	case errors.As(err, &sdpErr):
		return 400, "Bad SDP", []sip.Header{warn(399)}
	case errors.As(err, &srtpErr): // srtp.go: the offer's SRTP, named in the Warning (never its keys)
		return 488, "Not Acceptable Here", []sip.Header{warn(srtpErr.Warn)}
	case errors.Is(err, ErrAddressFamily): // sdp.go: IPv6 media, IPv4 only here
		return 488, "Not Acceptable Here", []sip.Header{warn(301)}
	case errors.Is(err, ErrNoCommonCodec):
		return 488, "Not Acceptable Here", []sip.Header{warn(304)}
	case errors.Is(err, media.ErrNoPorts), errors.Is(err, ErrServerClosing), errors.Is(err, ErrDraining), errors.Is(err, ErrOverloaded),
		errors.Is(err, ErrBacklogged):
		return 503, "Service Unavailable", []sip.Header{sip.NewHeader("Retry-After", "5")}
	case errors.Is(err, ErrBadInviteRequest):
		return 400, "Bad Request", []sip.Header{warn(399)}
	}
	return 500, "Server Internal Error", []sip.Header{sip.NewHeader("Retry-After", "5")}
}
