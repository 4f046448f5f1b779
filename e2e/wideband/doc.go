// Package wideband holds the system tests of wideband calls and of
// interoperation with real softphones: the ivrd binary, built from
// ./cmd/ivrd into a temporary folder and run with a configuration the
// test writes, answering G.722 callers (ivrload, and baresip and
// linphone when they are installed, over UDP or over TLS with SRTP
// required) who hear a 16 kHz prompt in wideband and press keys the menu
// hears; and, in a build with the tag opus (ivrd built with it too),
// Opus callers the same way (opus_test.go). It has no code outside its
// tests; nothing may import it.
package wideband
