// Package stream forks a call's audio to a WebSocket and plays what
// comes back: the client side of a stream destination and of the API's
// streams on a live call. It speaks the JSON messages of Twilio Media
// Streams (connected, start, media, dtmf, mark, stop; and from the far
// end media, mark, clear), which speech and bot vendors accept, plus one
// of ivrd's own: {"event":"end","destination":{...}}, the far end
// ending the stream with where the call goes next (an ask answer,
// decoded and validated by the caller's Decode).
//
// What it owns, so that a slow or hostile far end cannot hurt calls:
//
//   - the media side (Inbound, Outbound, NextFrame, called on the
//     pacer's loop) only copies 20 ms frames into preallocated rings
//     under a short lock and never blocks nor allocates; a far end that
//     reads slower than real time loses its oldest frames, counted
//     (Stream.Dropped, Dialer.Totals);
//   - one goroutine writes (encoding into reused buffers, base64
//     included) and one reads; a far end that never reads stalls only
//     its own writer;
//   - the audio sent back is queued (at most MaxPlay) and taken one
//     frame per tick by the session's own pacer: no second clock;
//   - SSRF protection: the address dialled (after DNS) must not be
//     loopback, private, link-local or metadata unless
//     Options.AllowPrivate (package decide's check); redirects are not
//     followed; the far end's messages are bounded (MaxMessage).
//
// It imports ivr (stream settings and answers), audio (G.711) and
// decide (its SSRF check) and nothing else of ivrd: not sip, media,
// call, store, api or observe, nor prometheus. Package call uses it
// through its own Streamer interface; node wires it.
package stream
