package webhook

import "errors"

// Errors a receiver's Verify returns: a forged, altered or replayed
// delivery.
var (
	ErrNoSignature  = errors.New("webhook: no X-Ivrd-Signature header")
	ErrBadSignature = errors.New("webhook: signature does not match")
	ErrStale        = errors.New("webhook: signature timestamp outside the tolerance (replay?)")
)
