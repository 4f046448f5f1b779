//go:build linux

package sip

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/bench/ivrload"
	"github.com/ivrd/ivrd/dtmf"
	"github.com/ivrd/ivrd/media"
)

// TestIvrloadSRTPCalls: the load generator's SRTP calls (its own SDES and
// pion contexts, none of ivrd's code) are answered with SRTP; ivrd's
// stream authenticates at ivrload (no call fails for it), and the key
// ivrload presses, encrypted, reaches each call's handler.
func TestIvrloadSRTPCalls(t *testing.T) {
	for _, suite := range []string{"aes_cm_80", "gcm"} {
		t.Run(suite, func(t *testing.T) {
			r := newRig(t, func(c *Config, _ *media.EngineConfig) {
				c.SRTP = SRTPPolicy{Mode: SRTPRequired, InsecureSignalling: true}
			})
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			const calls = 3
			res, err := ivrload.Run(ctx, ivrload.Config{
				Target: r.srv.Addr("udp").String(), To: "100", Calls: calls, Rate: 20, Hold: 3 * time.Second,
				Digit: '1', DigitAfter: 1500 * time.Millisecond, DigitMethod: "rfc4733", Expect: ivrload.ExpectNone,
				TelephoneEvent: 101, Workers: 1, SRTP: suite,
			})
			require.NoError(t, err)
			t.Log(res.Summary())
			assert.Zero(t, res.Failed, "%v", res.Failures)
			assert.Equal(t, calls, res.Succeeded)
			assert.Positive(t, res.RTP.Packets, "ivrload got ivrd's SRTP")
			for i := 0; i < calls; i++ {
				call := r.nextCall()
				select {
				case d := <-r.handler.digitsOf(call):
					assert.Equal(t, byte('1'), d.Key)
					assert.Equal(t, dtmf.RFC4733, d.Method)
				case <-ctx.Done():
					t.Fatal("a call's key never reached its handler")
				}
				st := call.Media.Stats()
				assert.Zero(t, st.SRTPAuthFailed+st.SRTPRejected, "%+v", st)
				assert.Positive(t, st.Received)
			}
		})
	}
}
