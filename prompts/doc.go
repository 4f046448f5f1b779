// Package prompts turns named audio files into 8 kHz frames ready to send.
//
// It owns named prompts: a Library (a directory's .wav and .pcm files, or
// the builtin set embedded in the binary, prompts/builtin) of Prompts,
// each padded to whole 20 ms frames and encoded once per codec (PCMU,
// PCMA) at load time. A Library is immutable after loading and shared by
// every call. Tone and Ringback build prompts from generated tones.
//
// A Library has a default set and one set per language (a prompts_dir
// subfolder named by its code, es/welcome.wav); Lookup falls back from a
// language to the default set. Spoken prompts (text) are rendered by a
// Speaker, espeak-ng run as a subprocess with a timeout, at load or
// upload time only, cached by voice and text in memory and on disk.
// SayNumber and SayDigits give the number-N fragments that say a number
// in a language, and Join plays a sequence as one prompt.
//
// Reading files, resampling, G.711 and codec identity are package audio's:
// prompts calls audio.Decode and audio.EncodeG711.
//
// What a spoken prompt is and the rules for language and voice names are
// package spoken's (Spoken is spoken.Prompt), shared with the
// configuration's validation.
//
// It must not import anything that knows RTP, sockets or menus: of ivrd
// it imports audio and spoken only.
package prompts
