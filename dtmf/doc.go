// Package dtmf hears key presses: the RFC 4733 telephone-event decoder
// (EventDecoder, AppendEvent), an in-band Goertzel tone detector
// (Detector), SIP INFO bodies (ParseInfo), and the Collector that merges
// them into one deduplicated stream of digits per call. The test audio its
// tests (and other packages' tests) feed it is built by dtmf/dtmftest;
// levels, G.711 and WAV files are package audio's.
//
// It owns: what counts as one key press, on every path. It must not do:
// networking (callers hand it payloads, samples and bodies), SIP or SDP
// (the payload type is the caller's business), menus or timers of its
// own (time comes in as arguments or from the Collector's clock). It
// imports no ivrd package but audio, and never dtmftest outside tests.
//
// # Collector
//
// One per call, made once the media is negotiated:
//
//	c := dtmf.NewCollector(dtmf.Config{
//		RFC4733: true, Inband: true, Info: true, // server.media.dtmf
//		InbandMode:      dtmf.InbandAuto,        // server.media.inband
//		EventNegotiated: eventPT != 0,           // the peer's SDP had telephone-event
//	}, deliver)
//	c.TelephoneEvent(hdr, payload) // media goroutine, packets of the event PT
//	c.Audio(pcm)                   // media goroutine, every decoded 20 ms frame
//	c.Info(key)                    // SIP goroutine, after ParseInfo
//
// deliver(Digit) is called synchronously from whichever goroutine fed the
// press, outside the Collector's lock; it must not block, and may be
// called from two goroutines at once. Digit.At is the time since
// NewCollector. Audio must be fed even when in-band detection is off: it
// paces the timeout that closes an event whose end packets were lost.
//
// In-band listening: InbandNever never; InbandAlways always; InbandAuto
// only when telephone-event was not negotiated or RFC 4733 is not
// accepted. When a gateway sends a press both ways, the caller gets one
// digit: in-band digits are dropped while telephone-events flow (during an
// event and 300 ms after its last packet), and an event is dropped when
// the same key was heard in-band just before it (one event per in-band
// digit, so a repeated key still counts twice).
//
// # The in-band detector on its own
//
// NewDetector listens to 8 kHz audio, NewDetectorRate(16000) to wideband
// calls (G.722, Opus decoded at 16 kHz) with the same limits. Frame says
// when a press is recognised; Detect reports each press twice, KeyDown
// when recognised and KeyUp when its tone stops, with the times the tone
// began and ended (to a few milliseconds), allocating nothing; Finish
// closes a press still held when the audio ends. `ivrd dtmf` is built on
// Detect. The talk-off corpus it is measured on is built by
// dtmf/corpus/fetch.sh into a cache (never committed).
//
// # In-band levels
//
// dBm0 follows ITU-T G.711: a full-scale sine (peak 32767) is +3.14 dBm0,
// so 0 dBm0 is a sine of peak 22,826 (RMS 16,140); see audio.Amplitude.
// Tone levels in tests are per tone; noise and speech levels are RMS
// (speech: active level, pauses excluded).
//
// # Assembly
//
// The eight Goertzel filters, most of the detector's time, run in SSE2
// assembly on amd64 (goertzel_amd64.s), which must give exactly what the
// Go reference goertzel8Go gives (a test compares them bit for bit). Other
// architectures, and builds with the purego tag, run the Go reference.
package dtmf
