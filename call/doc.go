// Package call owns one answered call from its answer to its last log
// line: the menu's event loop (digits straight from the collector into
// the executor), the hand-off it chooses (REFER, a bridge, voicemail), the
// wait for a bridge or recording to end, the teardown, and exactly one
// call record with a typed end reason and the side that ended it. It keeps
// the registry of calls in progress (live.go: what the API lists, hangs up
// and transfers, the latter through the call's own event loop) and emits
// each call's events (events.go) to whoever cmd/ivrd connects (metrics,
// webhooks).
//
// It is the only package that joins sip, media, dtmf and ivr. It must not
// be imported by any of them; cmd/ivrd wires it in as the sip.Handler.
package call
