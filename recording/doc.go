// Package recording writes call recordings: WAV files fed by a media
// session's Tap (both directions of the caller's leg, at 8 kHz), on one
// writer goroutine per recording that lines the two directions up and
// writes stereo (the caller left; ivrd's prompts or the bridged party
// right) or both mixed to mono. A conference room's recording is fed by
// its mixer's tap instead (the room's whole mix, mono, StartRoom). The
// media core only copies each frame into the recording's ring, allocated
// when it starts (tap.go); a slow disk loses frames (counted), never the
// call's or the room's audio on the wire, and a write error (a full
// disk) stops the recording with a logged reason while the call (or the
// conference) goes on.
//
// What is recorded and when is the call owner's choice (package call
// asks through an interface); where the index of recordings is kept is
// the node's (Options.Index): this package writes files only. It must
// not import sip, call, ivr, store or api.
package recording
