package ivrload

import (
	"fmt"
	"strings"

	"github.com/zaf/g711"

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/audio/opus"
)

// The codecs a load can use: one is offered, and every call sends it.
const (
	CodecPCMU = "pcmu"
	CodecG722 = "g722" // 16 kHz audio, 8 kHz RTP clock: 160 bytes and 160 timestamp units a frame, as PCMU
	// CodecOpus is 16 kHz audio coded by libopus (a binary built with
	// the tag opus), 80 bytes and 960 timestamp units (48 kHz clock) a
	// frame, offered under payload type 111 and sent under the one the
	// answer names.
	CodecOpus = "opus"
)

// checkCodec reads --codec: the codec's name as Config keeps it ("":
// pcmu), or an error naming what is wrong.
func checkCodec(name string) (string, error) {
	switch name = strings.ToLower(name); name {
	case "":
		return CodecPCMU, nil
	case CodecPCMU, CodecG722:
	case CodecOpus:
		if !opus.Available {
			return name, fmt.Errorf("ivrload: codec opus: %w", opus.ErrNotBuilt)
		}
	default:
		return name, fmt.Errorf("ivrload: codec %q: want pcmu, g722 or opus", name)
	}
	return name, nil
}

// opusOfferPT is the dynamic payload type ivrload offers Opus under.
const opusOfferPT = 111

// payloadType is the codec's RTP payload type as offered.
func payloadType(codec string) uint8 {
	switch codec {
	case CodecG722:
		return 9
	case CodecOpus:
		return opusOfferPT
	}
	return 0
}

// rtpmap is the codec's encoding as an rtpmap line writes it (after the
// payload type), and its a=fmtp line ("" for none).
func rtpmap(codec string) (enc, fmtp string) {
	switch codec {
	case CodecG722:
		return "G722/8000", ""
	case CodecOpus:
		return "opus/48000/2", "useinbandfec=1;maxplaybackrate=16000"
	}
	return "PCMU/8000", ""
}

// codecFrameBytes is the payload of one 20 ms packet in the codec.
func codecFrameBytes(codec string) int {
	if codec == CodecOpus {
		return audio.OpusFrameBytes
	}
	return frameBytes
}

// frameTicks is how far a 20 ms packet moves the RTP timestamp.
func frameTicks(codec string) uint32 {
	if codec == CodecOpus {
		return audio.OpusClockRate / 50
	}
	return frameBytes
}

// rateFactor is the codec's audio rate over 8 kHz.
func rateFactor(codec string) int {
	if codec == CodecG722 || codec == CodecOpus {
		return 2
	}
	return 1
}

// encode encodes pcm (at the codec's audio rate, whole 20 ms frames) into
// out, as one stream: len(pcm)/(160*rateFactor) frames of
// codecFrameBytes each.
func encode(out []byte, pcm []int16, codec string) {
	switch codec {
	case CodecG722:
		var e audio.G722Encoder
		e.Encode(out, pcm)
	case CodecOpus:
		enc, err := opus.NewEncoder() // fill made sure this binary has Opus
		for i := 0; (i+1)*audio.OpusFrameBytes <= len(out); i++ {
			pkt := out[i*audio.OpusFrameBytes : (i+1)*audio.OpusFrameBytes]
			if err != nil || enc.Encode(pkt, pcm[i*opus.FrameSamples:(i+1)*opus.FrameSamples]) != nil {
				opus.Silence(pkt)
			}
		}
	default:
		for i, s := range pcm {
			out[i] = g711.EncodeUlawFrame(s)
		}
	}
}

// silence is n frames of silence in the codec.
func silence(codec string, n int) []byte {
	out := make([]byte, n*codecFrameBytes(codec))
	if codec == CodecOpus {
		for i := range n {
			opus.Silence(out[i*audio.OpusFrameBytes:])
		}
		return out
	}
	for i := range out {
		out[i] = 0xff // µ-law's and G.722's zero
	}
	return out
}
