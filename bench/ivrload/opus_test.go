package ivrload

import (
	"math"
	"net/netip"
	"strings"
	"testing"

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/audio/opus"
)

// With --codec opus every call offers Opus alone (opus/48000/2 at 111)
// and sends 80-byte Opus packets: the key's tone pair survives the codec
// and the caller audio is a loop of whole frames. A binary built without
// Opus refuses the codec, saying so.
func TestOpusLoad(t *testing.T) {
	cfg := Config{Target: "127.0.0.1:5060", Calls: 1, Rate: 1, Hold: 1, Codec: "Opus"}
	err := cfg.fill()
	if !opus.Available {
		if err == nil || !strings.Contains(err.Error(), "built without Opus") {
			t.Fatalf("fill opus without libopus: %v", err)
		}
		t.Skip("this test binary was built without Opus (-tags opus,nolibopusfile and libopus-dev to run the rest)")
	}
	if err != nil || cfg.Codec != CodecOpus {
		t.Fatalf("fill: %v %q", err, cfg.Codec)
	}
	if a := callerAudio("noise", CodecOpus); len(a) != 50*audio.OpusFrameBytes {
		t.Fatalf("caller audio: %d bytes, want one second of 80-byte frames", len(a))
	}
	if a := callerAudio("silence", CodecOpus); len(a) != 50*audio.OpusFrameBytes {
		t.Fatalf("silence: %d bytes", len(a))
	}
	tone := keyTone('5', CodecOpus)
	if len(tone) != keyFrames*audio.OpusFrameBytes {
		t.Fatalf("key: %d bytes", len(tone))
	}
	dec, err := opus.NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	var pcm []int16
	for i := 0; i < len(tone); i += audio.OpusFrameBytes {
		out, err := dec.Decode(tone[i : i+audio.OpusFrameBytes])
		if err != nil {
			t.Fatalf("key frame %d: %v", i/audio.OpusFrameBytes, err)
		}
		pcm = append(pcm, out...)
	}
	power := func(f float64) float64 {
		k := 2 * math.Cos(2*math.Pi*f/16000)
		var s1, s2 float64
		for _, x := range pcm[len(pcm)/4:] {
			s := float64(x) + k*s1 - s2
			s2, s1 = s1, s
		}
		return s1*s1 + s2*s2 - k*s1*s2
	}
	row, col := power(770), power(1336)
	if col < row/2 || col > row*2 || power(941) > row/30 || power(1209) > row/30 {
		t.Fatalf("key 5 through Opus: 770 Hz %g, 1336 Hz %g, 941 Hz %g, 1209 Hz %g", row, col, power(941), power(1209))
	}

	o := string(offer(netip.MustParseAddr("127.0.0.1"), 40002, 101, 1, CodecOpus, nil))
	if !strings.Contains(o, "m=audio 40002 RTP/AVP 111 101\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 ") {
		t.Fatalf("offer:\n%s", o)
	}
	// ivrd answers under the number offered; another server may not.
	ans, err := parseAnswer([]byte("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
		"m=audio 5000 RTP/AVP 98 101\r\na=rtpmap:98 opus/48000/2\r\na=rtpmap:101 telephone-event/8000\r\n"))
	if err != nil || ans.opusPT != 98 || ans.eventPT != 101 {
		t.Fatalf("answer: %+v %v", ans, err)
	}
}
