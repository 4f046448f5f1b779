package ivrload

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ivrd/ivrd/internal/testenv"
)

// keyedPair is two calls' keys that answer each other, as the caller and
// the target of one SRTP call.
func keyedPair(t testing.TB, suite string) (caller, target *callKeys) {
	t.Helper()
	caller, err := newCallKeys(suite)
	if err != nil {
		t.Fatal(err)
	}
	target, err = newCallKeys(suite)
	if err != nil {
		t.Fatal(err)
	}
	value := func(k *callKeys) string {
		return strings.TrimSuffix(strings.TrimPrefix(k.cryptoAttr(), "a=crypto:"), "\r\n")
	}
	if err := caller.accept(value(target)); err != nil {
		t.Fatal(err)
	}
	if err := target.accept(value(caller)); err != nil {
		t.Fatal(err)
	}
	return caller, target
}

func TestSRTPOfferAnswerAndStream(t *testing.T) {
	for suite := range srtpSuites {
		t.Run(suite, func(t *testing.T) {
			caller, target := keyedPair(t, suite)
			sdp := string(offer(loopback, 40000, 101, 1, CodecPCMU, caller))
			if !strings.Contains(sdp, "m=audio 40000 RTP/SAVP 0 101\r\n") || !strings.Contains(sdp, "a=crypto:1 "+caller.suite.sdpName+" inline:") {
				t.Fatalf("offer:\n%s", sdp)
			}
			a, err := parseAnswer([]byte(sdp))
			if err != nil || !strings.HasPrefix(a.crypto, "1 "+caller.suite.sdpName) {
				t.Fatalf("answer's crypto %q, %v", a.crypto, err)
			}

			w, c, b := pair(t)
			c.keys = caller
			rx := &mediaCall{sock: b, keys: target}
			for i := 0; i < 20; i++ {
				w.sendFrame(c, time.Now().UnixNano())
			}
			w.readCall(rx)
			if rx.rx.received != 20 || rx.srtpFailed != 0 || rx.rx.lost() != 0 {
				t.Fatalf("received %d, failed %d, lost %d", rx.rx.received, rx.srtpFailed, rx.rx.lost())
			}
			// Another key's packets are counted, not taken.
			_, stranger := keyedPair(t, suite)
			rx.keys = stranger
			for i := 0; i < 5; i++ {
				w.sendFrame(c, time.Now().UnixNano())
			}
			w.readCall(rx)
			if rx.srtpFailed != 5 || rx.rx.received != 20 {
				t.Fatalf("forged: failed %d, received %d", rx.srtpFailed, rx.rx.received)
			}
		})
	}
	if err := (&Config{Calls: 1, Rate: 1, Hold: time.Second, SRTP: "aes_256", LocalIP: netip.MustParseAddr("127.0.0.1")}).fill(); err == nil ||
		!strings.Contains(err.Error(), `srtp "aes_256": want aes_cm_80, aes_cm_32 or gcm`) {
		t.Fatalf("bad suite: %v", err)
	}
}

func TestSRTPHotPathsAllocateNothing(t *testing.T) {
	testenv.SkipUnderRace(t, "the race detector allocates on its own; allocations are counted in make test")
	for _, suite := range []string{"aes_cm_80", "gcm"} {
		w, c, b := pair(t)
		caller, target := keyedPair(t, suite)
		c.keys = caller
		rx := &mediaCall{sock: b, keys: target}
		if n := testing.AllocsPerRun(200, func() { w.sendFrame(c, 1) }); n != 0 {
			t.Errorf("%s send: %v allocs per frame", suite, n)
		}
		w.readCall(rx)
		if n := testing.AllocsPerRun(200, func() {
			w.sendFrame(c, 1)
			w.readCall(rx)
		}); n != 0 {
			t.Errorf("%s send+receive: %v allocs per frame", suite, n)
		}
		if rx.rx.received == 0 || rx.srtpFailed != 0 {
			t.Fatalf("%s: received %d, failed %d", suite, rx.rx.received, rx.srtpFailed)
		}
	}
}

// BenchmarkSRTPSendFrame is BenchmarkSendFrame with each frame protected.
func BenchmarkSRTPSendFrame(b *testing.B) {
	for _, suite := range []string{"aes_cm_80", "gcm"} {
		b.Run(suite, func(b *testing.B) {
			w, c, sink := pair(b)
			c.keys, _ = keyedPair(b, suite)
			rx := &mediaCall{sock: sink}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				w.sendFrame(c, 1)
				if i%64 == 63 {
					b.StopTimer()
					w.readCall(rx)
					b.StartTimer()
				}
			}
		})
	}
}
