// Package store keeps what ivrd must remember after a call: for now
// voicemail messages, as 8 kHz WAV files with a JSON sidecar each in a
// directory.
//
// It must not import sip, media, ivr or call: it knows nothing of SIP or
// menus, and stores what it is handed.
package store
