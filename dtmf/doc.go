// Package dtmf hears key presses: the RFC 4733 telephone-event decoder, an
// in-band Goertzel tone detector, SIP INFO body parsing, and the Collector
// that merges them into one deduplicated stream of digits per call.
//
// It knows nothing of sockets, SIP dialogs or menus: callers hand it
// payloads, samples and bodies, and it hands back digits.
package dtmf
