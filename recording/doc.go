// Package recording writes call recordings: WAV files fed from a media
// session's Tap (both directions of the caller's leg), on one writer
// goroutine per recording that decodes, lines the two directions up and
// writes stereo (the caller left; ivrd's prompts or the bridged party
// right) or both mixed to mono, at 8 kHz, or 16 kHz for a wideband
// (G.722) call. The media core only copies payloads into the tap's
// preallocated ring; a slow disk loses frames (counted), never the
// call's audio on the wire, and a write error (a full disk) stops the
// recording with a logged reason while the call goes on.
//
// What is recorded and when is the call owner's choice (package call
// asks through an interface); where the index of recordings is kept is
// the node's (Options.Index): this package writes files only. It must
// not import sip, call, ivr, store or api.
package recording
