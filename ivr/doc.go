// Package ivr is the menu: the configuration model (../shared/CONFIG.md),
// its validation, schedules, and the executor, a pure state machine that
// turns call events (digit, playback done, timer fired, transfer result)
// into actions (play, stop, start timer, transfer, hang up).
//
// It imports no network, SIP or media package: a Runner drives the
// executor on a real call through the Call interface, and the simulator
// drives it on a virtual clock.
package ivr
