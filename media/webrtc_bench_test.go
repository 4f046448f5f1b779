package media

import (
	"fmt"
	"net/netip"
	"runtime"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pion/dtls/v4"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/audio"
)

// BenchmarkWebRTCCalls runs N browser calls' media at once for 5 s: each
// session readied for WebRTC, checked and through its DTLS handshake with
// a Go peer (this process), then sending its SRTP stream. It reports the
// interval error of the packets each peer receives (p50, p99, max, in
// ms), the packets lost, and the process CPU per call-second, which
// includes the peers' own reading (compare with BenchmarkPacing's G.711
// streams, bench/, where the sink is one socket).
//
//	go test -run '^$' -bench WebRTCCalls -benchtime 1x ./media/
func BenchmarkWebRTCCalls(b *testing.B) {
	for _, n := range []int{50, 300} {
		b.Run(fmt.Sprintf("calls=%d", n), func(b *testing.B) {
			for b.Loop() {
				webrtcCalls(b, n, 5*time.Second)
			}
		})
	}
}

func webrtcCalls(b *testing.B, n int, dur time.Duration) {
	e, err := NewEngine(EngineConfig{BindIP: netip.MustParseAddr("127.0.0.1"), PortMin: 46000, PortMax: 46000 + 2*n + 200, Pacers: 1})
	require.NoError(b, err)
	defer e.Close()
	ip := netip.MustParseAddr("127.0.0.1")
	var mu sync.Mutex
	var errs []float64
	got := 0
	measuring := false
	var conns []*dtls.Conn
	var sessions []*Session
	var wg sync.WaitGroup
	for range n {
		peer := newBrowserEnd(b, "127.0.0.1")
		s, err := e.NewSession()
		require.NoError(b, err)
		local, err := s.EnableWebRTC(peer.peer(ip))
		require.NoError(b, err)
		s.Start(Params{Codec: audio.PCMU, Send: true})
		to := netip.AddrPortFrom(ip, s.LocalAddr().Port())
		require.NotNil(b, peer.check(to, local, local.Pwd))
		_, conn := peer.handshake(to, local)
		<-s.WebRTCReady()
		conns, sessions = append(conns, conn), append(sessions, s)
		wg.Add(1)
		go func() { // the peer's receiver: RTP arrives on its channel
			defer wg.Done()
			var last time.Time
			for range peer.rtp {
				now := time.Now()
				mu.Lock()
				if measuring {
					got++
					if !last.IsZero() {
						d := now.Sub(last) - 20*time.Millisecond
						errs = append(errs, float64(max(d, -d))/float64(time.Millisecond))
					}
				}
				mu.Unlock()
				last = now
			}
		}()
	}
	mu.Lock()
	measuring = true
	mu.Unlock()
	cpu0 := benchCPU()
	time.Sleep(dur) // the measured window itself
	cpu := benchCPU() - cpu0
	mu.Lock()
	measuring = false
	samples := append([]float64(nil), errs...)
	received := got
	mu.Unlock()
	for i, s := range sessions {
		s.Close()
		_ = conns[i].Close() // its reader stops; the channel stays for the receiver below
	}
	sort.Float64s(samples)
	q := func(p float64) float64 {
		if len(samples) == 0 {
			return 0
		}
		return samples[int(p*float64(len(samples)-1))]
	}
	b.ReportMetric(q(0.5), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(q(1), "max-ms")
	b.ReportMetric(100*(1-float64(received)/(float64(n)*dur.Seconds()*50)), "loss-%")
	b.ReportMetric(cpu.Seconds()/(float64(n)*dur.Seconds())*1000, "cpu-ms-per-call-second")
	b.ReportMetric(cpu.Seconds()/dur.Seconds()*100/float64(runtime.NumCPU()), "cpu-%-of-machine")
}

func benchCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru) // cannot fail for RUSAGE_SELF
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
