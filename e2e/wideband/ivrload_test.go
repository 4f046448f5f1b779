package wideband

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ivrd/ivrd/bench/ivrload"
)

// TestG722CallsPressKeys: callers offering G.722 alone (ivrload --codec
// g722) are answered in G.722, hear the menu (a stream at 50 packets a
// second, nothing lost), and their key reaches the menu, which transfers
// each call by REFER: pressed as RFC 4733 events, and in-band, where the
// digit detector hears the tones through ivrd's G.722 decoder.
func TestG722CallsPressKeys(t *testing.T) {
	srv := startIvrd(t, buildIvrd(t), "auto")
	for _, tc := range []struct {
		method string
		te     uint8
	}{{"rfc4733", 101}, {"inband", 0}} {
		t.Run(tc.method, func(t *testing.T) {
			srv.waitAcceptingCalls(t)
			answeredBefore := strings.Count(srv.log.String(), "codec=G722")
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			const calls = 3
			res, err := ivrload.Run(ctx, ivrload.Config{
				Target: fmt.Sprintf("127.0.0.1:%d", srv.sipPort), To: "100", Codec: ivrload.CodecG722,
				Calls: calls, Rate: 10, Hold: 6 * time.Second,
				Digit: '4', DigitAfter: 3 * time.Second, DigitMethod: tc.method, TelephoneEvent: tc.te,
				Workers: 1,
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Log(res.Summary())
			if res.Failed != 0 || res.Succeeded != calls {
				t.Fatalf("failures: %v\n%s", res.Failures, tail(srv.log.String(), 3000))
			}
			if res.Digit == nil || res.Digit.Pressed != calls || res.Digit.Actions != calls {
				t.Fatalf("key pressed %+v: every call should press 4 and be referred\n%s", res.Digit, tail(srv.log.String(), 3000))
			}
			if res.RTP.Streams != calls || res.RTP.StreamsSilent != 0 || res.RTP.Lost != 0 || res.RTP.BadPackets != 0 {
				t.Fatalf("audio: %+v", res.RTP)
			}
			if n := strings.Count(srv.log.String(), "codec=G722") - answeredBefore; n != calls {
				t.Fatalf("%d calls answered in G722, want %d:\n%s", n, calls, tail(srv.log.String(), 3000))
			}
		})
	}
}
