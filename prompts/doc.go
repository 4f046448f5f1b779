// Package prompts turns named audio files into 20 ms frames ready to send.
//
// It owns named prompts: a Library (a directory's .wav and .pcm files, or
// the builtin set embedded in the binary, prompts/builtin) of Prompts,
// each kept at its file's own rate (up to 48 kHz), padded to whole 20 ms
// frames and encoded once per codec at load time: PCMU and PCMA from its
// 8 kHz version, G.722 and Opus from its 16 kHz version, so a G.722 or
// Opus caller hears a wideband file in wideband. Opus is coded, in a
// binary built with it, by one encoder per prompt (audio/opus): its
// packets are then sent to every Opus caller as they are. Prompt.Codecs
// says what each codec gets (what `ivrd prompt` prints). Prompts made
// from 8 kHz samples at call time (New: a voicemail message) are encoded
// for G.722 and Opus on first use.
// A Library is immutable after loading and shared by every call. Tone and
// Ringback build prompts from generated tones.
//
// A Library has a default set and one set per language (a prompts_dir
// subfolder named by its code, es/welcome.wav); Lookup falls back from a
// language to the default set. Spoken prompts (text) are rendered by a
// Speaker, espeak-ng run as a subprocess with a timeout, at load or
// upload time only, cached by voice and text in memory and on disk.
// SayNumber and SayDigits give the number-N fragments that say a number
// in a language, and Join plays a sequence as one prompt.
//
// Reading files, resampling, the codecs and codec identity are package
// audio's: prompts calls audio.DecodeNative, audio.Resample, EncodeG711
// and the G.722 encoder.
//
// What a spoken prompt is and the rules for language and voice names are
// package spoken's (Spoken is spoken.Prompt), shared with the
// configuration's validation.
//
// It must not import anything that knows RTP, sockets or menus: of ivrd
// it imports audio, audio/opus and spoken only.
package prompts
