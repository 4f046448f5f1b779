package stream

import (
	"testing"

	"github.com/ivrd/ivrd/ivr"
)

// Whatever the far end sends, handling it neither panics nor queues
// more than MaxPlay to play.
func FuzzFarMessage(f *testing.F) {
	f.Add([]byte(`{"event":"media","media":{"payload":"//////////8="}}`))
	f.Add([]byte(`{"event":"mark","mark":{"name":"x"}}`))
	f.Add([]byte(`{"event":"clear"}`))
	f.Add([]byte(`{"event":"end","destination":{"extension":"1001"}}`))
	f.Add([]byte(`{"event":"media","media":{"payload":"AAAA"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, wide := range []bool{false, true} {
			s := newStream(testDialer(Options{}), Request{Bidirectional: true, Wide: wide,
				Decode: func([]byte) (*ivr.Answer, error) { return &ivr.Answer{}, nil }}, "MZfuzz", 4)
			_ = s.handle(data)
			s.mu.Lock()
			if len(s.play)-s.playAt > int(MaxPlay.Seconds())*8000 {
				t.Fatalf("%d samples queued", len(s.play)-s.playAt)
			}
			s.mu.Unlock()
			out := make([]int16, FrameSamples)
			for s.NextFrame(out) {
			}
		}
	})
}
