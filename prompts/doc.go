// Package prompts turns audio files into 8 kHz frames ready to send.
//
// It reads WAV (16-bit PCM at any rate, mono or stereo, µ-law, A-law) and
// raw 16-bit little-endian 8 kHz PCM, resamples once at load time through a
// windowed-sinc low-pass filter, pads to whole 20 ms frames and encodes once
// per codec (PCMU, PCMA). A Library is immutable after loading and shared by
// every call.
//
// It knows nothing of RTP, sockets or menus.
package prompts
