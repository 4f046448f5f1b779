// Package audio is ivrd's one home for sound as numbers: codec identity
// (Codec: PCMU, PCMA, G722 and Opus with SDP name, payload type, RTP
// clock rate, audio rate, frame size and silence byte; ParseCodec for
// configuration strings; Opus itself is coded in audio/opus, the one
// package that links libopus), G.711 conversion (EncodeG711, DecodeG711 into caller buffers,
// table-driven, no allocation per packet; RoundTrip for what a line does
// to audio), G.722 at 64 kbit/s (G722Encoder, G722Decoder: ITU-T G.722's
// SB-ADPCM written from the Recommendation and checked bit for bit
// against its test sequences; 16 kHz in and out, or 8 kHz through the
// lower sub-band alone with EncodeNarrow and DecodeNarrow; state per
// stream, no allocation per packet), audio
// files (Decode: WAV in 16-bit PCM at any rate, mono or stereo, µ-law or
// A-law, and raw 16-bit 8 kHz .pcm, to 8 kHz mono; WriteWAV), the one
// resampler (Resample, a Kaiser-windowed sinc low-pass; Decimator and
// Interpolator, its streaming half-band form between 16 and 8 kHz for a
// call's packets, with state per stream and no allocation), level measurement
// (MeasureLevel: peak, active speech level in dBm0, clipping; RMS; the
// dBm0 reference Amplitude) and tone generation (Tone).
//
// It owns: what a sample, a level and a file format mean. It must not
// import any other ivrd package, nor any network package (no net, no
// RTP, no SIP): prompts, media, dtmf, store and the command line build on
// it, not the other way round. Everything it does works on samples and
// bytes the caller hands it; it keeps no state beyond its immutable
// tables.
//
// Decoding is hardened for files an operator did not make: chunk sizes are
// checked against the file before anything is allocated, a size limit
// bounds what a file may hold, and a panic in the WAV library becomes an
// error (FuzzDecode, seeds in testdata/fuzz). Its errors wrap ErrMalformed
// or ErrUnsupported.
package audio
