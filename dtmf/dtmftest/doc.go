// Package dtmftest builds test audio for DTMF detection, as sipgo's
// siptest builds test SIP traffic: key presses at any level, twist, length
// and frequency error (Signal, ToneSpec, Nominal), pauses, noise, echo,
// clipping, generated speech-like sound and music (Speechlike, Music), real
// synthetic speech from espeak-ng when it is installed (Espeak,
// ScaleActive), and the G.711 round trip a call puts audio through (Ulaw,
// Alaw).
//
// It owns: what a test feeds a detector. It is imported only by tests and
// benchmarks (of dtmf, cmd/ivrd, bench), never by production code: a
// program that needs levels, G.711 or WAV files takes them from package
// audio, which this package builds on. It must not import package dtmf
// (dtmf's own tests import this package, and its keypad table is an
// independent reference for the detector) nor any network package.
//
// Levels are dBm0 as audio.Amplitude defines them (ITU-T G.711: a
// full-scale sine is +3.14 dBm0). Tone levels are per tone; noise and
// speech levels are RMS (speech: active level, pauses excluded).
package dtmftest
